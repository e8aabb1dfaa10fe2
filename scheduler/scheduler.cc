#include "scheduler/scheduler.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <optional>
#include <utility>

#include "common/hash.h"
#include "common/logging.h"
#include "net/control.h"
#include "net/zmq_util.h"
#include "ps/client.h"

namespace ember::scheduler {
namespace {

using Clock = std::chrono::steady_clock;

ReporterOptions ReporterOptionsOf(const SchedulerOptions& options) {
  ReporterOptions reporter;
  reporter.out = options.report_out;
  reporter.metrics_out = options.metrics_out;
  reporter.eval_scores_out = options.eval_scores_out;
  return reporter;
}

// The messages the scheduler sends, as error messages name them.
std::string ControlTypeName(net::ControlType type) {
  switch (type) {
    case net::ControlType::kStart:
      return "START";
    case net::ControlType::kCheckpointWrite:
      return "CHECKPOINT_WRITE";
    case net::ControlType::kCheckpointDone:
      return "CHECKPOINT_DONE";
    default:
      return "control type " + std::to_string(static_cast<int>(type));
  }
}

}  // namespace

Scheduler::Scheduler(zmq::context_t* context, SchedulerOptions options)
    : context_(context),
      options_(std::move(options)),
      reporter_(ReporterOptionsOf(options_)),
      epoch_progress_(options_.num_workers),
      evals_(options_.num_workers, options_.ranking_k) {}

Status Scheduler::Bind() {
  socket_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::router);
  socket_->set(zmq::sockopt::linger, 0);
  // A peer that sends a larger frame than any control message has is
  // dropped by libzmq before the frame is buffered (eval results come in
  // parts: net/control.h).
  socket_->set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(net::kMaxControlFrameBytes));
  RETURN_IF_ERROR(net::ApplyCurveServer(socket_.get(), options_.curve).WithContext("scheduler control socket"));
  if (options_.max_connections > 0 && options_.bind_endpoint.starts_with("tcp://")) {
    ASSIGN_OR_RETURN(connection_cap_,
                     net::ConnectionCap::Start(context_, socket_.get(), options_.max_connections, "scheduler"));
  }
  try {
    socket_->bind(options_.bind_endpoint);
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "scheduler bind", options_.bind_endpoint);
  }
  endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
  return reporter_.Open();
}

StatusOr<JobResult> Scheduler::Run() {
  SetThreadRole("scheduler", 0);
  if (heartbeats_ != nullptr && !options_.resumed_from.empty())
    heartbeats_->set_newest_checkpoint(options_.resumed_from);
  JobResult result;
  Status status = Coordinate(&result);
  // Stop the servers whatever happened.
  ps::ClientOptions client_options;
  client_options.server_endpoints = options_.server_endpoints;
  client_options.job_token = options_.job_token;
  client_options.tables = options_.tables;
  // A failed job may have lost a server (one that stopped on its own
  // failure answers nothing): the others are asked to stop, briefly.
  client_options.timeout_ms = status.ok() ? 10'000 : 2'000;
  client_options.curve = options_.curve;
  ps::PsClient servers(context_, client_options);
  Status stop = servers.Connect();
  if (stop.ok() && status.ok()) {
    // Every worker is done and its pushes are applied: checksum the rows.
    StatusOr<std::vector<ps::ServerStats>> stats = servers.Stats(/*with_checksums=*/true);
    if (stats.ok()) {
      for (const ps::ServerStats& server : *stats) {
        result.table_checksums.resize(server.checksum_per_table.size(), 0);
        for (size_t t = 0; t < server.checksum_per_table.size(); ++t) {
          result.table_checksums[t] += server.checksum_per_table[t];
        }
        uint64_t checksum = 0;
        for (uint64_t table_checksum : server.checksum_per_table) checksum = Mix64(checksum ^ table_checksum);
        result.sparse_checksums.push_back(checksum);
      }
    } else {
      LOG(WARNING) << "no sparse checksums: " << stats.status();
    }
  }
  if (stop.ok()) stop = servers.ShutdownServers();
  if (!stop.ok()) LOG(WARNING) << "could not stop every server: " << stop;
  RETURN_IF_ERROR(status);
  reporter_.Final(result);
  return result;
}

