#include "scheduler/heartbeat.h"

#include <algorithm>
#include <cstdio>

#include "common/logging.h"
#include "net/zmq_util.h"

namespace ember::scheduler {
namespace {

// The HEARTBEAT header's epoch field: 1 in the last heartbeat of a process
// that ends normally, else 0.
constexpr uint32_t kLeaving = 1;
// How often the sender's thread wakes to check its stop flag and deadline.
constexpr int kPollMs = 100;
// A gap this long between two turns of a loop that turns every 100 ms
// (sender) or 1 s (monitor) means this process was paused, not its peer.
constexpr auto kStallThreshold = std::chrono::seconds(2);

double Seconds(HeartbeatClock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

Status ValidateHeartbeatOptions(const HeartbeatOptions& options) {
  if (options.interval.count() <= 0) {
    return Status::InvalidArgument("--heartbeat_interval_ms must be positive; got ", options.interval.count());
  }
  if (options.timeout <= options.interval) {
    return Status::InvalidArgument("--heartbeat_timeout (", options.timeout.count() / 1000.0,
                                   " s) must be longer than --heartbeat_interval_ms (", options.interval.count(),
                                   " ms)");
  }
  return Status::OK();
}

std::string DeadRankLine(int world_rank, const std::string& role, const std::string& host, double silent_seconds,
                         const std::string& newest_checkpoint) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.1f", silent_seconds);
  return "ember train: rank " + std::to_string(world_rank) + " (" + role + " on host " + host +
         ") is dead: no heartbeat for " + seconds + " s; newest checkpoint: " + newest_checkpoint;
}

// ---------------------------------------------------------------- sender

HeartbeatSender::HeartbeatSender(zmq::context_t* context, HeartbeatSenderOptions options)
    : context_(context), options_(std::move(options)) {}

HeartbeatSender::~HeartbeatSender() { Stop(); }

Status HeartbeatSender::Start() {
  socket_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::dealer);
  // The last ("leaving") heartbeat gets a second to go out; then close.
  socket_->set(zmq::sockopt::linger, 1000);
  socket_->set(zmq::sockopt::rcvtimeo, kPollMs);
  socket_->set(zmq::sockopt::sndhwm, 16);
  // Never block on a full queue (a dead scheduler): the loop must go on to
  // notice the silence. A heartbeat is one frame, so a refused send leaves
  // nothing half-sent.
  socket_->set(zmq::sockopt::sndtimeo, 0);
  RETURN_IF_ERROR(net::ApplyCurveClient(socket_.get(), options_.curve)
                      .WithContext("heartbeat socket of rank " + std::to_string(options_.world_rank)));
  try {
    socket_->connect(options_.scheduler_endpoint);
  } catch (const zmq::error_t& e) {
    const std::string call =
        "heartbeat socket of rank " + std::to_string(options_.world_rank) + " connect to the scheduler";
    return net::ZmqStatus(e, call, options_.scheduler_endpoint);
  }
  thread_ = std::thread([this] { Loop(); });
  return Status::OK();
}

void HeartbeatSender::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  socket_.reset();
}

