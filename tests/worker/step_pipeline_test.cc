// StepPipeline (worker/step_pipeline.h) against a fake parameter-server
// client and an in-memory reader, no sockets: every batch's keys are pulled
// once and pushed once, table by table, in step order; the pull of the next
// batch overlaps the step (after the push under --sync); the reader thread
// stays within prefetch_batches; a pull's or a push's error ends the pass
// with its code, naming the step; checkpoints come at step boundaries with
// every push answered and no pull of the next step out; max_steps stops the
// pass; a diverged loss stops it before the push; and a worker whose part
// ends first keeps stepping with empty --sync pushes until the others are
// done.
#include "worker/step_pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
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

namespace ember::worker {
namespace {

constexpr int kBatchSize = 4;
constexpr int kNumDense = 2;
constexpr int kNumCategorical = 2;

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
  double samples, loss_sum, steps;
};
struct CheckpointEvent {
  int64_t global_step;
  data::ReaderPosition trained;
  int outstanding;            // requests not waited for when it came
  int pulls_of_next_step;     // pulls of step global_step started before it
  size_t requests_before;     // requests made before it
};

class RecordingEvents : public StepEvents {
 public:
  explicit RecordingEvents(const FakeClient* client) : client_(client) {}
  Status Progress(int, int64_t global_step, double samples, double loss_sum, double steps) override {
    progress.push_back({global_step, samples, loss_sum, steps});
    return Status::OK();
  }
  Status Checkpoint(int, int64_t global_step, const data::ReaderPosition& trained) override {
    int pulls_of_next = 0;
    for (const Request& r : client_->requests()) {
      if (r.kind == Request::kPull && r.step == static_cast<uint64_t>(global_step)) ++pulls_of_next;
    }
    checkpoints.push_back(
        {global_step, trained, client_->Outstanding(), pulls_of_next, client_->requests().size()});
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

  Status Run(const StepPipelineOptions& options, FakeReader* reader, bool* stop) {
    StepPipeline pipeline(options, model_.get(), client_.get(), dense_.get(), &host_, &device_, events_.get());
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

StepPipelineOptions Options() {
  StepPipelineOptions options;
  options.prefetch_batches = 2;
  options.progress_every_steps = 2;
  return options;
}

// The index in `requests` of the first request of `kind` and `step`, or -1.
int FirstOf(const std::vector<Request>& requests, Request::Kind kind, uint64_t step) {
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].kind == kind && requests[i].step == step) return static_cast<int>(i);
  }
  return -1;
}
int LastOf(const std::vector<Request>& requests, Request::Kind kind, uint64_t step) {
  int last = -1;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i].kind == kind && requests[i].step == step) last = static_cast<int>(i);
  }
  return last;
}

TEST(StepPipelineTest, PullsAndPushesEveryBatchsKeysOnceTableByTableInStepOrder) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  ASSERT_EQ(harness.num_tables(), 2u);
  FakeReader reader(5);
  bool stop = false;
  ASSERT_TRUE(harness.Run(Options(), &reader, &stop).ok());
  EXPECT_FALSE(stop);
  EXPECT_EQ(harness.counters.global_step, 5);
  EXPECT_EQ(harness.counters.samples_trained, 5 * kBatchSize);

  const std::vector<Request> pulls = harness.client().Of(Request::kPull);
  const std::vector<Request> pushes = harness.client().Of(Request::kPush);
  ASSERT_EQ(pulls.size(), 5 * harness.num_tables());
  ASSERT_EQ(pushes.size(), 5 * harness.num_tables());
  for (int step = 0; step < 5; ++step) {
    const std::vector<std::vector<Key>> keys = harness.UniqueKeysOf(step);
    for (size_t t = 0; t < harness.num_tables(); ++t) {
      const Request& pull = pulls[step * harness.num_tables() + t];
      const Request& push = pushes[step * harness.num_tables() + t];
      EXPECT_EQ(pull.step, static_cast<uint64_t>(step));
      EXPECT_EQ(pull.table, t);
      EXPECT_EQ(pull.keys, keys[t]) << "step " << step << " table " << t;
      EXPECT_TRUE(pull.create);
      EXPECT_EQ(push.step, static_cast<uint64_t>(step));
      EXPECT_EQ(push.table, t);
      EXPECT_EQ(push.keys, keys[t]) << "step " << step << " table " << t;
      EXPECT_FALSE(push.end_of_step);
    }
  }
  // Asynchronous: the pull of step t+1 leaves before the push of step t.
  const std::vector<Request>& all = harness.client().requests();
  for (int step = 0; step + 1 < 5; ++step) {
    EXPECT_LT(LastOf(all, Request::kPull, step + 1), FirstOf(all, Request::kPush, step)) << "step " << step;
  }
  EXPECT_EQ(harness.client().Outstanding(), 0);
  // Progress every 2 steps, and the rest at the end of the pass.
  ASSERT_EQ(harness.events().progress.size(), 3u);
  EXPECT_EQ(harness.events().progress[0].global_step, 2);
  EXPECT_EQ(harness.events().progress[0].steps, 2);
  EXPECT_EQ(harness.events().progress[0].samples, 2 * kBatchSize);
  EXPECT_EQ(harness.events().progress[2].global_step, 5);
  EXPECT_EQ(harness.events().progress[2].steps, 1);
  EXPECT_TRUE(harness.events().checkpoints.empty());
}

