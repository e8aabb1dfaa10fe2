// tests/worker/pipeline_fakes.h: what step_pipeline_test runs a
// StepPipeline against, without sockets or files: FakeReader (batches made
// up from their index), FakeClient (a ps::PullPushClient that records every
// request and can fail one), RecordingEvents (the StepEvents, with what the
// client had in flight at each checkpoint) and PipelineHarness (a small
// wide & deep model on the CPU, its optimizer and DenseStep, and the fakes).
// One test thread drives each harness; only FakeReader's counters and
// FakeClient::PullsStarted are read across threads (atomics).
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/hash.h"
#include "data/batch.h"
#include "data/reader.h"
#include "models/model.h"
#include "ops/dense_optimizer.h"
#include "ps/pull_push_client.h"
#include "worker/dense_step.h"
#include "worker/dense_sync.h"
#include "worker/staging.h"
#include "worker/step_pipeline.h"

namespace ember::worker::pipeline_test {

inline constexpr int kBatchSize = 4;
inline constexpr int kNumDense = 2;
inline constexpr int kNumCategorical = 2;

// A reader of `num_batches` batches of kBatchSize records, made up from the
// batch index (keys overlap between batches, repeat inside one). Counts its
// Next calls; `nan_batch` (>= 0) has NaN dense features; `fail_at` (>= 0)
// fails that Next call with DataLoss.
class FakeReader : public data::Reader {
 public:
  explicit FakeReader(int num_batches) : num_batches_(num_batches) {}
  int nan_batch = -1;
  int fail_at = -1;

  Status Open() override { return Status::OK(); }
  StatusOr<bool> Next(data::Batch* batch) override {
    const int call = next_calls_.fetch_add(1) + 1;
    on_next(call);
    if (fail_at >= 0 && position_.records / kBatchSize == fail_at) {
      return Status::DataLoss("train.tsv:7: the disk went away");
    }
    batch->Clear();
    batch->num_dense = kNumDense;
    batch->fields.assign(kNumCategorical, data::SparseField{{}, {0}});
    if (position_.records / kBatchSize >= num_batches_) {
      batch->size = 0;
      return false;
    }
    const int64_t index = position_.records / kBatchSize;
    for (int64_t b = 0; b < kBatchSize; ++b) {
      batch->labels.push_back(static_cast<float>((index + b) % 2));
      for (int d = 0; d < kNumDense; ++d) {
        batch->dense.push_back(index == nan_batch ? std::numeric_limits<float>::quiet_NaN()
                                                  : 0.25f * static_cast<float>(d + b));
      }
      for (int f = 0; f < kNumCategorical; ++f) {
        batch->fields[f].keys.push_back(static_cast<Key>(1000 * f + (index * 3 + b) % 7));
        batch->fields[f].offsets.push_back(static_cast<int32_t>(batch->fields[f].keys.size()));
      }
    }
    batch->size = kBatchSize;
    position_.records += kBatchSize;
    position_.offset = position_.records * 10;
    return true;
  }
  Status Rewind() override {
    position_ = data::ReaderPosition{};
    return Status::OK();
  }
  data::ReaderPosition position() const override { return position_; }
  double fraction_done() const override {
    return std::min(1.0, static_cast<double>(position_.records) / (kBatchSize * num_batches_));
  }
  Status Seek(const data::ReaderPosition& position) override {
    position_ = position;
    return Status::OK();
  }

  int next_calls() const { return next_calls_.load(); }
  // Called (on the reader thread) at the start of Next call number `call`.
  std::function<void(int call)> on_next = [](int) {};

