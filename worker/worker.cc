#include "worker/worker.h"

#include <bit>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/blocking_queue.h"
#include "common/hash.h"
#include "common/logging.h"
#include "data/text_reader.h"

namespace ember::worker {
namespace {

using Clock = std::chrono::steady_clock;
using net::ControlMessage;
using net::ControlType;

// One batch on its way through the pipeline.
struct PreparedBatch {
  data::Batch batch;
  data::ReaderPosition end;                 // the reader's position just after this batch
  std::vector<models::SparseInput> inputs;  // per table
  std::vector<ops::Tensor> rows;            // per table: [unique keys, dim], where the pulls land (host)
  std::vector<ops::Tensor> device_rows;     // the same rows on the model's device (on the CPU: `rows`)
  std::vector<ps::Ticket> pulls;
  int slot = 0;                             // the StagingBuffers slot of rows and device_rows
};

// Starts the pulls of every table's unique keys of `p` into host buffers
// of `slot` (p->rows).
Status StartPull(ps::PsClient* client, const std::vector<sparse::TableConfig>& tables, bool create, int slot,
                 StagingBuffers* host, PreparedBatch* p) {
  p->rows.resize(tables.size());
  p->pulls.clear();
  for (size_t t = 0; t < tables.size(); ++t) {
    const std::vector<Key>& keys = p->inputs[t].unique.keys;
    ASSIGN_OR_RETURN(p->rows[t], host->View(slot, t, static_cast<int64_t>(keys.size()), tables[t].dim));
    ASSIGN_OR_RETURN(ps::Ticket ticket, client->Pull(tables[t].id, keys, p->rows[t].data(), create));
    p->pulls.push_back(ticket);
  }
  p->slot = slot;
  return Status::OK();
}

// Waits for p's pulls and puts the rows on `device` (p->device_rows): on the
// CPU the pulled tensors themselves, on a GPU an asynchronous copy each into
// `on_device`'s buffers of p's slot.
Status FinishPull(ps::PsClient* client, ops::Device device, StagingBuffers* on_device, PreparedBatch* p) {
  for (ps::Ticket ticket : p->pulls) RETURN_IF_ERROR(client->Wait(ticket));
  p->device_rows.resize(p->rows.size());
  for (size_t t = 0; t < p->rows.size(); ++t) {
    if (device.is_cpu()) {
      p->device_rows[t] = p->rows[t];
      continue;
    }
    ASSIGN_OR_RETURN(p->device_rows[t], on_device->View(p->slot, t, p->rows[t].rows(), p->rows[t].cols()));
    RETURN_IF_ERROR(ops::CopyIntoAsync(p->rows[t], &p->device_rows[t]));
  }
  return Status::OK();
}

// The host copy of `t` (t itself when it is on the host).
StatusOr<ops::Tensor> OnHost(const ops::Tensor& t) {
  if (t.device().is_cpu()) return t;
  return t.To(ops::Device::Cpu());
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

// dense.bin's arrays besides the model's parameters (by name).
constexpr char kOptimizerStateArray[] = "optimizer/state";
constexpr char kOptimizerStepArray[] = "optimizer/step_count";  // 2 floats: the low and high 32 bits
// How long a worker waits for the scheduler during a checkpoint.
constexpr int kCheckpointWaitMs = 30 * 60 * 1000;

uint64_t DenseChecksum(const float* values, int64_t count) {
  uint64_t checksum = 0;
  for (int64_t i = 0; i < count; ++i) checksum = Mix64(checksum ^ std::bit_cast<uint32_t>(values[i]));
  return checksum;
}

StatusOr<uint64_t> DenseChecksum(const ops::Tensor& values) {
  ASSIGN_OR_RETURN(const ops::Tensor host, OnHost(values));
  return DenseChecksum(host.data(), host.numel());
}

Worker::Worker(zmq::context_t* context, WorkerOptions options, DenseSync* sync)
    : context_(context), options_(std::move(options)), sync_(sync) {}

Status Worker::Report(const ControlMessage& message) { return net::SendControl(control_.get(), message); }

Status Worker::Run() {
  SetThreadRole("worker", options_.rank);
  Status status = Train();
  if (!status.ok()) {
    LOG(ERROR) << "worker " << options_.rank << " failed: " << status;
    sync_->Abort(status);
    if (control_ != nullptr) {
      ControlMessage failed;
      failed.type = ControlType::kFailed;
      failed.job_token = options_.job_token;
      failed.rank = options_.rank;
      // A control frame is at most kMaxControlFrameBytes.
      failed.text = status.ToString().substr(0, net::kMaxControlFrameBytes);
      Report(failed).IgnoreError();
    }
  }
  return status;
}

Status Worker::Train() {
  control_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::dealer);
  control_->set(zmq::sockopt::linger, 1000);
  RETURN_IF_ERROR(net::ApplyCurveClient(control_.get(), options_.curve).WithContext("worker control socket"));
  try {
    control_->connect(options_.scheduler_endpoint);
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("cannot connect to the scheduler at ", options_.scheduler_endpoint, ": ", e.what());
  }
  ControlMessage hello;
  hello.type = ControlType::kRegister;
  hello.job_token = options_.job_token;
  hello.rank = options_.rank;
  RETURN_IF_ERROR(Report(hello));
  ASSIGN_OR_RETURN(model_, models::CreateModel(options_.model));
  ps::ClientOptions client_options;
  client_options.server_endpoints = options_.server_endpoints;
  client_options.job_token = options_.job_token;
  client_options.tables = model_->tables();
  client_options.worker_rank = options_.rank;
  client_options.curve = options_.curve;
  client_ = std::make_unique<ps::PsClient>(context_, client_options);
  RETURN_IF_ERROR(client_->Connect());
  ops::ParameterSet* params = model_->dense_params();
  ASSIGN_OR_RETURN(ops::DenseOptimizer optimizer,
                   ops::DenseOptimizer::Create(options_.dense_optimizer, params->size(), model_->device()));
  optimizer_ = std::make_unique<ops::DenseOptimizer>(std::move(optimizer));
  ASSIGN_OR_RETURN(sync_buffer_, ops::Tensor::AllocateZeros({params->size() + 1}, model_->device()));
  host_staging_ = std::make_unique<StagingBuffers>(ops::Device::Cpu(), /*pinned=*/model_->device().is_cuda());
  device_staging_ = std::make_unique<StagingBuffers>(model_->device(), /*pinned=*/false);
  LOG(INFO) << "worker " << options_.rank << ": dense part (" << params->size() << " parameters) on "
            << model_->device().DebugString();

  int first_epoch = 0;
  std::optional<data::ReaderPosition> resume_position;
  if (!options_.resume_from.empty()) {
    ASSIGN_OR_RETURN(storage::WorkerState state, Resume());
    first_epoch = state.epoch_done ? state.epoch + 1 : state.epoch;
    if (!state.epoch_done) {
      data::ReaderPosition position;
      position.file_index = state.reader_file_index;
      position.offset = state.reader_offset;
      position.line = state.reader_line;
      position.records = state.reader_records;
      position.bad_lines = state.reader_bad_lines;
      resume_position = position;
    }
  }

  if (interactions()) {
    data::InteractionDataOptions data_options = options_.interactions;
    data_options.files = options_.train_files;
    data_options.max_bad_lines = options_.max_bad_lines;
    data_options.seed = options_.model.seed;
    ASSIGN_OR_RETURN(interaction_data_, data::InteractionData::Load(data_options));
  }

  ASSIGN_OR_RETURN(ControlMessage start, ReceiveControl(120'000, "START"));
  if (start.type != ControlType::kStart) return Status::Internal("expected START, got control type ", static_cast<int>(start.type));

  bool stop = MaxStepsReached(global_step_);
  for (int epoch = first_epoch; epoch < options_.epochs && !stop; ++epoch) {
    epoch_start_ = Clock::now();
    RETURN_IF_ERROR(RunEpoch(epoch, resume_position ? &*resume_position : nullptr, &stop));
    resume_position.reset();
    train_seconds_ += SecondsSince(epoch_start_);
    if (!options_.eval_files.empty() || interactions()) RETURN_IF_ERROR(Evaluate(epoch));
    // The end of an epoch is a checkpoint (unless max_steps took one just now).
    if (options_.checkpoints && !stop) RETURN_IF_ERROR(Checkpoint(epoch, data::ReaderPosition{}, /*epoch_done=*/true));
  }
  ControlMessage done;
  done.type = ControlType::kDone;
  done.job_token = options_.job_token;
  done.rank = options_.rank;
  done.step = global_step_;
  done.numbers = {static_cast<double>(samples_trained_), train_seconds_};
  ASSIGN_OR_RETURN(done.dense_checksum, DenseChecksum(model_->dense_params()->flat_values()));
  return Report(done);
}

StatusOr<std::unique_ptr<data::Reader>> Worker::MakeReader(int epoch, bool eval) const {
  if (interactions()) {
    data::InteractionReaderOptions reader_options;
    using Mode = data::InteractionReaderOptions::Mode;
    reader_options.mode = eval ? Mode::kEval : Mode::kTrain;
    reader_options.batch_size = options_.batch_size;
    reader_options.neg_per_pos = options_.neg_per_pos;
    reader_options.max_seq_len = models::HistoryLength(options_.model);
    reader_options.epoch = epoch;
    reader_options.seed = options_.model.seed;
    reader_options.part = options_.rank;
    reader_options.num_parts = options_.num_workers;
    return std::unique_ptr<data::Reader>(std::make_unique<data::InteractionReader>(interaction_data_, reader_options));
  }
  data::TextReaderOptions reader_options;
  reader_options.format = options_.data_format;
  reader_options.files = eval ? options_.eval_files : options_.train_files;
  reader_options.schema = options_.schema;
  reader_options.delimiter = options_.schema_delimiter;
  reader_options.header = options_.schema_header;
  reader_options.batch_size = options_.batch_size;
  reader_options.max_bad_lines = options_.max_bad_lines;
  reader_options.part = options_.rank;
  reader_options.num_parts = options_.num_workers;
  return data::MakeTextReader(std::move(reader_options));
}

StatusOr<ControlMessage> Worker::ReceiveControl(int timeout_ms, const std::string& what) {
  control_->set(zmq::sockopt::rcvtimeo, timeout_ms);
  std::vector<zmq::message_t> frames;
  try {
    if (!zmq::recv_multipart(*control_, std::back_inserter(frames))) {
      return Status::DeadlineExceeded("no ", what, " from the scheduler at ", options_.scheduler_endpoint, " in ",
                                      timeout_ms / 1000, " s");
    }
  } catch (const zmq::error_t& e) {
    return Status::Unavailable("control receive failed while waiting for ", what, ": ", e.what());
  }
  ControlMessage message;
  RETURN_IF_ERROR(net::DecodeControl(frames, options_.job_token, &message).WithContext(what));
  return message;
}

StatusOr<storage::WorkerState> Worker::Resume() {
  const std::string dir = options_.resume_from;
  ASSIGN_OR_RETURN(storage::WorkerState state,
                   storage::ReadWorkerState(dir + "/" + storage::WorkerStateFileName(options_.rank)));
  if (state.rank != options_.rank) {
    return Status::DataLoss(dir, "/", storage::WorkerStateFileName(options_.rank), " holds the state of worker ",
                            state.rank);
  }
  ASSIGN_OR_RETURN(std::vector<storage::DenseArray> arrays, storage::ReadDenseFile(dir + "/dense.bin"));
  ops::ParameterSet* params = model_->dense_params();
  ops::Tensor state_tensor = optimizer_->state();
  int restored = 0;
  for (const storage::DenseArray& array : arrays) {
    // The saved floats into `into` (host or device).
    auto copy_into = [&](ops::Tensor into) -> Status {
      if (static_cast<int64_t>(array.values.size()) != into.numel()) {
        return Status::DataLoss(dir, "/dense.bin: '", array.name, "' has ", array.values.size(), " floats, the model ",
                                into.numel());
      }
      const ops::Tensor saved =
          ops::Tensor::View(const_cast<float*>(array.values.data()), {static_cast<int64_t>(array.values.size())});
      if (!saved.empty()) RETURN_IF_ERROR(ops::CopyInto(saved, &into));
      ++restored;
      return Status::OK();
    };
    if (array.name == kOptimizerStateArray) {
      RETURN_IF_ERROR(copy_into(state_tensor));
    } else if (array.name == kOptimizerStepArray) {
      if (array.values.size() != 2) return Status::DataLoss(dir, "/dense.bin: '", array.name, "' is not 2 floats");
      optimizer_->set_step_count(static_cast<int64_t>(std::bit_cast<uint32_t>(array.values[0])) |
                                 static_cast<int64_t>(std::bit_cast<uint32_t>(array.values[1])) << 32);
      ++restored;
    } else {
      StatusOr<int> id = params->Find(array.name);
      if (!id.ok()) return Status::DataLoss(dir, "/dense.bin: the model has no parameter '", array.name, "'");
      RETURN_IF_ERROR(copy_into(params->value(*id)));
    }
  }
  if (restored != params->count() + 2) {
    return Status::DataLoss(dir, "/dense.bin: ", restored, " arrays restored, the model needs ", params->count() + 2);
  }
  global_step_ = state.global_step;
  samples_trained_ = state.samples_trained;
  train_seconds_ = state.train_seconds;
  LOG(INFO) << "worker " << options_.rank << " resumes from " << dir << " at step " << global_step_ << ", epoch "
            << state.epoch << (state.epoch_done ? " (done)" : "");
  return state;
}

Status Worker::Checkpoint(int epoch, const data::ReaderPosition& position, bool epoch_done) {
  ControlMessage ready;
  ready.type = ControlType::kCheckpointReady;
  ready.job_token = options_.job_token;
  ready.rank = options_.rank;
  ready.epoch = static_cast<uint32_t>(epoch);
  ready.step = static_cast<uint64_t>(global_step_);
  RETURN_IF_ERROR(Report(ready));
  // Every worker reaches the step together (the allreduce); the scheduler
  // answers once all did.
  ASSIGN_OR_RETURN(ControlMessage write, ReceiveControl(kCheckpointWaitMs, "CHECKPOINT_WRITE"));
  if (write.type != ControlType::kCheckpointWrite || write.step != ready.step) {
    return Status::Internal("expected CHECKPOINT_WRITE of step ", ready.step, ", got control type ",
                            static_cast<int>(write.type), " of step ", write.step);
  }
  const std::string& dir = write.text;
  storage::WorkerState state;
  state.rank = options_.rank;
  state.epoch = epoch;
  state.global_step = global_step_;
  state.samples_trained = samples_trained_;
  // Mid-epoch, the epoch's seconds so far too (at its end they are in).
  state.train_seconds = train_seconds_ + (epoch_done ? 0.0 : SecondsSince(epoch_start_));
  state.reader_file_index = position.file_index;
  state.reader_offset = position.offset;
  state.reader_line = position.line;
  state.reader_records = position.records;
  state.reader_bad_lines = position.bad_lines;
  state.epoch_done = epoch_done;
  std::vector<storage::FileEntry> files;
  ASSIGN_OR_RETURN(storage::FileEntry state_file,
                   storage::WriteWorkerState(dir + "/" + storage::WorkerStateFileName(options_.rank), state));
  files.push_back(state_file);
  if (options_.rank == 0) {
    // Every replica holds the same dense parameters: rank 0 writes them.
    ops::ParameterSet* params = model_->dense_params();
    std::vector<storage::DenseArray> arrays;
    // Parameters and optimizer state go to the file the same way from any
    // device, so a checkpoint of a GPU job resumes on the CPU and back.
    auto host_floats = [](const ops::Tensor& t) -> StatusOr<std::vector<float>> {
      ASSIGN_OR_RETURN(const ops::Tensor host, OnHost(t));
      if (host.empty()) return std::vector<float>();
      return std::vector<float>(host.data(), host.data() + host.numel());
    };
    for (int id = 0; id < params->count(); ++id) {
      ASSIGN_OR_RETURN(std::vector<float> values, host_floats(params->value(id)));
      arrays.push_back({params->name(id), params->shape(id), std::move(values)});
    }
    ops::Tensor optimizer_state = optimizer_->state();
    ASSIGN_OR_RETURN(std::vector<float> state_values, host_floats(optimizer_state));
    arrays.push_back({kOptimizerStateArray, {optimizer_state.numel()}, std::move(state_values)});
    const auto step_count = static_cast<uint64_t>(optimizer_->step_count());
    arrays.push_back({kOptimizerStepArray, {2},
                      {std::bit_cast<float>(static_cast<uint32_t>(step_count)),
                       std::bit_cast<float>(static_cast<uint32_t>(step_count >> 32))}});
    ASSIGN_OR_RETURN(storage::FileEntry dense_file, storage::WriteDenseFile(dir + "/dense.bin", arrays));
    files.push_back(dense_file);
  }
  ControlMessage written;
  written.type = ControlType::kCheckpointWritten;
  written.job_token = options_.job_token;
  written.rank = options_.rank;
  written.epoch = ready.epoch;
  written.step = ready.step;
  for (storage::FileEntry& file : files) {
    file.path = std::filesystem::path(file.path).lexically_relative(dir).string();
    written.text += storage::FormatFileEntry(file) + "\n";
  }
  RETURN_IF_ERROR(Report(written));
  ASSIGN_OR_RETURN(ControlMessage done, ReceiveControl(kCheckpointWaitMs, "CHECKPOINT_DONE"));
  if (done.type != ControlType::kCheckpointDone || done.step != ready.step) {
    return Status::Internal("expected CHECKPOINT_DONE of step ", ready.step, ", got control type ",
                            static_cast<int>(done.type), " of step ", done.step);
  }
  return Status::OK();
}

Status Worker::RunEpoch(int epoch, const data::ReaderPosition* start, bool* stop) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::Reader> reader_ptr, MakeReader(epoch, /*eval=*/false));
  data::Reader& reader = *reader_ptr;
  RETURN_IF_ERROR(reader.Open());
  if (start != nullptr) RETURN_IF_ERROR(reader.Seek(*start));
  // Where this worker's reader stands after the batches trained so far
  // (read here, before the reader thread owns the reader).
  data::ReaderPosition trained_position = reader.position();

  // Reader thread: parse, collect keys, dedup.
  BlockingQueue<std::unique_ptr<PreparedBatch>> queue(options_.prefetch_batches);
  Status reader_status;
  std::thread reader_thread([&] {
    SetThreadRole("reader", options_.rank);
    while (true) {
      auto prepared = std::make_unique<PreparedBatch>();
      StatusOr<bool> more = reader.Next(&prepared->batch);
      if (!more.ok()) {
        reader_status = more.status();
        break;
      }
      if (!*more) {
        reader_status = data::CheckPassReadRecords(reader.position())
                            .WithContext("worker " + std::to_string(options_.rank) + ", --train_files");
        break;
      }
      prepared->end = reader.position();
      model_->PrepareInputs(prepared->batch, &prepared->inputs);
      if (!queue.Push(std::move(prepared))) break;
    }
    queue.Close();
  });
  bool reader_joined = false;
  auto join_reader = [&]() -> Status {
    if (!reader_joined) {
      queue.Close();
      reader_thread.join();
      reader_joined = true;
    }
    return reader_status;
  };
  // The next batch, or nullptr once this worker's part is exhausted.
  auto next_batch = [&]() -> StatusOr<std::unique_ptr<PreparedBatch>> {
    std::optional<std::unique_ptr<PreparedBatch>> item = queue.Pop();
    if (item.has_value()) return std::move(*item);
    RETURN_IF_ERROR(join_reader());
    return std::unique_ptr<PreparedBatch>();
  };

  const auto& tables = model_->tables();
  auto start_pull = [&](PreparedBatch* p, int64_t step) -> Status {
    client_->set_step(static_cast<uint64_t>(step));
    return StartPull(client_.get(), tables, /*create=*/true, static_cast<int>(step % 2), host_staging_.get(), p);
  };

  Status status = [&]() -> Status {
    ops::ParameterSet* params = model_->dense_params();
    ops::Tensor values = params->flat_values();
    ops::Tensor grads = params->flat_grads();
    std::vector<ops::Tensor> row_grads;
    std::vector<ops::Tensor> host_row_grads(tables.size());  // row_grads on the host, for the pushes
    std::vector<ps::Ticket> pending_pushes;
    models::StepResult result;
    double report_samples = 0, report_loss = 0, report_steps = 0;
    // Sends what was trained since the last report, if anything.
    auto report_progress = [&]() -> Status {
      if (report_steps == 0) return Status::OK();
      ControlMessage progress;
      progress.type = ControlType::kProgress;
      progress.job_token = options_.job_token;
      progress.rank = options_.rank;
      progress.epoch = epoch;
      progress.step = global_step_;
      progress.numbers = {report_samples, report_loss, report_steps};
      report_samples = report_loss = report_steps = 0;
      return Report(progress);
    };

    ASSIGN_OR_RETURN(std::unique_ptr<PreparedBatch> current, next_batch());
    if (current) RETURN_IF_ERROR(start_pull(current.get(), global_step_));
    while (true) {
      std::unique_ptr<PreparedBatch> next;
      // A checkpoint after this step must see no pull of the next one: a
      // creating pull changes rows (and admission counts).
      const bool checkpoint_after = CheckpointDue(global_step_ + 1);
      bool next_pulled = false;
      if (current) {
        RETURN_IF_ERROR(FinishPull(client_.get(), model_->device(), device_staging_.get(), current.get()));
        ASSIGN_OR_RETURN(next, next_batch());
        // Overlaps this step's compute; under --sync it waits for this step's push (below).
        if (next && !options_.sync && !checkpoint_after) {
          RETURN_IF_ERROR(start_pull(next.get(), global_step_ + 1));
          next_pulled = true;
        }
      }
      RETURN_IF_ERROR(params->ZeroGrads());
      const float batch_size = current ? static_cast<float>(current->batch.size) : 0.f;
      if (current) {
        RETURN_IF_ERROR(model_->TrainStep(current->batch, current->inputs, current->device_rows, &row_grads, &result));
        // A NaN or infinite loss means the model diverged: stop before its
        // gradients reach the servers or a checkpoint overwrites a good one.
        if (!std::isfinite(result.mean_loss)) {
          return Status::Aborted("training diverged at step ", global_step_, ": the mean loss of worker ",
                                 options_.rank, "'s batch is ", result.mean_loss,
                                 "; lower --dense_learning_rate or --deep_learning_rate (the checkpoints written "
                                 "so far are intact)");
        }
        // The row gradients to the host for the push: on a GPU asynchronous
        // copies that run while the dense gradients are summed.
        for (size_t t = 0; t < tables.size(); ++t) {
          if (row_grads[t].device().is_cpu()) {
            host_row_grads[t] = row_grads[t];
            continue;
          }
          ASSIGN_OR_RETURN(host_row_grads[t], host_staging_->View(StagingBuffers::kGradientSlot, t,
                                                                  row_grads[t].rows(), row_grads[t].cols()));
          RETURN_IF_ERROR(ops::CopyIntoAsync(row_grads[t], &host_row_grads[t]));
        }
        report_loss += result.mean_loss * batch_size;
        report_samples += batch_size;
        report_steps += 1;
      }
      // Dense sync: the global-batch mean of the dense gradients. A single
      // worker's gradient already is that mean.
      if (sync_->num_workers() == 1) {
        if (!current) break;
      } else {
        ASSIGN_OR_RETURN(const float total, SumOverWorkers(batch_size, &grads));
        if (total == 0.f) break;  // every worker's part is done
      }
      RETURN_IF_ERROR(optimizer_->Step(&values, grads));
      // Push the row gradients; wait for the previous step's pushes. Under
      // --sync every step ends with a push to every server (empty ones when
      // this worker has no batch), so that the servers can complete it.
      std::vector<ps::Ticket> pushes;
      client_->set_step(static_cast<uint64_t>(global_step_));
      if (current || options_.sync) {
        RETURN_IF_ERROR(ops::Synchronize(model_->device()));  // the row gradients' copies have landed
        for (size_t t = 0; t < tables.size(); ++t) {
          std::span<const Key> keys;
          std::span<const float> table_grads;
          if (current) {
            keys = current->inputs[t].unique.keys;
            table_grads =
                std::span<const float>(host_row_grads[t].data(), static_cast<size_t>(host_row_grads[t].numel()));
          }
          ASSIGN_OR_RETURN(ps::Ticket ticket, client_->Push(tables[t].id, keys, table_grads,
                                                            /*end_of_step=*/options_.sync && t + 1 == tables.size()));
          pushes.push_back(ticket);
        }
        if (current) {
          samples_trained_ += current->batch.size;
          trained_position = current->end;
        }
      }
      if (options_.sync && next && !checkpoint_after) {
        RETURN_IF_ERROR(start_pull(next.get(), global_step_ + 1));
        next_pulled = true;
      }
      for (ps::Ticket ticket : pending_pushes) RETURN_IF_ERROR(client_->Wait(ticket));
      pending_pushes = std::move(pushes);
      ++global_step_;
      if (global_step_ % options_.progress_every_steps == 0) RETURN_IF_ERROR(report_progress());
      if (checkpoint_after) {
        // Every push of this step is applied before the servers snapshot.
        for (ps::Ticket ticket : pending_pushes) RETURN_IF_ERROR(client_->Wait(ticket));
        pending_pushes.clear();
        RETURN_IF_ERROR(report_progress());
        RETURN_IF_ERROR(Checkpoint(epoch, trained_position, /*epoch_done=*/false));
      }
      if (MaxStepsReached(global_step_)) {
        if (next_pulled) {
          for (ps::Ticket ticket : next->pulls) RETURN_IF_ERROR(client_->Wait(ticket));
        }
        *stop = true;
        break;
      }
      if (next && !next_pulled) RETURN_IF_ERROR(start_pull(next.get(), global_step_));
      current = std::move(next);
    }
    for (ps::Ticket ticket : pending_pushes) RETURN_IF_ERROR(client_->Wait(ticket));
    return report_progress();
  }();
  Status reader_result = join_reader();
  RETURN_IF_ERROR(status);
  return reader_result;
}

StatusOr<float> Worker::SumOverWorkers(float batch_size, ops::Tensor* grads) {
  const int64_t num_params = grads->numel();
  ops::Tensor weighted = sync_buffer_.Slice(0, num_params);
  ops::Tensor count = sync_buffer_.Slice(num_params, 1);
  RETURN_IF_ERROR(ops::CopyInto(*grads, &weighted));
  RETURN_IF_ERROR(ops::Scale(batch_size, &weighted));
  RETURN_IF_ERROR(ops::Fill(batch_size, &count));
  RETURN_IF_ERROR(sync_->AllreduceSum(&sync_buffer_));
  float total = 0.f;
  ops::Tensor host_total = ops::Tensor::View(&total, {1});
  RETURN_IF_ERROR(ops::CopyInto(count, &host_total));
  if (total == 0.f) return total;
  RETURN_IF_ERROR(ops::CopyInto(weighted, grads));
  RETURN_IF_ERROR(ops::Scale(1.f / total, grads));
  return total;
}

Status Worker::Evaluate(int epoch) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::Reader> reader_ptr, MakeReader(epoch, /*eval=*/true));
  data::Reader& reader = *reader_ptr;
  RETURN_IF_ERROR(reader.Open());
  const auto& tables = model_->tables();
  ControlMessage result;
  result.type = ControlType::kEvalResult;
  result.job_token = options_.job_token;
  result.rank = options_.rank;
  result.epoch = epoch;
  result.step = global_step_;
  // The result goes out in parts of at most kMaxEvalSamplesPerMessage
  // samples as it fills (net/control.h), the last part when the pass ends.
  auto send_parts = [&](bool last) -> Status {
    while (result.labels.size() >= net::kMaxEvalSamplesPerMessage || last) {
      ControlMessage part = result;
      const size_t n = std::min(result.labels.size(), net::kMaxEvalSamplesPerMessage);
      part.probabilities.assign(result.probabilities.begin(), result.probabilities.begin() + static_cast<ptrdiff_t>(n));
      part.labels.assign(result.labels.begin(), result.labels.begin() + static_cast<ptrdiff_t>(n));
      if (!result.groups.empty()) part.groups.assign(result.groups.begin(), result.groups.begin() + static_cast<ptrdiff_t>(n));
      part.eval_last = last && n == result.labels.size();
      RETURN_IF_ERROR(Report(part));
      result.probabilities.erase(result.probabilities.begin(), result.probabilities.begin() + static_cast<ptrdiff_t>(n));
      result.labels.erase(result.labels.begin(), result.labels.begin() + static_cast<ptrdiff_t>(n));
      if (!result.groups.empty()) result.groups.erase(result.groups.begin(), result.groups.begin() + static_cast<ptrdiff_t>(n));
      result.eval_offset += n;
      if (part.eval_last) break;
    }
    return Status::OK();
  };
  PreparedBatch p;
  std::vector<float> probabilities;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader.Next(&p.batch));
    if (!more) {
      RETURN_IF_ERROR(data::CheckPassReadRecords(reader.position())
                          .WithContext("worker " + std::to_string(options_.rank) + ", --eval_files"));
      break;
    }
    model_->PrepareInputs(p.batch, &p.inputs);
    RETURN_IF_ERROR(StartPull(client_.get(), tables, /*create=*/false, /*slot=*/0, host_staging_.get(), &p));
    RETURN_IF_ERROR(FinishPull(client_.get(), model_->device(), device_staging_.get(), &p));
    RETURN_IF_ERROR(model_->Predict(p.batch, p.inputs, p.device_rows, &probabilities));
    result.probabilities.insert(result.probabilities.end(), probabilities.begin(), probabilities.end());
    result.labels.insert(result.labels.end(), p.batch.labels.begin(), p.batch.labels.end());
    if (options_.gauc_field >= 0) {
      if (options_.gauc_field >= static_cast<int>(p.batch.fields.size())) {
        return Status::InvalidArgument("--gauc_field=", options_.gauc_field, " but the eval batches have ",
                                       p.batch.fields.size(), " categorical fields");
      }
      const data::SparseField& users = p.batch.fields[options_.gauc_field];
      for (int64_t b = 0; b < p.batch.size; ++b) {
        result.groups.push_back(users.NumKeys(b) > 0 ? users.keys[users.offsets[b]] : 0);
      }
    }
    RETURN_IF_ERROR(send_parts(/*last=*/false));
  }
  return send_parts(/*last=*/true);
}

}  // namespace ember::worker
