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
#include <string>
#include <thread>
#include <vector>

#include "tests/worker/pipeline_fakes.h"
#include "worker/dense_sync.h"

namespace ember::worker {
namespace {

using pipeline_test::CheckpointEvent;
using pipeline_test::FakeClient;
using pipeline_test::FakeReader;
using pipeline_test::FirstOf;
using pipeline_test::kBatchSize;
using pipeline_test::LastOf;
using pipeline_test::PipelineHarness;
using pipeline_test::Request;

StepPipelineOptions Options() {
  StepPipelineOptions options;
  options.prefetch_batches = 2;
  options.progress_every_steps = 2;
  return options;
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
  bool stop = false;
  const Status status = harness.Run(Options(), &reader, &stop, /*rank=*/3);
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
  std::thread other([&] { short_status = short_part.Run(options, &short_reader, &short_stop, /*rank=*/1); });
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
