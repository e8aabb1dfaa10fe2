// scheduler/heartbeat.h: failure detection by heartbeats under mpirun
// (docs/architecture.md, "Failure detection (mpirun)").
//
// Every process of an mpirun job other than the scheduler runs one
// HeartbeatSender: a thread with its own DEALER socket to the scheduler's
// control endpoint that sends a HEARTBEAT control message (its WORLD rank)
// every `interval` and reads the scheduler's answers. The scheduler's
// HeartbeatMonitor, fed by Scheduler::Run on the scheduler's thread,
// records the time of each rank's last heartbeat, answers it, and declares
// a rank silent for longer than `timeout` dead. Each side calls its
// `on_dead` callback with one line that names the dead rank, its role and
// host, e.g.
//   ember train: rank 2 (server 1 on host n3) is dead: no heartbeat for 3.0 s; newest checkpoint: none
// The callback is expected to end the job (MPI_Abort / _Exit); if it
// returns, the monitor's Check() returns Aborted and the sender's thread
// stops.
//
// A process that ends normally stops its sender; the last heartbeat then
// says "leaving" and the monitor stops watching that rank.
//
// Threading: HeartbeatSender is used from one thread (Start/Stop); its
// callback runs on its own thread. HeartbeatMonitor is not thread-safe: the
// scheduler's thread calls it.
//
//   HeartbeatSender sender(&context, sender_options);
//   RETURN_IF_ERROR(sender.Start());
//   ... run the role ...
//   sender.Stop();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/status.h"
#include "net/control.h"
#include "net/curve.h"

namespace ember::scheduler {

using HeartbeatClock = std::chrono::steady_clock;

struct HeartbeatOptions {
  std::chrono::milliseconds interval{1000};   // between two heartbeats. Default: 1 s
  std::chrono::milliseconds timeout{10'000};  // silence after which a peer is dead. Default: 10 s
};

// InvalidArgument naming the flag unless 0 < interval < timeout.
Status ValidateHeartbeatOptions(const HeartbeatOptions& options);

// "ember train: rank R (ROLE on host HOST) is dead: no heartbeat for T s;
// newest checkpoint: CHECKPOINT" (without a newline).
std::string DeadRankLine(int world_rank, const std::string& role, const std::string& host, double silent_seconds,
                         const std::string& newest_checkpoint);

struct HeartbeatSenderOptions {
  HeartbeatOptions heartbeat;
  std::string scheduler_endpoint;  // REQUIRED: the scheduler's control endpoint
  std::string scheduler_host;      // for the dead line
  uint64_t job_token = 0;
  uint32_t world_rank = 0;  // this process's rank in MPI_COMM_WORLD (>= 1)
  net::CurveKeys curve;     // --curve: the job's keys (net/curve.h). Default: empty, plain
  // Called once, on the sender's thread, with the dead line when the
  // scheduler has not answered for `timeout`. Default: print it to stderr.
  std::function<void(const std::string& line)> on_scheduler_dead;
};

class HeartbeatSender {
 public:
  HeartbeatSender(zmq::context_t* context, HeartbeatSenderOptions options);
  HeartbeatSender(const HeartbeatSender&) = delete;
  HeartbeatSender& operator=(const HeartbeatSender&) = delete;
  ~HeartbeatSender();  // Stop()

  // Connects the socket and starts the thread. InvalidArgument for a
  // malformed endpoint, Unavailable when the socket cannot connect; the
  // message names the rank and the endpoint. Once.
  Status Start();
  // Sends a last "leaving" heartbeat and joins the thread (within about
  // 100 ms plus the socket's 1 s linger). Idempotent.
  void Stop();
  // True once the scheduler was declared dead.
  bool scheduler_dead() const { return scheduler_dead_.load(); }

 private:
  void Loop();

  zmq::context_t* context_;
  HeartbeatSenderOptions options_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> scheduler_dead_{false};
};

struct WatchedRank {
  int world_rank = 0;
  std::string role;  // "server 1", "worker 0"
  std::string host;
};

struct HeartbeatMonitorOptions {
  HeartbeatOptions heartbeat;
  uint64_t job_token = 0;
  std::vector<WatchedRank> ranks;          // every rank that heartbeats (not the scheduler)
  std::string newest_checkpoint = "none";  // named in the dead line
  // Called with the dead line of the first rank found silent past the
  // timeout, on the scheduler's thread. Default: none (Check returns Aborted).
  std::function<void(const std::string& line)> on_dead;
};

class HeartbeatMonitor {
 public:
  // Every watched rank counts as heard from at construction.
  explicit HeartbeatMonitor(HeartbeatMonitorOptions options);

  // Records the heartbeat `message` (type kHeartbeat, rank = world rank) that
  // came from `routing_id` on the scheduler's ROUTER `socket`, and answers
  // it on that socket. DataLoss for a rank that is not watched (the message
  // is dropped); Unavailable when the answer cannot be sent (a socket
  // error: net::ZmqStatus's code, naming the rank, its role and host).
  Status OnHeartbeat(zmq::socket_t* socket, const std::string& routing_id, const net::ControlMessage& message);

  // OK while every watched rank was heard from within the timeout.
  // Time between two calls longer than 2 s (the caller was paused or busy)
  // counts as no one's silence. Otherwise calls on_dead with the line of the rank silent longest and, if
  // it returns, returns Aborted with that line.
  Status Check();

  // The checkpoint the dead line names from now on (the scheduler sets it
  // after each commit).
  void set_newest_checkpoint(std::string path) { options_.newest_checkpoint = std::move(path); }

 private:
  struct Entry {
    WatchedRank rank;
    HeartbeatClock::time_point last_heard;
    bool left = false;
  };
  HeartbeatMonitorOptions options_;
  std::vector<Entry> entries_;
  HeartbeatClock::time_point last_check_;
};

}  // namespace ember::scheduler