 private:
  const int num_batches_;
  std::atomic<int> next_calls_{0};
  data::ReaderPosition position_;
};

// One request the pipeline made of the client.
struct Request {
  enum Kind { kPull, kPush } kind;
  uint32_t table;
  std::vector<Key> keys;
  uint64_t step;  // the step set when it started
  bool create = false;
  bool end_of_step = false;
  size_t grads = 0;  // push: floats
  bool waited = false;
};

// Records every request; a pull's rows read 0.01 * (key % 5). A ticket
// waits once (NotFound otherwise, which fails the pass and the test).
// `fail` makes the Wait of a request fail with that Status.
class FakeClient : public ps::PullPushClient {
 public:
  explicit FakeClient(std::vector<sparse::TableConfig> tables) : tables_(std::move(tables)) {}

  StatusOr<ps::Ticket> Pull(uint32_t table, std::span<const Key> keys, float* out_rows, bool create) override {
    const int dim = tables_.at(table).dim;
    for (size_t i = 0; i < keys.size(); ++i) {
      for (int d = 0; d < dim; ++d) out_rows[i * dim + d] = 0.01f * static_cast<float>(keys[i] % 5);
    }
    return Start({Request::kPull, table, {keys.begin(), keys.end()}, step_, create, false, 0});
  }
  StatusOr<ps::Ticket> Push(uint32_t table, std::span<const Key> keys, std::span<const float> grads,
                            bool end_of_step) override {
    if (grads.size() != keys.size() * static_cast<size_t>(tables_.at(table).dim)) {
      return Status::InvalidArgument("push of ", keys.size(), " keys with ", grads.size(), " gradient floats");
    }
    return Start({Request::kPush, table, {keys.begin(), keys.end()}, step_, false, end_of_step, grads.size()});
  }
  void set_step(uint64_t step) override { step_ = step; }
  Status Wait(ps::Ticket ticket) override {
    if (ticket >= requests_.size() || requests_[ticket].waited) return Status::NotFound("ticket ", ticket);
    Request& request = requests_[ticket];
    request.waited = true;
    on_wait(request);
    if (fail && fail->kind == request.kind && fail->step == request.step) return fail->status;
    return Status::OK();
  }

  const std::vector<Request>& requests() const { return requests_; }
  std::vector<Request> Of(Request::Kind kind) const {
    std::vector<Request> of;
    for (const Request& r : requests_) {
      if (r.kind == kind) of.push_back(r);
    }
    return of;
  }
  // Requests started and not waited for.
  int Outstanding() const {
    int n = 0;
    for (const Request& r : requests_) n += r.waited ? 0 : 1;
    return n;
  }
  // Steps of the pulls started so far.
  int PullsStarted() const { return pulls_started_.load(); }

  struct Failure {
    Request::Kind kind;
    uint64_t step;
    Status status;
  };
  std::optional<Failure> fail;
  std::function<void(const Request&)> on_wait = [](const Request&) {};

 private:
  ps::Ticket Start(Request request) {
    if (request.kind == Request::kPull && request.table == 0) pulls_started_.fetch_add(1);
    requests_.push_back(std::move(request));
    return requests_.size() - 1;
  }
  const std::vector<sparse::TableConfig> tables_;
  uint64_t step_ = 0;
  std::vector<Request> requests_;
  std::atomic<int> pulls_started_{0};
};

struct ProgressEvent {
  int64_t global_step;
  double samples, loss_sum, steps, part_done;
};
struct CheckpointEvent {
  int64_t global_step;
  data::ReaderPosition trained;
  int outstanding;         // requests not waited for when it came
  int pulls_of_next_step;  // pulls of step global_step started before it
  size_t requests_before;  // requests made before it
};

class RecordingEvents : public StepEvents {
 public:
  explicit RecordingEvents(const FakeClient* client) : client_(client) {}
  Status Progress(int, int64_t global_step, const ProgressReport& report) override {
    progress.push_back({global_step, report.samples, report.loss_sum, report.steps, report.part_done});
    return Status::OK();
  }
  Status Checkpoint(int, int64_t global_step, const data::ReaderPosition& trained) override {
    int pulls_of_next = 0;
    for (const Request& r : client_->requests()) {
      if (r.kind == Request::kPull && r.step == static_cast<uint64_t>(global_step)) ++pulls_of_next;
    }
    checkpoints.push_back({global_step, trained, client_->Outstanding(), pulls_of_next, client_->requests().size()});
    return Status::OK();
  }
  std::vector<ProgressEvent> progress;
  std::vector<CheckpointEvent> checkpoints;