Status Scheduler::Coordinate(JobResult* result) {
  const int num_workers = options_.num_workers;
  worker_routing_ids_.assign(num_workers, std::string());
  worker_done_.assign(num_workers, false);
  result->dense_checksums.assign(num_workers, 0);
  progress_ = ProgressWindow{};
  const auto job_start = Clock::now();
  int receive_timeout_ms = -1;
  while (done_workers_ < num_workers) {
    if (heartbeats_ != nullptr) RETURN_IF_ERROR(heartbeats_->Check());
    RETURN_IF_ERROR(PollCheckpoint(result));
    // Wake up often while the servers write a checkpoint (their answer comes
    // on another thread), else about once a second.
    const int timeout_ms = round_.servers.valid() ? 2 : 1000;
    if (timeout_ms != receive_timeout_ms) {
      socket_->set(zmq::sockopt::rcvtimeo, timeout_ms);
      receive_timeout_ms = timeout_ms;
    }
    // Checked on every pass: heartbeats (or strangers) may keep the socket
    // busy so that a receive never times out.
    if (registered_workers_ < num_workers &&
        Clock::now() - job_start > std::chrono::milliseconds(options_.register_timeout_ms)) {
      return Status::DeadlineExceeded(registered_workers_, " of ", num_workers, " workers registered in ",
                                      options_.register_timeout_ms / 1000, " s");
    }
    std::vector<zmq::message_t> frames;
    ASSIGN_OR_RETURN(const bool received, ReceiveFrames(&frames));
    if (received) RETURN_IF_ERROR(Dispatch(std::move(frames), result));
  }
  result->samples_per_sec = max_train_seconds_ > 0 ? result->samples / max_train_seconds_ : 0;
  return Status::OK();
}

StatusOr<bool> Scheduler::ReceiveFrames(std::vector<zmq::message_t>* frames) {
  // The routing id, the header and the most payload frames a message has,
  // plus one so that a longer message still fails to decode; frames past
  // that are dropped as they are read, so no message costs more than a few.
  constexpr size_t kMaxKeptFrames = 2 + net::kMaxControlPayloadFrames + 1;
  try {
    zmq::message_t first;
    if (!socket_->recv(first, zmq::recv_flags::none)) return false;
    bool more = first.more();
    frames->push_back(std::move(first));
    zmq::message_t dropped;
    while (more) {
      zmq::message_t* into = frames->size() < kMaxKeptFrames ? &frames->emplace_back() : &dropped;
      if (!socket_->recv(*into, zmq::recv_flags::none)) {
        return Status::Internal("scheduler: a multipart message ended early");
      }
      more = into->more();
    }
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "scheduler recv", endpoint_);
  }
  return true;
}