TEST(StepPipelineTest, SyncPullsTheNextBatchOnlyAfterThisStepsPushEndsTheStep) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  FakeReader reader(4);
  StepPipelineOptions options = Options();
  options.sync = true;
  bool stop = false;
  ASSERT_TRUE(harness.Run(options, &reader, &stop).ok());
  const std::vector<Request>& all = harness.client().requests();
  for (int step = 0; step < 4; ++step) {
    const int last_push = LastOf(all, Request::kPush, step);
    ASSERT_GE(last_push, 0) << "step " << step;
    EXPECT_TRUE(all[last_push].end_of_step) << "step " << step;
    EXPECT_EQ(all[last_push].table, harness.num_tables() - 1);
    if (step + 1 < 4) {
      EXPECT_GT(FirstOf(all, Request::kPull, step + 1), last_push) << "step " << step;
    }
  }
  EXPECT_EQ(harness.client().Of(Request::kPush).size(), 4 * harness.num_tables());
  EXPECT_EQ(harness.client().Outstanding(), 0);
}

TEST(StepPipelineTest, TheReaderThreadStaysWithinPrefetchBatches) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  constexpr int kBatches = 12;
  StepPipelineOptions options = Options();
  options.prefetch_batches = 2;
  FakeReader reader(kBatches);
  // How far the reader got ahead of the pipeline's pulls, at each Next.
  std::atomic<int> max_lead{0};
  reader.on_next = [&](int call) {
    const int lead = call - harness.client().PullsStarted();
    int seen = max_lead.load();
    while (lead > seen && !max_lead.compare_exchange_weak(seen, lead)) {
    }
  };
  // While the pipeline waits for step 0's rows, it has taken one batch: the
  // reader fills the queue (2) and reads one more, then must block.
  int calls_while_blocked = -1;
  harness.client().on_wait = [&](const Request& request) {
    if (calls_while_blocked >= 0 || request.kind != Request::kPull) return;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (reader.next_calls() < 1 + options.prefetch_batches + 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    calls_while_blocked = reader.next_calls();
  };
  bool stop = false;
  ASSERT_TRUE(harness.Run(options, &reader, &stop).ok());
  EXPECT_EQ(calls_while_blocked, 1 + options.prefetch_batches + 1);
  // A popped batch is pulled at once (asynchronous, no checkpoints); each
  // Next beyond the queue's room waits for a pop.
  EXPECT_LE(max_lead.load(), options.prefetch_batches + 2);
  EXPECT_EQ(harness.counters.global_step, kBatches);
  EXPECT_EQ(reader.next_calls(), kBatches + 1);  // the last one ends the pass
}

TEST(StepPipelineTest, APullErrorEndsThePassWithItsCodeNamingTheStep) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  harness.client().fail = FakeClient::Failure{Request::kPull, 2, Status::Unavailable("server 1 at tcp://a:1 is gone")};
  FakeReader reader(6);
  StepPipelineOptions options = Options();
  options.rank = 3;
  bool stop = false;
  const Status status = harness.Run(options, &reader, &stop);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("worker 3, pull of step 2"), std::string::npos) << status;
  EXPECT_NE(status.message().find("server 1 at tcp://a:1 is gone"), std::string::npos) << status;
  // Steps 0 and 1 trained and pushed; nothing of step 2 was pushed.
  EXPECT_EQ(harness.counters.global_step, 2);
  EXPECT_EQ(FirstOf(harness.client().requests(), Request::kPush, 2), -1);
}

TEST(StepPipelineTest, APushErrorEndsThePassNamingTheStep) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  harness.client().fail = FakeClient::Failure{Request::kPush, 1, Status::DeadlineExceeded("no reply in 60 s")};
  FakeReader reader(6);
  bool stop = false;
  const Status status = harness.Run(Options(), &reader, &stop);
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status;
  EXPECT_NE(status.message().find("push of step 1"), std::string::npos) << status;
  // The pushes of step t are waited for at the end of step t+1.
  EXPECT_EQ(harness.counters.global_step, 2);
}

TEST(StepPipelineTest, TheReadersErrorEndsThePass) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  FakeReader reader(6);
  reader.fail_at = 3;
  bool stop = false;
  const Status status = harness.Run(Options(), &reader, &stop);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("the disk went away"), std::string::npos) << status;
  // Batch 3 is the one the reader failed on: the pass ends in step 2, when
  // the pipeline asks for it, before step 2 trains.
  EXPECT_EQ(harness.counters.global_step, 2);
  EXPECT_EQ(FirstOf(harness.client().requests(), Request::kPush, 2), -1);
}

