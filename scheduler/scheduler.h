// scheduler/scheduler.h: the job's coordinator (rank 0).
//
// The scheduler binds the control socket, waits until every worker has
// registered, starts them together, and then gathers what they report:
// progress (one line per report interval: step, epoch, samples/s, loss),
// evaluation results (AUC and logloss over all workers' scores of an epoch:
// scheduler/eval_aggregator.h), checkpoint rounds, and DONE or FAILED. When
// every worker has finished it stops the servers and writes the final
// metrics. What it prints and writes goes through one Reporter
// (scheduler/reporter.h).
//
//   Scheduler scheduler(&context, options);
//   RETURN_IF_ERROR(scheduler.Bind());
//   ... start servers and workers, pointing them at scheduler.endpoint() ...
//   StatusOr<JobResult> result = scheduler.Run();
//
// Run() owns the calling thread; a Scheduler runs one job.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/logging.h"
#include "common/status.h"
#include "net/connection_cap.h"
#include "net/control.h"
#include "net/curve.h"
#include "ps/client.h"
#include "scheduler/epoch_progress.h"
#include "scheduler/eval_aggregator.h"
#include "scheduler/heartbeat.h"
#include "scheduler/job_result.h"
#include "scheduler/reporter.h"
#include "sparse/table_config.h"
#include "storage/checkpoint.h"

namespace ember::scheduler {

struct SchedulerOptions {
  std::string bind_endpoint;  // REQUIRED: "inproc://..." or "tcp://host:*"
  int num_workers = 1;
  std::vector<std::string> server_endpoints;  // REQUIRED: to stop the servers at the end
  std::vector<sparse::TableConfig> tables;    // the job's tables (for the servers' client)
  uint64_t job_token = 0;
  int epochs = 1;
  bool has_eval = false;
  // > 0: evaluation results are grouped leave-one-out rankings (a group
  // starts at each positive row; data/interactions.h) and the scheduler adds
  // HR@ranking_k and NDCG@ranking_k to AUC and logloss. Default: 0, off
  int ranking_k = 0;
  std::string metrics_out;  // Default: none. JSON lines file
  // The progress, eval, checkpoint and final lines (scheduler/reporter.h);
  // not owned. Default: std::cout
  std::ostream* report_out = &std::cout;
  // Each evaluation's scores (the model's probabilities), one per line in
  // worker-rank order (for files split by byte ranges: the eval files'
  // order), rewritten after every epoch. Default: none
  std::string eval_scores_out;
  int register_timeout_ms = 120'000;  // Default: 2 min for every worker to register
  // --curve: the control ROUTER is a CURVE server, and the client that stops
  // the servers a CURVE client, with the job's keys (net/curve.h). Default:
  // empty, plain.
  net::CurveKeys curve;
  // A tcp bind_endpoint holds at most this many connections: each one past
  // it is closed on accept and logged (net/connection_cap.h). 0: no cap.
  // Default: 0
  int max_connections = 0;
  // Checkpoints (docs/checkpoint_format.md): the scheduler leads them when
  // checkpoint_dir is set. Workers stop at the same step and report READY;
  // the scheduler opens <dir>/step-N.tmp/, has every server and worker write
  // its files there, writes the MANIFEST (with `config` and the job's
  // shape), renames the folder to step-N/, keeps the newest
  // keep_checkpoints, and lets the workers go on. Default: none
  std::string checkpoint_dir;
  int keep_checkpoints = 3;                                 // Default: 3
  int num_servers = 1;                                      // recorded in the MANIFEST
  std::vector<std::pair<std::string, std::string>> config;  // the model configuration (MANIFEST)
  std::string resumed_from;                                 // the checkpoint this run resumed from; Default: none
};

class Scheduler {
 public:
  Scheduler(zmq::context_t* context, SchedulerOptions options);
  // Binds the control socket and opens metrics_out: InvalidArgument for a
  // malformed endpoint, Unavailable when it is in use or cannot be bound
  // (the message names the endpoint); InvalidArgument naming --metrics_out
  // when that file cannot be written. Once.
  Status Bind();
  std::string endpoint() const { return endpoint_; }
  // The cap of options.max_connections on a tcp endpoint after Bind (its
  // counters may be read from any thread); null without one.
  const net::ConnectionCap* connection_cap() const { return connection_cap_.get(); }
  // The rank of the worker whose FAILED report ended Run(); -1 if none did.
  int failed_worker() const { return failed_worker_; }
  // Replaces options.server_endpoints (the servers Run stops at the end);
  // for a job whose servers' endpoints are learned after Bind. Before Run.
  void set_server_endpoints(std::vector<std::string> endpoints) { options_.server_endpoints = std::move(endpoints); }
  // Heartbeats (scheduler/heartbeat.h): Run answers the HEARTBEAT messages
  // on the control socket through `monitor` and checks it about once a
  // second; a dead rank ends Run with Aborted (unless the monitor's
  // callback ends the process first). Default: none. Before Run.
  void set_heartbeat_monitor(HeartbeatMonitor* monitor) { heartbeats_ = monitor; }
  // Runs the job to its end; stops the servers in every case. The Status of
  // the first worker that failed, DeadlineExceeded if workers do not
  // register in time.
  StatusOr<JobResult> Run();