Status Scheduler::Dispatch(std::vector<zmq::message_t> frames, JobResult* result) {
  if (frames.size() < 2) {
    LOG_IF(WARNING, CountDropped()) << "dropped a control message of " << frames.size() << " frames" << DroppedSoFar();
    return Status::OK();
  }
  const std::string routing_id = frames[0].to_string();
  frames.erase(frames.begin());
  net::ControlMessage message;
  Status decoded = net::DecodeControl(frames, options_.job_token, &message);
  if (decoded.ok() && message.type == net::ControlType::kHeartbeat) {  // rank is the world rank here
    Status answered = heartbeats_ == nullptr ? Status::FailedPrecondition("heartbeats are off")
                                             : heartbeats_->OnHeartbeat(socket_.get(), routing_id, message);
    LOG_IF(WARNING, !answered.ok() && CountDropped()) << "dropped a heartbeat: " << answered << DroppedSoFar();
    return Status::OK();
  }
  if (!decoded.ok() || message.rank >= static_cast<uint32_t>(options_.num_workers)) {
    LOG_IF(WARNING, CountDropped()) << "dropped a control message: "
                                    << (decoded.ok() ? Status::DataLoss("rank ", message.rank, " out of range")
                                                     : decoded)
                                    << DroppedSoFar();
    return Status::OK();
  }
  const int rank = static_cast<int>(message.rank);
  switch (message.type) {
    case net::ControlType::kRegister:
      return OnRegister(rank, routing_id);
    case net::ControlType::kProgress:
      OnProgress(message);
      return Status::OK();
    case net::ControlType::kEvalResult:
      OnEvalResult(message, routing_id, result);
      return Status::OK();
    case net::ControlType::kDone:
      OnDone(message, routing_id, result);
      return Status::OK();
    case net::ControlType::kFailed:
      LOG(ERROR) << "worker " << rank << " failed: " << message.text;
      // The job cannot finish without this worker: stop now; the caller
      // tears the rest down.
      failed_worker_ = rank;
      return Status::Aborted("worker ", rank, " failed: ", message.text);
    case net::ControlType::kCheckpointReady:
    case net::ControlType::kCheckpointWritten:
      if (!IsRegisteredPeer(rank, routing_id)) {
        LOG_IF(WARNING, CountDropped()) << "dropped a checkpoint message from rank " << rank
                                        << ": not registered from that peer" << DroppedSoFar();
        return Status::OK();
      }
      return OnCheckpointMessage(message, result);
    case net::ControlType::kStart:
    case net::ControlType::kCheckpointWrite:
    case net::ControlType::kCheckpointDone:
      LOG_IF(WARNING, CountDropped()) << "dropped a control message of type " << static_cast<int>(message.type)
                                      << " sent to the scheduler by rank " << rank << DroppedSoFar();
      return Status::OK();
    case net::ControlType::kHeartbeat:  // answered above
      return Status::OK();
  }
  return Status::OK();
}

bool Scheduler::IsRegisteredPeer(int rank, const std::string& routing_id) const {
  return !worker_routing_ids_[rank].empty() && worker_routing_ids_[rank] == routing_id;
}

Status Scheduler::OnRegister(int rank, const std::string& routing_id) {
  const int num_workers = options_.num_workers;
  if (!worker_routing_ids_[rank].empty()) {
    LOG_IF(WARNING, CountDropped()) << "worker " << rank << " registered twice; keeping the first" << DroppedSoFar();
    return Status::OK();
  }
  worker_routing_ids_[rank] = routing_id;
  LOG(INFO) << "worker " << rank << " registered (" << ++registered_workers_ << "/" << num_workers << ")";
  if (registered_workers_ < num_workers) return Status::OK();
  RETURN_IF_ERROR(SendToEveryWorker(net::ControlType::kStart, /*step=*/0, /*text=*/""));
  LOG(INFO) << "all " << num_workers << " workers registered; training starts";
  return Status::OK();
}

void Scheduler::OnProgress(const net::ControlMessage& message) {
  progress_.samples += static_cast<int64_t>(message.numbers[0]);
  progress_.loss_sum += message.numbers[1];
  last_step_ = std::max<int64_t>(last_step_, static_cast<int64_t>(message.step));
  const Clock::time_point now = Clock::now();
  epoch_progress_.Update(static_cast<int>(message.rank), static_cast<int64_t>(message.epoch),
                         static_cast<int64_t>(message.step), message.numbers[3], now);
  // A line per report of rank 0: the windows of all workers since the last.
  if (message.rank != 0 && options_.num_workers != 1) return;
  const double seconds = std::chrono::duration<double>(now - progress_.start).count();
  const double rate = seconds > 0 ? progress_.samples / seconds : 0;
  const double loss = progress_.samples > 0 ? progress_.loss_sum / progress_.samples : 0;
  reporter_.Progress(last_step_, static_cast<int64_t>(message.epoch), rate, loss, epoch_progress_.done(),
                     epoch_progress_.seconds_left(now));
  progress_ = ProgressWindow{};
}