 private:
  const FakeClient* client_;
};

// A small wide & deep model (two tables: wide, deep) on the CPU, its
// optimizer, and one worker's pipeline parts over a fake client.
class PipelineHarness {
 public:
  explicit PipelineHarness(DenseSync* sync) {
    models::ModelOptions model_options;
    model_options.name = "wide_deep";
    model_options.num_dense = kNumDense;
    model_options.num_categorical = kNumCategorical;
    model_options.embedding_dim = 2;
    model_options.hidden = {4};
    model_options.seed = 3;
    StatusOr<std::unique_ptr<models::Model>> model = models::CreateModel(model_options);
    EXPECT_TRUE(model.ok()) << model.status();
    model_ = std::move(*model);
    StatusOr<ops::DenseOptimizer> optimizer =
        ops::DenseOptimizer::Create(ops::DenseOptimizerOptions{}, model_->dense_params()->size(), model_->device());
    EXPECT_TRUE(optimizer.ok()) << optimizer.status();
    optimizer_ = std::make_unique<ops::DenseOptimizer>(std::move(*optimizer));
    StatusOr<std::unique_ptr<DenseStep>> dense = DenseStep::Create(sync, model_->dense_params(), optimizer_.get());
    EXPECT_TRUE(dense.ok()) << dense.status();
    dense_ = std::move(*dense);
    client_ = std::make_unique<FakeClient>(model_->tables());
    events_ = std::make_unique<RecordingEvents>(client_.get());
  }

  Status Run(const StepPipelineOptions& options, FakeReader* reader, bool* stop, int rank = 0) {
    StepPipeline pipeline(rank, options, model_.get(), client_.get(), dense_.get(), &host_, &device_, events_.get());
    return pipeline.RunEpoch(/*epoch=*/0, reader, &counters, stop);
  }

  // The unique keys of each table of batch `index` of a FakeReader.
  std::vector<std::vector<Key>> UniqueKeysOf(int index) {
    FakeReader reader(index + 1);
    data::Batch batch;
    for (int i = 0; i <= index; ++i) EXPECT_TRUE(reader.Next(&batch).ok());
    std::vector<models::SparseInput> inputs;
    model_->PrepareInputs(batch, &inputs);
    std::vector<std::vector<Key>> keys;
    for (const models::SparseInput& input : inputs) keys.push_back(input.unique.keys);
    return keys;
  }

  size_t num_tables() const { return model_->tables().size(); }
  FakeClient& client() { return *client_; }
  RecordingEvents& events() { return *events_; }
  TrainingCounters counters;

 private:
  std::unique_ptr<models::Model> model_;
  std::unique_ptr<ops::DenseOptimizer> optimizer_;
  std::unique_ptr<DenseStep> dense_;
  StagingBuffers host_{ops::Device::Cpu(), /*pinned=*/false};
  StagingBuffers device_{ops::Device::Cpu(), /*pinned=*/false};
  std::unique_ptr<FakeClient> client_;
  std::unique_ptr<RecordingEvents> events_;
};

// The index in `requests` of the first request of `kind` and `step`, or -1.
inline int FirstOf(const std::vector<Request>& requests, Request::Kind kind, uint64_t step) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].kind == kind && requests[i].step == step) return static_cast<int>(i);
  }
  return -1;
}
inline int LastOf(const std::vector<Request>& requests, Request::Kind kind, uint64_t step) {
  int last = -1;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].kind == kind && requests[i].step == step) last = static_cast<int>(i);
  }
  return last;
}

}  // namespace ember::worker::pipeline_test
