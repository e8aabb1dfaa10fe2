#include "scheduler/scheduler.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>

#include "common/files.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "ps/client.h"
#include "net/control.h"

namespace ember::scheduler {
namespace {

using Clock = std::chrono::steady_clock;

// One epoch's evaluation results, kept by worker rank and joined in rank
// order (so the metrics do not depend on the order the results arrive in).
struct EvalGather {
  int reports = 0;
  std::vector<bool> reported;  // by worker rank: its last part arrived
  std::vector<std::vector<float>> probabilities, labels;  // by worker rank
  std::vector<std::vector<uint64_t>> groups;               // by worker rank; empty: no GAUC
};

}  // namespace

Scheduler::Scheduler(zmq::context_t* context, SchedulerOptions options)
    : context_(context), options_(std::move(options)) {}

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
    return Status::Unavailable("scheduler cannot bind ", options_.bind_endpoint, ": ", e.what());
  }
  endpoint_ = socket_->get(zmq::sockopt::last_endpoint);
  if (!options_.metrics_out.empty()) {
    metrics_.open(options_.metrics_out, std::ios::trunc);
    if (!metrics_) return Status::InvalidArgument("cannot write --metrics_out=", options_.metrics_out);
  }
  return Status::OK();
}

void Scheduler::WriteMetrics(const std::string& json_line) {
  if (metrics_.is_open()) {
    metrics_ << json_line << '\n';
    metrics_.flush();
  }
}

StatusOr<JobResult> Scheduler::Run() {
  SetThreadRole("scheduler", 0);
  if (heartbeats_ != nullptr && !options_.resumed_from.empty()) heartbeats_->set_newest_checkpoint(options_.resumed_from);
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
  JsonObject final_line;
  final_line.Add("event", "final").Add("steps", result.steps).Add("samples", result.samples);
  if (!result.evals.empty()) {
    final_line.Add("test_auc", result.evals.back().auc).Add("test_logloss", result.evals.back().logloss);
    if (!std::isnan(result.evals.back().gauc)) final_line.Add("test_gauc", result.evals.back().gauc);
    if (result.evals.back().ranking_k > 0) {
      const std::string k = std::to_string(result.evals.back().ranking_k);
      final_line.Add("test_hr@" + k, result.evals.back().hit_rate).Add("test_ndcg@" + k, result.evals.back().ndcg);
    }
  }
  final_line.Add("samples_per_sec", result.samples_per_sec);
  const auto hex_list = [](const std::vector<uint64_t>& checksums) {
    std::string list;
    for (uint64_t checksum : checksums) {
      char hex[17];
      std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(checksum));
      if (!list.empty()) list.push_back(',');
      list.append(hex);
    }
    return list;
  };
  final_line.Add("dense_checksums", hex_list(result.dense_checksums));
  final_line.Add("sparse_checksums", hex_list(result.sparse_checksums));
  final_line.Add("table_checksums", hex_list(result.table_checksums));
  WriteMetrics(final_line.ToString());
  std::printf("final: steps %lld, samples %lld, %.0f samples/s", static_cast<long long>(result.steps),
              static_cast<long long>(result.samples), result.samples_per_sec);
  if (!result.evals.empty()) {
    std::printf(", test AUC %.5f, test logloss %.5f", result.evals.back().auc, result.evals.back().logloss);
    if (result.evals.back().ranking_k > 0) {
      std::printf(", test HR@%d %.5f, test NDCG@%d %.5f", result.evals.back().ranking_k, result.evals.back().hit_rate,
                  result.evals.back().ranking_k, result.evals.back().ndcg);
    }
  }
  std::printf("\n");
  std::fflush(stdout);
  return result;
}

Status Scheduler::SendToWorker(const std::string& routing_id, const net::ControlMessage& message) {
  try {
    socket_->send(zmq::buffer(routing_id), zmq::send_flags::sndmore);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot reach worker ", message.rank, ": ", e.what());
  }
  return net::SendControl(socket_.get(), message);
}