void Scheduler::OnEvalResult(const net::ControlMessage& message, const std::string& routing_id, JobResult* result) {
  if (!IsRegisteredPeer(static_cast<int>(message.rank), routing_id)) {
    LOG_IF(WARNING, CountDropped()) << "dropped an eval result part of epoch " << message.epoch << " from rank "
                                    << message.rank << ": not registered from that peer" << DroppedSoFar();
    return;
  }
  // The parts of one worker's result arrive in order (one DEALER).
  StatusOr<std::optional<EpochEvaluation>> complete = evals_.Add(message);
  if (!complete.ok()) {
    LOG_IF(WARNING, CountDropped()) << "dropped an " << complete.status().message() << DroppedSoFar();
    return;
  }
  if (!complete->has_value()) return;
  const EpochEvaluation& evaluation = **complete;
  reporter_.Eval(evaluation.metrics);
  const Status written = reporter_.EvalScores(evaluation.probabilities);
  if (!written.ok()) LOG(ERROR) << "--eval_scores_out: " << written;
  result->evals.push_back(evaluation.metrics);
}

void Scheduler::OnDone(const net::ControlMessage& message, const std::string& routing_id, JobResult* result) {
  const int rank = static_cast<int>(message.rank);
  if (!IsRegisteredPeer(rank, routing_id) || worker_done_[rank]) {
    LOG_IF(WARNING, CountDropped()) << "dropped a DONE from rank " << rank
                                    << ": not registered from that peer, or a second one" << DroppedSoFar();
    return;
  }
  worker_done_[rank] = true;
  result->samples += static_cast<int64_t>(message.numbers[0]);
  max_train_seconds_ = std::max(max_train_seconds_, message.numbers[1]);
  result->steps = std::max<int64_t>(result->steps, static_cast<int64_t>(message.step));
  result->dense_checksums[rank] = message.dense_checksum;
  ++done_workers_;
  LOG(INFO) << "worker " << rank << " done after " << message.step << " steps";
}

Status Scheduler::OnCheckpointMessage(const net::ControlMessage& message, JobResult* result) {
  const int num_workers = options_.num_workers;
  const auto step = static_cast<int64_t>(message.step);
  if (options_.checkpoint_dir.empty()) {
    return Status::FailedPrecondition("worker ", message.rank,
                                      " asked for a checkpoint, but there is no --checkpoint_dir");
  }
  if (round_.step != -1 && round_.step != step) {
    return Status::Internal("worker ", message.rank, " is at the checkpoint of step ", step, " while the one of step ",
                            round_.step, " is in progress");
  }
  const std::string what = "checkpoint step " + std::to_string(step);
  if (message.type == net::ControlType::kCheckpointReady) {
    if (round_.step == -1) {
      round_ = CheckpointRound{};
      round_.step = step;
      round_.epoch = static_cast<int>(message.epoch);
      round_.start = Clock::now();
    }
    if (++round_.ready < num_workers) return Status::OK();
    // PREPARE: every worker finished step N and its pushes are applied; the
    // servers snapshot their shards while the workers write their state.
    ASSIGN_OR_RETURN(round_.tmp_dir, storage::BeginCheckpoint(options_.checkpoint_dir, step));
    reporter_.CheckpointWriting(step, round_.tmp_dir);
    RETURN_IF_ERROR(SendToEveryWorker(net::ControlType::kCheckpointWrite, message.step, round_.tmp_dir));
    if (checkpoint_client_ == nullptr) {
      ps::ClientOptions client_options;
      client_options.server_endpoints = options_.server_endpoints;
      client_options.job_token = options_.job_token;
      client_options.tables = options_.tables;
      client_options.timeout_ms = 30 * 60 * 1000;  // a shard of many GB takes minutes
      client_options.curve = options_.curve;
      checkpoint_client_ = std::make_unique<ps::PsClient>(context_, client_options);
      RETURN_IF_ERROR(checkpoint_client_->Connect().WithContext(what));
    }
    // The servers write on another thread, so that this one keeps answering
    // heartbeats however long their shards take.
    round_.servers = std::async(std::launch::async, [client = checkpoint_client_.get(), step = message.step,
                                                     dir = round_.tmp_dir] { return client->Checkpoint(step, dir); });
    return Status::OK();
  }
  // WRITTEN.
  if (round_.ready < num_workers) {
    return Status::Internal("worker ", message.rank, " wrote its part of ", what, " before every worker was ready");
  }
  ASSIGN_OR_RETURN(std::vector<storage::FileEntry> files, storage::ParseFileEntries(message.text));
  round_.files.insert(round_.files.end(), files.begin(), files.end());
  ++round_.written;
  return PollCheckpoint(result);
}

