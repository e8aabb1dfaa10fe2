// --sync on the server: pushes of a step are buffered until every worker
// ended the step, then applied in worker-rank order; a creating pull of the
// next step is held until then. Clients play the workers over inproc://.
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/logging.h"
#include "ps/client.h"
#include "ps_test_util.h"
#include "storage/optimizer.h"
#include "storage/sparse_table.h"

namespace ember::ps {
namespace {

using testing::MakeTable;
using testing::ServerThread;

constexpr uint64_t kToken = 0x5eed5eed00112233ULL;
constexpr uint32_t kTable = 7;
constexpr Key kKey = 4242;

class SyncServerTest : public ::testing::Test {
 protected:
  void SetUp() override { InitLogging("sync_server_test"); }

  ServerOptions Options(int rank, const sparse::TableConfig& table, int sync_workers) {
    ServerOptions options;
    options.rank = rank;
    options.bind_endpoint = "inproc://ember-sync-server-" + std::to_string(rank);
    options.job_token = kToken;
    options.seed = 5;
    options.tables = {table};
    options.sync_workers = sync_workers;
    return options;
  }
  std::unique_ptr<PsClient> Worker(int rank, int num_servers, const sparse::TableConfig& table,
                                   int timeout_ms = 10000) {
    ClientOptions options;
    for (int s = 0; s < num_servers; ++s) {
      options.server_endpoints.push_back("inproc://ember-sync-server-" + std::to_string(s));
    }
    options.job_token = kToken;
    options.tables = {table};
    options.timeout_ms = timeout_ms;
    options.worker_rank = rank;
    auto client = std::make_unique<PsClient>(&context_, options);
    EXPECT_TRUE(client->Connect().ok());
    return client;
  }
  // Waits (up to 10 s) until the server's barrier holds `pushes` buffered
  // pushes and `pulls` held pulls: the arrivals so far have been received.
  static bool WaitForBarrier(ServerThread& server, int64_t pushes, int64_t pulls) {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up) {
      const ServerStats stats = server.server().stats();
      if (stats.sync_buffered_pushes == pushes && stats.sync_held_pulls == pulls) return true;
      std::this_thread::yield();
    }
    return false;
  }