void HeartbeatSender::Loop() {
  SetThreadRole("heartbeat", static_cast<int>(options_.world_rank));
  net::ControlMessage beat;
  beat.type = net::ControlType::kHeartbeat;
  beat.job_token = options_.job_token;
  beat.rank = options_.world_rank;
  auto last_answer = HeartbeatClock::now();
  auto next_beat = last_answer;
  auto last_turn = last_answer;
  while (!stop_.load()) {
    const auto now = HeartbeatClock::now();
    if (now >= next_beat) {
      // A full queue (scheduler gone) is not an error here: the missing
      // answers are what declares it dead.
      Status sent = net::SendControl(socket_.get(), beat);
      if (!sent.ok()) VLOG(1) << "heartbeat " << beat.step << " not sent: " << sent;
      ++beat.step;
      next_beat = now + options_.heartbeat.interval;
    }
    std::vector<zmq::message_t> frames;
    bool received = false;
    try {
      received = zmq::recv_multipart(*socket_, std::back_inserter(frames)).has_value();
    } catch (const zmq::error_t& e) {
      LOG(WARNING) << net::ZmqStatus(e, "heartbeat socket of rank " + std::to_string(options_.world_rank) + " recv",
                                     options_.scheduler_endpoint);
    }
    if (received) {
      net::ControlMessage answer;
      Status decoded = net::DecodeControl(frames, options_.job_token, &answer);
      if (decoded.ok() && answer.type == net::ControlType::kHeartbeat && answer.rank == options_.world_rank) {
        last_answer = HeartbeatClock::now();
      } else {
        LOG(WARNING) << "dropped a heartbeat answer: "
                     << (decoded.ok() ? Status::DataLoss("type ", static_cast<int>(answer.type), " rank ", answer.rank)
                                      : decoded);
      }
    }
    const auto turn_end = HeartbeatClock::now();
    // This process itself was paused (SIGSTOP, a starved machine): the
    // scheduler's silence meanwhile is not its fault; count from now.
    if (turn_end - last_turn > kStallThreshold) last_answer = turn_end;
    last_turn = turn_end;
    const auto silent = turn_end - last_answer;
    if (silent > options_.heartbeat.timeout) {
      scheduler_dead_.store(true);
      const std::string line = DeadRankLine(0, "scheduler", options_.scheduler_host, Seconds(silent), "none");
      if (options_.on_scheduler_dead) {
        options_.on_scheduler_dead(line);
      } else {
        std::fprintf(stderr, "%s\n", line.c_str());
      }
      return;
    }
  }
  // Normal end: tell the scheduler to stop watching this rank.
  beat.epoch = kLeaving;
  Status sent = net::SendControl(socket_.get(), beat);
  if (!sent.ok()) VLOG(1) << "last heartbeat not sent: " << sent;
}

// ---------------------------------------------------------------- monitor

HeartbeatMonitor::HeartbeatMonitor(HeartbeatMonitorOptions options) : options_(std::move(options)) {
  const auto now = HeartbeatClock::now();
  last_check_ = now;
  for (const WatchedRank& rank : options_.ranks) entries_.push_back(Entry{rank, now, false});
}

Status HeartbeatMonitor::OnHeartbeat(zmq::socket_t* socket, const std::string& routing_id,
                                     const net::ControlMessage& message) {
  auto entry = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return e.rank.world_rank >= 0 && static_cast<uint32_t>(e.rank.world_rank) == message.rank;
  });
  if (entry == entries_.end()) return Status::DataLoss("heartbeat from rank ", message.rank, ", which is not watched");
  entry->last_heard = HeartbeatClock::now();
  if (message.epoch == kLeaving) {
    if (!entry->left) LOG(INFO) << "rank " << message.rank << " (" << entry->rank.role << ") left";
    entry->left = true;
    return Status::OK();
  }
  net::ControlMessage answer;
  answer.type = net::ControlType::kHeartbeat;
  answer.job_token = options_.job_token;
  answer.rank = message.rank;
  answer.step = message.step;
  try {
    if (!socket->send(zmq::buffer(routing_id), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return Status::Unavailable("heartbeat answer to rank ", message.rank, " would block");
    }
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "heartbeat answer to rank " + std::to_string(message.rank),
                          entry->rank.role + " on host " + entry->rank.host);
  }
  return net::SendControl(socket, answer);
}

Status HeartbeatMonitor::Check() {
  const auto now = HeartbeatClock::now();
  // The scheduler did not listen for a while (paused, or busy): that time
  // does not count as anyone's silence.
  const auto gap = now - last_check_;
  last_check_ = now;
  if (gap > kStallThreshold) {
    for (Entry& entry : entries_) entry.last_heard += gap;
  }
  const Entry* silent_longest = nullptr;
  for (const Entry& entry : entries_) {
    if (entry.left || now - entry.last_heard <= options_.heartbeat.timeout) continue;
    if (silent_longest == nullptr || entry.last_heard < silent_longest->last_heard) silent_longest = &entry;
  }
  if (silent_longest == nullptr) return Status::OK();
  const std::string line =
      DeadRankLine(silent_longest->rank.world_rank, silent_longest->rank.role, silent_longest->rank.host,
                   Seconds(now - silent_longest->last_heard), options_.newest_checkpoint);
  if (options_.on_dead) options_.on_dead(line);
  return Status::Aborted(line);
}

}  // namespace ember::scheduler