TEST(StepPipelineTest, CheckpointsComeAtStepBoundariesWithEveryPushAnsweredAndNoPullOfTheNextStep) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  FakeReader reader(5);
  StepPipelineOptions options = Options();
  options.progress_every_steps = 100;
  options.checkpoints = true;
  options.checkpoint_every_steps = 2;
  bool stop = false;
  ASSERT_TRUE(harness.Run(options, &reader, &stop).ok());
  const std::vector<CheckpointEvent>& checkpoints = harness.events().checkpoints;
  ASSERT_EQ(checkpoints.size(), 2u);
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    const CheckpointEvent& checkpoint = checkpoints[i];
    const int64_t step = 2 * static_cast<int64_t>(i + 1);
    EXPECT_EQ(checkpoint.global_step, step);
    EXPECT_EQ(checkpoint.outstanding, 0) << "checkpoint of step " << step;
    EXPECT_EQ(checkpoint.pulls_of_next_step, 0) << "checkpoint of step " << step;
    EXPECT_EQ(checkpoint.trained.records, step * kBatchSize);
    // Every pull and push of the steps before it came before it.
    EXPECT_EQ(checkpoint.requests_before, static_cast<size_t>(step) * 2 * harness.num_tables());
  }
  // Progress is reported before each checkpoint (and the rest at the end).
  ASSERT_EQ(harness.events().progress.size(), 3u);
  EXPECT_EQ(harness.events().progress[0].global_step, 2);
  EXPECT_EQ(harness.events().progress[1].global_step, 4);
  // The pass goes on after a checkpoint: every batch is pulled and pushed.
  EXPECT_EQ(harness.counters.global_step, 5);
  EXPECT_EQ(harness.client().Of(Request::kPull).size(), 5 * harness.num_tables());
  EXPECT_EQ(harness.client().Of(Request::kPush).size(), 5 * harness.num_tables());
}

TEST(StepPipelineTest, MaxStepsStopsThePassWithNothingOutstanding) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  FakeReader reader(8);
  StepPipelineOptions options = Options();
  options.max_steps = 3;
  bool stop = false;
  ASSERT_TRUE(harness.Run(options, &reader, &stop).ok());
  EXPECT_TRUE(stop);
  EXPECT_EQ(harness.counters.global_step, 3);
  EXPECT_EQ(harness.counters.samples_trained, 3 * kBatchSize);
  EXPECT_EQ(FirstOf(harness.client().requests(), Request::kPush, 3), -1);
  EXPECT_EQ(harness.client().Outstanding(), 0);  // the pull of step 3 too was waited for
}

TEST(StepPipelineTest, ADivergedLossStopsThePassBeforeItsPush) {
  SingleWorkerSync sync;
  PipelineHarness harness(&sync);
  FakeReader reader(5);
  reader.nan_batch = 2;
  bool stop = false;
  const Status status = harness.Run(Options(), &reader, &stop);
  EXPECT_EQ(status.code(), StatusCode::kAborted) << status;
  EXPECT_NE(status.message().find("training diverged at step 2"), std::string::npos) << status;
  EXPECT_EQ(FirstOf(harness.client().requests(), Request::kPush, 2), -1);
  EXPECT_EQ(harness.counters.global_step, 2);
}

TEST(StepPipelineTest, AWorkerWhosePartEndsFirstKeepsSteppingWithEmptySyncPushes) {
  LocalDenseSyncGroup group(2);
  PipelineHarness long_part(group.member(0)), short_part(group.member(1));
  FakeReader long_reader(4), short_reader(1);
  StepPipelineOptions options = Options();
  options.sync = true;
  Status long_status, short_status;
  bool long_stop = false, short_stop = false;
  std::thread other([&] {
    StepPipelineOptions other_options = options;
    other_options.rank = 1;
    short_status = short_part.Run(other_options, &short_reader, &short_stop);
  });
  long_status = long_part.Run(options, &long_reader, &long_stop);
  other.join();
  ASSERT_TRUE(long_status.ok()) << long_status;
  ASSERT_TRUE(short_status.ok()) << short_status;
  // The pass ends for both when neither has a batch: after the long part's 4.
  EXPECT_EQ(long_part.counters.global_step, 4);
  EXPECT_EQ(short_part.counters.global_step, 4);
  EXPECT_EQ(short_part.counters.samples_trained, kBatchSize);
  // The short part pushes every step to every server, empty after its batch.
  const std::vector<Request> pushes = short_part.client().Of(Request::kPush);
  ASSERT_EQ(pushes.size(), 4 * short_part.num_tables());
  for (size_t i = short_part.num_tables(); i < pushes.size(); ++i) {
    EXPECT_TRUE(pushes[i].keys.empty()) << i;
    EXPECT_EQ(pushes[i].grads, 0u) << i;
    EXPECT_EQ(pushes[i].end_of_step, i % short_part.num_tables() == short_part.num_tables() - 1) << i;
  }
  EXPECT_EQ(short_part.client().Of(Request::kPull).size(), short_part.num_tables());
}

}  // namespace
}  // namespace ember::worker