  zmq::context_t context_;
};

// Pushes that arrive as rank 1, then rank 0 are applied as rank 0, then 1;
// the pull of step 1 waits for both and reads exactly the hand-computed SGD
// result of that order.
TEST_F(SyncServerTest, PushesArrivingOneZeroAreAppliedZeroOne) {
  sparse::TableConfig table = MakeTable(kTable, 1, sparse::SparseOptimizerType::kSgd);
  // The initial value of the row, and two gradients whose SGD updates give
  // different float results in the two orders (so the order shows).
  float w0 = 0;
  storage::InitRowValue(table, 5, kKey, &w0);
  const float lr = table.optimizer.learning_rate;
  float g0 = 0, g1 = 0;
  for (int i = 1; i < 1000 && g0 == 0; ++i) {
    const float a = 1.0f / static_cast<float>(3 * i), b = 1e-3f * static_cast<float>(i) / 7.0f;
    if ((w0 - lr * a) - lr * b != (w0 - lr * b) - lr * a) g0 = a, g1 = b;
  }
  ASSERT_NE(g0, 0.f) << "no order-sensitive gradients found for w0 = " << w0;
  const float want = (w0 - lr * g0) - lr * g1;

  ServerThread server(&context_, Options(0, table, /*sync_workers=*/2));
  ASSERT_TRUE(server.bind_status().ok()) << server.bind_status();
  auto worker0 = Worker(0, 1, table);
  auto worker1 = Worker(1, 1, table);
  const std::vector<Key> keys = {kKey};

  float pulled = -1;
  auto first = worker0->Pull(kTable, keys, &pulled);  // step 0: answered at once
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(worker0->Wait(*first).ok());
  EXPECT_EQ(pulled, w0);

  const std::vector<float> grad1 = {g1}, grad0 = {g0};
  auto push1 = worker1->Push(kTable, keys, grad1, /*end_of_step=*/true);
  ASSERT_TRUE(push1.ok());
  worker1->set_step(1);
  float after = -1;
  auto held = worker1->Pull(kTable, keys, &after);  // step 1: held until step 0 is applied
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(WaitForBarrier(server, /*pushes=*/1, /*pulls=*/1)) << "rank 1's push and pull did not arrive";
  auto observer = Worker(0, 1, table);
  auto stats = observer->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ((*stats)[0].pushes, 0) << "a push was applied before every worker ended step 0";
  EXPECT_EQ((*stats)[0].pulls, 1) << "the pull of step 1 was answered before step 0 was applied";

  auto push0 = worker0->Push(kTable, keys, grad0, /*end_of_step=*/true);
  ASSERT_TRUE(push0.ok());
  ASSERT_TRUE(worker0->Wait(*push0).ok());
  ASSERT_TRUE(worker1->Wait(*push1).ok());
  ASSERT_TRUE(worker1->Wait(*held).ok());
  EXPECT_EQ(after, want) << "w0 " << w0 << " g0 " << g0 << " g1 " << g1 << " other order " << (w0 - lr * g1) - lr * g0;
}

// AdaGrad makes the order visible without rounding: rank 0's gradient
// meets the initial accumulator, rank 1's the accumulator after it.
TEST_F(SyncServerTest, AdagradStepIsAppliedInRankOrderWhateverTheArrival) {
  sparse::TableConfig table = MakeTable(kTable, 2, sparse::SparseOptimizerType::kAdagrad);
  ServerThread server(&context_, Options(0, table, /*sync_workers=*/3));
  ASSERT_TRUE(server.bind_status().ok());
  std::vector<std::unique_ptr<PsClient>> workers;
  for (int r = 0; r < 3; ++r) workers.push_back(Worker(r, 1, table));
  const std::vector<Key> keys = {kKey};
  const std::vector<std::vector<float>> grads = {{1.0f, -2.0f}, {3.0f, 0.5f}, {-1.5f, 4.0f}};
  // Hand computation in rank order.
  std::vector<float> value(2), state(2);
  storage::InitRowValue(table, 5, kKey, value.data());
  storage::InitOptimizerState(table.optimizer, 2, state.data());
  for (uint32_t r = 0; r < 3; ++r)
    storage::ApplySparseOptimizer(table.optimizer, 2, grads[r].data(), r + 1, value.data(), state.data());

  std::vector<Ticket> pushes(3);
  int64_t arrived = 0;
  for (int r : {2, 0, 1}) {  // arrival order: each push is at the server before the next is sent
    auto push = workers[r]->Push(kTable, keys, grads[r], /*end_of_step=*/true);
    ASSERT_TRUE(push.ok());
    pushes[r] = *push;
    if (++arrived < 3) {
      ASSERT_TRUE(WaitForBarrier(server, arrived, 0)) << "rank " << r << "'s push did not arrive";
    }
  }
  for (int r = 0; r < 3; ++r) ASSERT_TRUE(workers[r]->Wait(pushes[r]).ok());
  workers[0]->set_step(1);
  std::vector<float> after(2);
  auto pull = workers[0]->Pull(kTable, keys, after.data());
  ASSERT_TRUE(pull.ok());
  ASSERT_TRUE(workers[0]->Wait(*pull).ok());
  EXPECT_EQ(after, value);
}

// A worker with no rows for a server still ends its step there (an empty
// push), and a step needs every worker: two servers, each worker's key on
// one of them.
TEST_F(SyncServerTest, EmptyEndOfStepPushesCompleteTheStepOnEveryServer) {
  sparse::TableConfig table = MakeTable(kTable, 1, sparse::SparseOptimizerType::kSgd);
  ServerThread server0(&context_, Options(0, table, 2));
  ServerThread server1(&context_, Options(1, table, 2));
  auto worker0 = Worker(0, 2, table);
  auto worker1 = Worker(1, 2, table);
  Key on0 = 1, on1 = 1;
  while (OwnerOfKey(on0, 2) != 0) ++on0;
  while (OwnerOfKey(on1, 2) != 1) ++on1;
  const std::vector<Key> keys0 = {on0}, keys1 = {on1};
  const std::vector<float> grad = {1.0f};
  for (uint64_t step = 0; step < 3; ++step) {
    worker0->set_step(step);
    worker1->set_step(step);
    auto a = worker0->Push(kTable, keys0, grad, true);
    auto b = worker1->Push(kTable, keys1, grad, true);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_TRUE(worker0->Wait(*a).ok());
    ASSERT_TRUE(worker1->Wait(*b).ok());
  }
  worker0->set_step(3);
  std::vector<float> rows(2);
  const std::vector<Key> both = {on0, on1};
  auto pull = worker0->Pull(kTable, both, rows.data());
  ASSERT_TRUE(pull.ok());
  ASSERT_TRUE(worker0->Wait(*pull).ok());
  for (size_t i = 0; i < 2; ++i) {
    float w = 0;
    storage::InitRowValue(table, 5, both[i], &w);
    for (int step = 0; step < 3; ++step) w -= table.optimizer.learning_rate * 1.0f;
    EXPECT_EQ(rows[i], w) << i;
  }
}

TEST_F(SyncServerTest, EvalPullsAreNotHeldAndBadStepsAreRefused) {
  sparse::TableConfig table = MakeTable(kTable, 1, sparse::SparseOptimizerType::kSgd);
  ServerThread server(&context_, Options(0, table, 2));
  auto worker0 = Worker(0, 1, table, /*timeout_ms=*/2000);
  const std::vector<Key> keys = {kKey};
  float value = -1;
  worker0->set_step(1);  // step 0 is not applied: a creating pull would wait
  auto eval = worker0->Pull(kTable, keys, &value, /*create=*/false);
  ASSERT_TRUE(eval.ok());
  ASSERT_TRUE(worker0->Wait(*eval).ok());
  EXPECT_EQ(value, 0.f);

  worker0->set_step(100);
  auto far = worker0->Pull(kTable, keys, &value);
  ASSERT_TRUE(far.ok());
  EXPECT_EQ(worker0->Wait(*far).code(), StatusCode::kInvalidArgument);
  const std::vector<float> grad = {1.0f};
  auto far_push = worker0->Push(kTable, keys, grad, true);
  ASSERT_TRUE(far_push.ok());
  EXPECT_EQ(worker0->Wait(*far_push).code(), StatusCode::kInvalidArgument);

  auto stranger = Worker(5, 1, table);  // rank 5 of a 2-worker job
  auto bad_rank = stranger->Push(kTable, keys, grad, true);
  ASSERT_TRUE(bad_rank.ok());
  EXPECT_EQ(stranger->Wait(*bad_rank).code(), StatusCode::kInvalidArgument);

  worker0->set_step(0);
  auto once = worker0->Push(kTable, keys, grad, true);
  auto twice = worker0->Push(kTable, keys, grad, true);
  ASSERT_TRUE(once.ok() && twice.ok());
  EXPECT_EQ(worker0->Wait(*twice).code(), StatusCode::kInvalidArgument);
}

// The STATS checksum depends on the rows, not on the order they were made.
TEST_F(SyncServerTest, ChecksumIgnoresRowCreationOrder) {
  sparse::TableConfig table = MakeTable(kTable, 4, sparse::SparseOptimizerType::kAdagrad);
  storage::SparseTable forward(table, 9), backward(table, 9);
  std::vector<float> grad = {0.5f, -1.f, 2.f, 0.25f};
  // Pushes key k alone: the rows are created in the order of the pushes.
  const auto push = [&](storage::SparseTable& t, Key k) {
    ASSERT_TRUE(t.PushBatch(reinterpret_cast<const char*>(&k), reinterpret_cast<const char*>(grad.data()), 1,
                            /*step=*/1)
                    .ok());
  };
  for (Key k = 1; k <= 5000; ++k) push(forward, k);
  for (Key k = 5000; k >= 1; --k) push(backward, k);
  EXPECT_EQ(*forward.Checksum(), *backward.Checksum());
  push(backward, 77);
  EXPECT_NE(*forward.Checksum(), *backward.Checksum());

  ServerThread server(&context_, Options(0, table, 0));
  auto client = Worker(0, 1, table);
  const std::vector<Key> keys = {1, 2, 3};
  std::vector<float> rows(12);
  auto pull = client->Pull(kTable, keys, rows.data());
  ASSERT_TRUE(client->Wait(*pull).ok());
  auto stats = client->Stats(/*with_checksums=*/true);
  ASSERT_TRUE(stats.ok()) << stats.status();
  storage::SparseTable same(table, 5);
  std::vector<float> same_rows(rows.size());
  ASSERT_TRUE(same.PullBatch(reinterpret_cast<const char*>(keys.data()), keys.size(), /*create=*/true, /*step=*/0,
                             reinterpret_cast<char*>(same_rows.data()))
                  .ok());
  EXPECT_EQ((*stats)[0].rows_per_table, std::vector<int64_t>{3});
  EXPECT_EQ((*stats)[0].checksum_per_table, std::vector<uint64_t>{*same.Checksum()});
  auto plain = client->Stats();
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE((*plain)[0].checksum_per_table.empty());
}

}  // namespace
}  // namespace ember::ps