Status Scheduler::OnCheckpointMessage(const net::ControlMessage& message, const std::vector<std::string>& routing_ids,
                                      JobResult* result) {
  const int num_workers = options_.num_workers;
  const auto step = static_cast<int64_t>(message.step);
  if (options_.checkpoint_dir.empty()) {
    return Status::FailedPrecondition("worker ", message.rank, " asked for a checkpoint, but there is no --checkpoint_dir");
  }
  if (round_.step != -1 && round_.step != step) {
    return Status::Internal("worker ", message.rank, " is at the checkpoint of step ", step, " while the one of step ",
                            round_.step, " is in progress");
  }
  auto to_workers = [&](net::ControlType type, const std::string& text) -> Status {
    for (int r = 0; r < num_workers; ++r) {
      net::ControlMessage out;
      out.type = type;
      out.job_token = options_.job_token;
      out.rank = static_cast<uint32_t>(r);
      out.step = message.step;
      out.text = text;
      RETURN_IF_ERROR(SendToWorker(routing_ids[r], out));
    }
    return Status::OK();
  };
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
    std::printf("%s: writing %s\n", what.c_str(), round_.tmp_dir.c_str());
    std::fflush(stdout);
    RETURN_IF_ERROR(to_workers(net::ControlType::kCheckpointWrite, round_.tmp_dir));
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
  std::printf("%s: committed %s (%.1f MB in %.2f s, %.0f MB/s)\n", what.c_str(), committed.c_str(), bytes / 1e6,
              seconds, seconds > 0 ? bytes / 1e6 / seconds : 0.0);
  std::fflush(stdout);
  WriteMetrics(JsonObject()
                   .Add("event", "checkpoint")
                   .Add("step", step)
                   .Add("path", committed)
                   .Add("bytes", bytes)
                   .Add("seconds", seconds)
                   .ToString());
  if (heartbeats_ != nullptr) heartbeats_->set_newest_checkpoint(committed);
  result->checkpoints.push_back(committed);
  round_ = CheckpointRound{};
  for (int r = 0; r < options_.num_workers; ++r) {
    net::ControlMessage done;
    done.type = net::ControlType::kCheckpointDone;
    done.job_token = options_.job_token;
    done.rank = static_cast<uint32_t>(r);
    done.step = static_cast<uint64_t>(step);
    done.text = committed;
    RETURN_IF_ERROR(SendToWorker(worker_routing_ids_[r], done));
  }
  return Status::OK();
}

