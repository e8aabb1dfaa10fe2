#include "worker/worker.h"

#include <chrono>
#include <filesystem>
#include <optional>
#include <span>
#include <utility>

#include "common/logging.h"
#include "data/text_reader.h"
#include "worker/dense_state.h"
#include "worker/internal/pulled_batch.h"

namespace ember::worker {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// How long a worker waits for the scheduler during a checkpoint.
constexpr int kCheckpointWaitMs = 30 * 60 * 1000;
// How long a worker waits for START after its set-up.
constexpr int kStartWaitMs = 120'000;

ControlChannelOptions ControlOptionsOf(const WorkerOptions& options) {
  ControlChannelOptions control;
  control.scheduler_endpoint = options.scheduler_endpoint;
  control.job_token = options.job_token;
  control.rank = options.rank;
  control.curve = options.curve;
  return control;
}

}  // namespace

data::InteractionDataOptions InteractionDataOptionsFor(const WorkerOptions& options) {
  data::InteractionDataOptions data_options = options.interactions;
  data_options.files = options.train_files;
  data_options.max_bad_lines = options.max_bad_lines;
  data_options.seed = options.model.seed;
  return data_options;
}

data::TextReaderOptions TextReaderOptionsFor(const WorkerOptions& options, bool eval) {
  data::TextReaderOptions reader_options;
  reader_options.format = options.data_format;
  reader_options.files = eval ? options.eval_files : options.train_files;
  reader_options.schema = options.schema;
  reader_options.delimiter = options.schema_delimiter;
  reader_options.header = options.schema_header;
  reader_options.batch_size = options.batch_size;
  reader_options.max_bad_lines = options.max_bad_lines;
  reader_options.part = options.rank;
  reader_options.num_parts = options.num_workers;
  return reader_options;
}

data::InteractionReaderOptions InteractionReaderOptionsFor(const WorkerOptions& options, int epoch, bool eval) {
  data::InteractionReaderOptions reader_options;
  using Mode = data::InteractionReaderOptions::Mode;
  reader_options.mode = !eval ? Mode::kTrain : options.recommend ? Mode::kRecommend : Mode::kEval;
  reader_options.batch_size = options.batch_size;
  reader_options.neg_per_pos = options.neg_per_pos;
  reader_options.max_seq_len = models::HistoryLength(options.model);
  reader_options.epoch = epoch;
  reader_options.seed = options.model.seed;
  reader_options.part = options.rank;
  reader_options.num_parts = options.num_workers;
  return reader_options;
}

Worker::Worker(zmq::context_t* context, WorkerOptions options, DenseSync* sync)
    : context_(context), options_(std::move(options)), sync_(sync), control_(context, ControlOptionsOf(options_)) {}

Status Worker::Run() {
  SetThreadRole("worker", options_.rank);
  Status status = Train();
  if (!status.ok()) {
    LOG(ERROR) << "worker " << options_.rank << " failed: " << status;
    sync_->Abort(status);
    if (control_.opened()) control_.SendFailed(status);
  }
  return status;
}

Status Worker::SetUp() {
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
  ASSIGN_OR_RETURN(dense_step_, DenseStep::Create(sync_, params, optimizer_.get()));
  host_staging_ = std::make_unique<StagingBuffers>(ops::Device::Cpu(), /*pinned=*/model_->device().is_cuda());
  device_staging_ = std::make_unique<StagingBuffers>(model_->device(), /*pinned=*/false);
  LOG(INFO) << "worker " << options_.rank << ": dense part (" << params->size() << " parameters) on "
            << model_->device().DebugString();
  return Status::OK();
}

Status Worker::Train() {
  RETURN_IF_ERROR(control_.Register());
  RETURN_IF_ERROR(SetUp());

  int first_epoch = 0;
  std::optional<data::ReaderPosition> resume_position;
  if (options_.evaluate_only) {
    if (options_.resume_from.empty()) return Status::InvalidArgument("evaluate_only needs resume_from");
    // The parameters only: the optimizer's state is training's.
    RETURN_IF_ERROR(RestoreDenseState(options_.resume_from + "/dense.bin", model_->dense_params(), nullptr));
    counters_.global_step = options_.resumed_step;
  } else if (!options_.resume_from.empty()) {
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
    ASSIGN_OR_RETURN(interaction_data_, data::InteractionData::Load(InteractionDataOptionsFor(options_)));
  }

  RETURN_IF_ERROR(control_.AwaitStart(kStartWaitMs));

  if (options_.evaluate_only) {
    RETURN_IF_ERROR(Evaluate(static_cast<int>(options_.resumed_epoch)));
    ASSIGN_OR_RETURN(const uint64_t dense_checksum, DenseChecksum(model_->dense_params()->flat_values()));
    return control_.SendDone(counters_.global_step, 0.0, 0.0, dense_checksum);
  }
  bool stop = options_.pipeline.MaxStepsReached(counters_.global_step);
  for (int epoch = first_epoch; epoch < options_.epochs && !stop; ++epoch) {
    epoch_start_ = Clock::now();
    RETURN_IF_ERROR(RunEpoch(epoch, resume_position ? &*resume_position : nullptr, &stop));
    resume_position.reset();
    train_seconds_ += SecondsSince(epoch_start_);
    if (!options_.eval_files.empty() || interactions()) RETURN_IF_ERROR(Evaluate(epoch));
    // The end of an epoch is a checkpoint (unless max_steps took one just now).
    if (options_.pipeline.checkpoints && !stop) {
      RETURN_IF_ERROR(WriteCheckpoint(epoch, data::ReaderPosition{}, /*epoch_done=*/true));
    }
  }
  ASSIGN_OR_RETURN(const uint64_t dense_checksum, DenseChecksum(model_->dense_params()->flat_values()));
  return control_.SendDone(counters_.global_step, static_cast<double>(counters_.samples_trained), train_seconds_,
                           dense_checksum);
}