Status Scheduler::PollCheckpoint(JobResult* result) {
  if (round_.step == -1 || round_.written < options_.num_workers || !round_.servers.valid() ||
      round_.servers.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    return Status::OK();
  }
  const int64_t step = round_.step;
  const std::string what = "checkpoint step " + std::to_string(step);
  StatusOr<std::vector<std::string>> lists = round_.servers.get();
  RETURN_IF_ERROR(lists.status().WithContext(what));
  for (const std::string& list : *lists) {
    ASSIGN_OR_RETURN(std::vector<storage::FileEntry> files, storage::ParseFileEntries(list));
    round_.files.insert(round_.files.end(), files.begin(), files.end());
  }
  // COMMIT: the MANIFEST last, then the rename.
  storage::Manifest manifest;
  manifest.step = step;
  manifest.epoch = round_.epoch;
  manifest.num_servers = options_.num_servers;
  manifest.num_workers = options_.num_workers;
  manifest.config = options_.config;
  manifest.files = round_.files;
  RETURN_IF_ERROR(storage::CommitCheckpoint(options_.checkpoint_dir, step, manifest));
  RETURN_IF_ERROR(storage::PruneCheckpoints(options_.checkpoint_dir, options_.keep_checkpoints));
  const std::string committed = options_.checkpoint_dir + "/" + storage::CheckpointName(step);
  int64_t bytes = 0;
  for (const storage::FileEntry& file : round_.files) bytes += file.bytes;
  const double seconds = std::chrono::duration<double>(Clock::now() - round_.start).count();
  reporter_.CheckpointCommitted(step, committed, bytes, seconds);
  if (heartbeats_ != nullptr) heartbeats_->set_newest_checkpoint(committed);
  result->checkpoints.push_back(committed);
  round_ = CheckpointRound{};
  return SendToEveryWorker(net::ControlType::kCheckpointDone, static_cast<uint64_t>(step), committed);
}

Status Scheduler::SendToWorker(int rank, const net::ControlMessage& message) {
  try {
    socket_->send(zmq::buffer(worker_routing_ids_[rank]), zmq::send_flags::sndmore);
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "scheduler send " + ControlTypeName(message.type) + " to worker " + std::to_string(rank),
                          endpoint_);
  }
  return net::SendControl(socket_.get(), message);
}

Status Scheduler::SendToEveryWorker(net::ControlType type, uint64_t step, const std::string& text) {
  for (int r = 0; r < options_.num_workers; ++r) {
    net::ControlMessage message;
    message.type = type;
    message.job_token = options_.job_token;
    message.rank = static_cast<uint32_t>(r);
    message.step = step;
    message.text = text;
    RETURN_IF_ERROR(SendToWorker(r, message));
  }
  return Status::OK();
}

}  // namespace ember::scheduler