Status Scheduler::Coordinate(JobResult* result) {
  const int num_workers = options_.num_workers;
  std::vector<std::string> routing_ids(num_workers);
  int registered = 0, finished = 0;
  std::vector<bool> done(num_workers, false);
  std::map<int, EvalGather> evals;
  double max_train_seconds = 0;
  // Progress since the last printed line.
  int64_t window_samples = 0, window_steps = 0, last_step = 0;
  double window_loss = 0;
  auto window_start = Clock::now();
  result->dense_checksums.assign(num_workers, 0);
  const auto job_start = Clock::now();

  int receive_timeout_ms = -1;
  while (finished < num_workers) {
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
    if (registered < num_workers &&
        Clock::now() - job_start > std::chrono::milliseconds(options_.register_timeout_ms)) {
      return Status::DeadlineExceeded(registered, " of ", num_workers, " workers registered in ",
                                      options_.register_timeout_ms / 1000, " s");
    }
    // The routing id, the header and the most payload frames a message has,
    // plus one so that a longer message still fails to decode; frames past
    // that are dropped as they are read, so no message costs more than a few.
    constexpr size_t kMaxKeptFrames = 2 + net::kMaxControlPayloadFrames + 1;
    std::vector<zmq::message_t> frames;
    try {
      zmq::message_t first;
      if (!socket_->recv(first, zmq::recv_flags::none)) continue;
      bool more = first.more();
      frames.push_back(std::move(first));
      zmq::message_t dropped;
      while (more) {
        zmq::message_t* into = frames.size() < kMaxKeptFrames ? &frames.emplace_back() : &dropped;
        if (!socket_->recv(*into, zmq::recv_flags::none)) {
          return Status::Internal("scheduler: a multipart message ended early");
        }
        more = into->more();
      }
    } catch (const zmq::error_t& e) {
      return Status::Unavailable("scheduler receive failed: ", e.what());
    }
    if (frames.size() < 2) {
      LOG_IF(WARNING, CountDropped()) << "dropped a control message of " << frames.size() << " frames"
                                      << DroppedSoFar();
      continue;
    }
    const std::string routing_id = frames[0].to_string();
    frames.erase(frames.begin());
    net::ControlMessage message;
    Status decoded = net::DecodeControl(frames, options_.job_token, &message);
    if (decoded.ok() && message.type == net::ControlType::kHeartbeat) {  // rank is the world rank here
      Status answered = heartbeats_ == nullptr ? Status::FailedPrecondition("heartbeats are off")
                                               : heartbeats_->OnHeartbeat(socket_.get(), routing_id, message);
      LOG_IF(WARNING, !answered.ok() && CountDropped()) << "dropped a heartbeat: " << answered << DroppedSoFar();
      continue;
    }
    if (!decoded.ok() || message.rank >= static_cast<uint32_t>(num_workers)) {
      LOG_IF(WARNING, CountDropped())
          << "dropped a control message: "
          << (decoded.ok() ? Status::DataLoss("rank ", message.rank, " out of range") : decoded) << DroppedSoFar();
      continue;
    }
    const int rank = static_cast<int>(message.rank);
    switch (message.type) {
      case net::ControlType::kRegister: {
        if (!routing_ids[rank].empty()) {
          LOG_IF(WARNING, CountDropped()) << "worker " << rank << " registered twice; keeping the first"
                                          << DroppedSoFar();
          break;
        }
        routing_ids[rank] = routing_id;
        worker_routing_ids_ = routing_ids;
        LOG(INFO) << "worker " << rank << " registered (" << ++registered << "/" << num_workers << ")";
        if (registered == num_workers) {
          for (int r = 0; r < num_workers; ++r) {
            net::ControlMessage start;
            start.type = net::ControlType::kStart;
            start.job_token = options_.job_token;
            start.rank = r;
            try {
              socket_->send(zmq::buffer(routing_ids[r]), zmq::send_flags::sndmore);
            } catch (const zmq::error_t& e) {
              return Status::Unavailable("cannot start worker ", r, ": ", e.what());
            }
            RETURN_IF_ERROR(net::SendControl(socket_.get(), start));
          }
          LOG(INFO) << "all " << num_workers << " workers registered; training starts";
        }
        break;
      }
      case net::ControlType::kProgress: {
        window_samples += static_cast<int64_t>(message.numbers[0]);
        window_loss += message.numbers[1];
        window_steps += static_cast<int64_t>(message.numbers[2]);
        last_step = std::max<int64_t>(last_step, static_cast<int64_t>(message.step));
        const double seconds = std::chrono::duration<double>(Clock::now() - window_start).count();
        if (rank == 0 || num_workers == 1) {
          const double rate = seconds > 0 ? window_samples / seconds : 0;
          const double loss = window_samples > 0 ? window_loss / window_samples : 0;
          std::printf("step %lld  epoch %u  %.0f samples/s  loss %.5f\n", static_cast<long long>(last_step),
                      message.epoch, rate, loss);
          std::fflush(stdout);
          WriteMetrics(JsonObject()
                           .Add("event", "progress")
                           .Add("step", last_step)
                           .Add("epoch", static_cast<int64_t>(message.epoch))
                           .Add("samples_per_sec", rate)
                           .Add("loss", loss)
                           .ToString());
          window_samples = window_steps = 0;
          window_loss = 0;
          window_start = Clock::now();
        }
        break;
      }
      case net::ControlType::kEvalResult: {
        EvalGather& gather = evals[message.epoch];
        gather.reported.resize(num_workers, false);
        gather.probabilities.resize(num_workers);
        gather.labels.resize(num_workers);
        gather.groups.resize(num_workers);
        // The parts of one worker's result arrive in order (one DEALER).
        if (routing_ids[rank].empty() || routing_ids[rank] != routing_id || gather.reported[rank] ||
            message.eval_offset != gather.labels[rank].size()) {
          LOG_IF(WARNING, CountDropped()) << "dropped an eval result part of epoch " << message.epoch << " from rank "
                                          << rank << " at sample " << message.eval_offset
                                          << ": not registered from that peer, out of order, or after the last part"
                                          << DroppedSoFar();
          break;
        }
        auto append = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
        append(gather.probabilities[rank], message.probabilities);
        append(gather.labels[rank], message.labels);
        append(gather.groups[rank], message.groups);
        if (!message.eval_last) break;
        gather.reported[rank] = true;
        if (++gather.reports == num_workers) {
          std::vector<float> probabilities, labels;
          std::vector<uint64_t> groups;
          for (int r = 0; r < num_workers; ++r) {
            probabilities.insert(probabilities.end(), gather.probabilities[r].begin(), gather.probabilities[r].end());
            labels.insert(labels.end(), gather.labels[r].begin(), gather.labels[r].end());
            groups.insert(groups.end(), gather.groups[r].begin(), gather.groups[r].end());
          }
          EvalMetrics metrics;
          metrics.epoch = static_cast<int>(message.epoch);
          metrics.examples = static_cast<int64_t>(labels.size());
          metrics.auc = ComputeAuc(probabilities, labels);
          metrics.logloss = ComputeLogloss(probabilities, labels);
          JsonObject line;
          line.Add("event", "eval")
              .Add("epoch", static_cast<int64_t>(metrics.epoch))
              .Add("examples", metrics.examples)
              .Add("test_auc", metrics.auc)
              .Add("test_logloss", metrics.logloss);
          std::printf("eval  epoch %d  examples %lld  AUC %.5f  logloss %.5f", metrics.epoch,
                      static_cast<long long>(metrics.examples), metrics.auc, metrics.logloss);
          if (groups.size() == labels.size() && !groups.empty()) {
            // Every worker sent a user per sample (--gauc_field).
            metrics.gauc = ComputeGauc(probabilities, labels, groups);
            line.Add("test_gauc", metrics.gauc);
            std::printf("  GAUC %.5f", metrics.gauc);
          }
          if (options_.ranking_k > 0) {
            // Each worker's part holds whole groups, and the parts are joined
            // in rank order, so the groups are intact.
            const RankingMetrics ranking = ComputeGroupedLeaveOneOut(probabilities, labels, options_.ranking_k);
            metrics.ranking_k = options_.ranking_k;
            metrics.ranking_users = ranking.users;
            metrics.hit_rate = ranking.hit_rate;
            metrics.ndcg = ranking.ndcg;
            const std::string k = std::to_string(options_.ranking_k);
            line.Add("test_users", ranking.users)
                .Add("test_hr@" + k, ranking.hit_rate)
                .Add("test_ndcg@" + k, ranking.ndcg);
            std::printf("  users %lld  HR@%d %.5f  NDCG@%d %.5f", static_cast<long long>(ranking.users),
                        options_.ranking_k, ranking.hit_rate, options_.ranking_k, ranking.ndcg);
          }
          std::printf("\n");
          std::fflush(stdout);
          WriteMetrics(line.ToString());
          if (!options_.eval_scores_out.empty()) {
            std::string text;
            char number[32];
            for (float p : probabilities) {
              text.append(number, static_cast<size_t>(std::snprintf(number, sizeof(number), "%.9g\n", p)));
            }
            const Status written = WriteFileAtomically(options_.eval_scores_out, text);
            if (!written.ok()) LOG(ERROR) << "--eval_scores_out: " << written;
          }
          result->evals.push_back(metrics);
          evals.erase(message.epoch);
        }
        break;
      }
      case net::ControlType::kDone:
        if (routing_ids[rank].empty() || routing_ids[rank] != routing_id || done[rank]) {
          LOG_IF(WARNING, CountDropped()) << "dropped a DONE from rank " << rank
                                          << ": not registered from that peer, or a second one" << DroppedSoFar();
          break;
        }
        done[rank] = true;
        result->samples += static_cast<int64_t>(message.numbers[0]);
        max_train_seconds = std::max(max_train_seconds, message.numbers[1]);
        result->steps = std::max<int64_t>(result->steps, static_cast<int64_t>(message.step));
        result->dense_checksums[rank] = message.dense_checksum;
        ++finished;
        LOG(INFO) << "worker " << rank << " done after " << message.step << " steps";
        break;
      case net::ControlType::kFailed:
        LOG(ERROR) << "worker " << rank << " failed: " << message.text;
        // The job cannot finish without this worker: stop now; the caller
        // tears the rest down.
        failed_worker_ = rank;
        return Status::Aborted("worker ", rank, " failed: ", message.text);
      case net::ControlType::kCheckpointReady:
      case net::ControlType::kCheckpointWritten:
        if (routing_ids[rank].empty() || routing_ids[rank] != routing_id) {
          LOG_IF(WARNING, CountDropped()) << "dropped a checkpoint message from rank " << rank
                                          << ": not registered from that peer" << DroppedSoFar();
          break;
        }
        RETURN_IF_ERROR(OnCheckpointMessage(message, routing_ids, result));
        break;
      case net::ControlType::kStart:
      case net::ControlType::kCheckpointWrite:
      case net::ControlType::kCheckpointDone:
        LOG_IF(WARNING, CountDropped()) << "dropped a control message of type " << static_cast<int>(message.type)
                                        << " sent to the scheduler by rank " << rank << DroppedSoFar();
        break;
      case net::ControlType::kHeartbeat:  // answered above
        break;
    }
  }
  result->samples_per_sec = max_train_seconds > 0 ? result->samples / max_train_seconds : 0;
  return Status::OK();
}

}  // namespace ember::scheduler