 private:
  // The loop of Run: receives and dispatches until every worker is done.
  Status Coordinate(JobResult* result);
  // Receives one message's frames (the routing id first) into *frames,
  // waiting at most the socket's receive timeout; false when none came.
  StatusOr<bool> ReceiveFrames(std::vector<zmq::message_t>* frames);
  // Decodes one message and hands it to its handler; drops (and logs, at a
  // bounded rate) what is malformed or comes from no known worker.
  Status Dispatch(std::vector<zmq::message_t> frames, JobResult* result);

  // The handlers, one per message type a worker sends.
  Status OnRegister(int rank, const std::string& routing_id);
  void OnProgress(const net::ControlMessage& message);
  void OnEvalResult(const net::ControlMessage& message, const std::string& routing_id, JobResult* result);
  void OnDone(const net::ControlMessage& message, const std::string& routing_id, JobResult* result);
  // Handles a worker's READY / WRITTEN; runs the round's phases as they
  // complete.
  Status OnCheckpointMessage(const net::ControlMessage& message, JobResult* result);
  // Commits the round once every worker and every server wrote its files.
  Status PollCheckpoint(JobResult* result);

  // Whether `rank` registered from the peer `routing_id`.
  bool IsRegisteredPeer(int rank, const std::string& routing_id) const;
  // Sends `message` to worker `rank` (registered).
  Status SendToWorker(int rank, const net::ControlMessage& message);
  // Sends a message of `type` with `step` and `text` to every worker.
  Status SendToEveryWorker(net::ControlType type, uint64_t step, const std::string& text);

  // A checkpoint in progress: the workers that reported READY and WRITTEN.
  struct CheckpointRound {
    int64_t step = -1;
    int epoch = 0;
    int ready = 0, written = 0;
    std::string tmp_dir;
    std::vector<storage::FileEntry> files;
    std::chrono::steady_clock::time_point start;
    std::future<StatusOr<std::vector<std::string>>> servers;  // the servers' file lists
  };
  // The PROGRESS reports summed since the last progress line.
  struct ProgressWindow {
    int64_t samples = 0;
    double loss_sum = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  };

  zmq::context_t* context_;
  SchedulerOptions options_;
  Reporter reporter_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::unique_ptr<net::ConnectionCap> connection_cap_;  // tcp with max_connections only
  std::string endpoint_;
  int failed_worker_ = -1;
  HeartbeatMonitor* heartbeats_ = nullptr;

  // Membership and the workers' reports, by worker rank.
  std::vector<std::string> worker_routing_ids_;  // empty: not registered
  int registered_workers_ = 0;
  std::vector<bool> worker_done_;
  int done_workers_ = 0;
  double max_train_seconds_ = 0;  // the slowest worker's, from DONE
  int64_t last_step_ = 0;         // the newest step a PROGRESS named
  ProgressWindow progress_;
  EpochProgress epoch_progress_;
  EvalAggregator evals_;
  CheckpointRound round_;
  std::unique_ptr<ps::PsClient> checkpoint_client_;  // asks the servers to write their shards

  // Control messages dropped so far (strangers, wrong tokens, protocol
  // breaks): the first 100 are logged one line each, then every 1000th.
  int64_t dropped_messages_ = 0;
  bool CountDropped() { return ShouldLogNth(++dropped_messages_); }
  std::string DroppedSoFar() const { return " [dropped so far: " + std::to_string(dropped_messages_) + "]"; }
};

}  // namespace ember::scheduler