Status Worker::RunEpoch(int epoch, const data::ReaderPosition* start, bool* stop) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::Reader> reader, MakeReader(epoch, /*eval=*/false));
  RETURN_IF_ERROR(reader->Open());
  if (start != nullptr) RETURN_IF_ERROR(reader->Seek(*start));
  StepPipeline pipeline(options_.rank, options_.pipeline, model_.get(), client_.get(), dense_step_.get(),
                        host_staging_.get(), device_staging_.get(), this);
  return pipeline.RunEpoch(epoch, reader.get(), &counters_, stop);
}

Status Worker::Progress(int epoch, int64_t global_step, const ProgressReport& report) {
  return control_.SendProgress(epoch, global_step, report.samples, report.loss_sum, report.steps, report.part_done);
}

Status Worker::Checkpoint(int epoch, int64_t /*global_step*/, const data::ReaderPosition& trained) {
  return WriteCheckpoint(epoch, trained, /*epoch_done=*/false);
}

StatusOr<std::unique_ptr<data::Reader>> Worker::MakeReader(int epoch, bool eval) const {
  if (interactions()) {
    return std::unique_ptr<data::Reader>(std::make_unique<data::InteractionReader>(
        interaction_data_, InteractionReaderOptionsFor(options_, epoch, eval)));
  }
  return data::MakeTextReader(TextReaderOptionsFor(options_, eval));
}

StatusOr<storage::WorkerState> Worker::Resume() {
  const std::string dir = options_.resume_from;
  ASSIGN_OR_RETURN(storage::WorkerState state,
                   storage::ReadWorkerState(dir + "/" + storage::WorkerStateFileName(options_.rank)));
  if (state.rank != options_.rank) {
    return Status::DataLoss(dir, "/", storage::WorkerStateFileName(options_.rank), " holds the state of worker ",
                            state.rank);
  }
  RETURN_IF_ERROR(RestoreDenseState(dir + "/dense.bin", model_->dense_params(), optimizer_.get()));
  counters_.global_step = state.global_step;
  counters_.samples_trained = state.samples_trained;
  train_seconds_ = state.train_seconds;
  LOG(INFO) << "worker " << options_.rank << " resumes from " << dir << " at step " << counters_.global_step
            << ", epoch " << state.epoch << (state.epoch_done ? " (done)" : "");
  return state;
}

Status Worker::WriteCheckpoint(int epoch, const data::ReaderPosition& position, bool epoch_done) {
  // Every worker reaches the step together (the allreduce); the scheduler
  // answers once all did.
  ASSIGN_OR_RETURN(const std::string dir, control_.CheckpointReady(epoch, counters_.global_step, kCheckpointWaitMs));
  storage::WorkerState state;
  state.rank = options_.rank;
  state.epoch = epoch;
  state.global_step = counters_.global_step;
  state.samples_trained = counters_.samples_trained;
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
    ASSIGN_OR_RETURN(storage::FileEntry dense_file,
                     WriteDenseState(dir + "/dense.bin", model_->dense_params(), optimizer_.get()));
    files.push_back(dense_file);
  }
  std::string file_lines;
  for (storage::FileEntry& file : files) {
    file.path = std::filesystem::path(file.path).lexically_relative(dir).string();
    file_lines += storage::FormatFileEntry(file) + "\n";
  }
  return control_.CheckpointWritten(epoch, counters_.global_step, file_lines, kCheckpointWaitMs);
}

Status Worker::Evaluate(int epoch) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::Reader> reader, MakeReader(epoch, /*eval=*/true));
  RETURN_IF_ERROR(reader->Open());
  EvalResultSender result(&control_, epoch, counters_.global_step);
  internal::PreparedBatch p;
  std::vector<float> probabilities;
  std::vector<uint64_t> users;  // per sample its user, for GAUC (--gauc_field)
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&p.batch));
    if (!more) {
      RETURN_IF_ERROR(data::CheckPassReadRecords(reader->position())
                          .WithContext("worker " + std::to_string(options_.rank) + ", --eval_files"));
      break;
    }
    model_->PrepareInputs(p.batch, &p.inputs);
    RETURN_IF_ERROR(
        internal::StartPull(client_.get(), model_->tables(), /*create=*/false, /*slot=*/0, host_staging_.get(), &p));
    RETURN_IF_ERROR(internal::FinishPull(client_.get(), model_->device(), device_staging_.get(), &p));
    RETURN_IF_ERROR(model_->Predict(p.batch, p.inputs, p.device_rows, &probabilities));
    users.clear();
    if (options_.gauc_field >= 0) {
      if (options_.gauc_field >= static_cast<int>(p.batch.fields.size())) {
        return Status::InvalidArgument("--gauc_field=", options_.gauc_field, " but the eval batches have ",
                                       p.batch.fields.size(), " categorical fields");
      }
      const data::SparseField& field = p.batch.fields[options_.gauc_field];
      for (int64_t b = 0; b < p.batch.size; ++b) {
        users.push_back(field.NumKeys(b) > 0 ? field.keys[field.offsets[b]] : 0);
      }
    }
    RETURN_IF_ERROR(result.Add(probabilities, p.batch.labels, users));
  }
  return result.Finish();
}

}  // namespace ember::worker
