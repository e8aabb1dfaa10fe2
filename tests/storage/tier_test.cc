// The RocksDB tier under the memory tier: a table ~10x its memory budget
// ends bit for bit where the same pushes and pulls leave an all-in-memory
// table; checkpoints reproduce every row; admission and expiry; batches
// split across threads (--server_threads) change no row; the RocksDB tier's
// write-back on its own thread reads back what it was given, before and
// after it lands, and loses nothing when RocksDB fails; RocksDB errors as
// Status.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <rocksdb/db.h>

#include "common/part_runner.h"
#include "common/random.h"
#include "storage/optimizer.h"
#include "storage/rocks_tier.h"
#include "storage/sparse_table.h"
#include "tests/util/background_process.h"

namespace ember::storage {
namespace {

constexpr uint64_t kSeed = 17;

sparse::TableConfig Table(sparse::SparseOptimizerType type, int dim = 8) {
  sparse::TableConfig table;
  table.id = 3;
  table.name = "tier-test";
  table.dim = dim;
  table.optimizer.type = type;
  table.initializer = sparse::InitializerType::kNormal;
  table.init_scale = 0.1f;
  return table;
}

// A fresh directory under the test temp dir.
std::string FreshDir(const std::string& name) {
  std::string pattern = testing::TempDir() + "/tier-" + name + "-XXXXXX";
  char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr) << pattern;
  return pattern;
}

// Ranks of a Zipf(s) law on [1, universe] (continuous inverse CDF), hashed
// to feature-like keys.
class Zipf {
 public:
  Zipf(double s, uint64_t universe, uint64_t seed) : s_(s), universe_(universe), rng_(seed) {
    tail_ = 1.0 - std::pow(static_cast<double>(universe_), 1.0 - s_);
  }
  Key Next() {
    const double u = rng_.Uniform();
    auto rank = static_cast<uint64_t>(std::pow(1.0 - u * tail_, 1.0 / (1.0 - s_)));
    if (rank < 1) rank = 1;
    if (rank > universe_) rank = universe_;
    return Mix64(rank * 0x9e3779b97f4a7c15ULL);
  }
  Rng& rng() { return rng_; }

 private:
  double s_;
  uint64_t universe_;
  Rng rng_;
  double tail_;
};

const char* Bytes(const std::vector<Key>& keys) { return reinterpret_cast<const char*>(keys.data()); }
char* Bytes(std::vector<float>& values) { return reinterpret_cast<char*>(values.data()); }

uint64_t ChecksumOf(SparseTable& table) {
  StatusOr<uint64_t> sum = table.Checksum();
  EXPECT_TRUE(sum.ok()) << sum.status();
  return sum.ok() ? *sum : 0;
}

// Bytes of budget for `rows` memory rows of `config` (no admission counters).
int64_t BudgetForRows(const sparse::TableConfig& config, int64_t rows) {
  const int row_floats = config.dim + sparse::OptimizerStateFloats(config.optimizer.type, config.dim) + 2;
  return rows * (row_floats * 4 + SparseTable::kRowOverheadBytes) + 256;  // + the empty counter index
}

class TierTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshDir("db"); }
  void TearDown() override {
    tier_.reset();
    std::filesystem::remove_all(dir_);
  }
  RocksTier* OpenTier(const std::vector<sparse::TableConfig>& configs) {
    RocksTierOptions options;
    options.path = dir_ + "/rocks";
    options.block_cache_bytes = 4 << 20;
    auto opened = RocksTier::Open(options, configs);
    EXPECT_TRUE(opened.ok()) << opened.status();
    tier_ = std::move(opened).value();
    return tier_.get();
  }
  RocksTier* OpenTier(const sparse::TableConfig& config) { return OpenTier(std::vector<sparse::TableConfig>{config}); }
  std::string dir_;
  std::unique_ptr<RocksTier> tier_;
};

// Drives two tables (a tiered one and a memory-only one, say) with the same
// Zipf stream of creating pulls, read-only pulls and pushes (duplicates
// inside and across batches); every pull must read the same bytes, and a
// tiered `a` stays within a batch of its budget. after_batch(b), when set,
// runs after each batch.
void TrainBoth(SparseTable* a, SparseTable* b, int batches, size_t batch_keys, uint64_t stream_seed, uint64_t universe,
               const std::function<void(int)>& after_batch = nullptr) {
  Zipf zipf(1.05, universe, stream_seed);
  const int dim = b->dim();
  std::vector<Key> keys(batch_keys);
  std::vector<float> got(batch_keys * dim), want(batch_keys * dim), grads(batch_keys * dim);
  for (int batch = 0; batch < batches; ++batch) {
    const uint32_t step = static_cast<uint32_t>(batch / 2 + 1);
    for (Key& key : keys) key = zipf.Next();
    const int kind = static_cast<int>(zipf.rng().UniformInt(5));
    if (kind <= 1) {  // creating or read-only pull
      const bool create = kind == 0;
      ASSERT_TRUE(a->PullBatch(Bytes(keys), keys.size(), create, step, Bytes(got)).ok());
      ASSERT_TRUE(b->PullBatch(Bytes(keys), keys.size(), create, step, Bytes(want)).ok());
      ASSERT_EQ(0, std::memcmp(got.data(), want.data(), got.size() * sizeof(float))) << "batch " << batch;
    } else {
      for (float& g : grads) g = static_cast<float>(zipf.rng().Normal(0.0, 0.5));
      ASSERT_TRUE(a->PushBatch(Bytes(keys), Bytes(grads), keys.size(), step).ok());
      ASSERT_TRUE(b->PushBatch(Bytes(keys), Bytes(grads), keys.size(), step).ok());
    }
    if (a->tier().budget_bytes() > 0) {
      ASSERT_LE(a->memory_rows(), a->MaxMemoryRows() + static_cast<int64_t>(batch_keys)) << "batch " << batch;
    }
    if (after_batch) {
      after_batch(batch);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

class TierOptimizerTest : public TierTest, public ::testing::WithParamInterface<sparse::SparseOptimizerType> {};

TEST_P(TierOptimizerTest, TenTimesOverBudgetEndsWithTheRowsOfAnAllMemoryTable) {
  const sparse::TableConfig config = Table(GetParam());
  RocksTier* cold = OpenTier(config);
  SparseTable memory(config, kSeed);
  SparseTable tiered(config, kSeed, {.memory_bytes = BudgetForRows(config, 1000), .cold = cold});
  ASSERT_EQ(tiered.MaxMemoryRows(), 1000);
  TrainBoth(&tiered, &memory, /*batches=*/300, /*batch_keys=*/256, /*stream_seed=*/5, /*universe=*/30'000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_GT(memory.num_rows(), 10 * 1000) << "the stream should hold 10x the budget";
  EXPECT_EQ(tiered.num_rows(), memory.num_rows());
  EXPECT_LE(tiered.memory_rows(), 1000);
  EXPECT_EQ(ChecksumOf(tiered), ChecksumOf(memory));

  // Every key, evicted or not, reads back the same (read-only, then creating).
  std::vector<Key> all;
  memory.ForEachMemoryRow([&](Key key, const float*) { all.push_back(key); });
  std::vector<float> got(all.size() * config.dim), want(all.size() * config.dim);
  ASSERT_TRUE(tiered.PullBatch(Bytes(all), all.size(), false, 1000, Bytes(got)).ok());
  ASSERT_TRUE(memory.PullBatch(Bytes(all), all.size(), false, 1000, Bytes(want)).ok());
  EXPECT_EQ(got, want);
  EXPECT_LE(tiered.memory_rows(), 1000) << "a read-only pull loads nothing";
}

INSTANTIATE_TEST_SUITE_P(Optimizers, TierOptimizerTest,
                         ::testing::Values(sparse::SparseOptimizerType::kSgd, sparse::SparseOptimizerType::kAdagrad,
                                           sparse::SparseOptimizerType::kFtrl, sparse::SparseOptimizerType::kAdam),
                         [](const auto& info) { return std::string(sparse::SparseOptimizerTypeName(info.param)); });

// --server_threads: batches split across 3 threads by key hash (pulls,
// read-only pulls and pushes) end with the rows of one thread, in memory and
// tiered (where the same rows are then evicted and looked up again: the new
// rows take the same slots), and with admission. The batches (2048 keys) are
// large enough to be split.
TEST_P(TierOptimizerTest, BatchesSplitAcrossThreadsEndWithTheRowsOfOneThread) {
  const sparse::TableConfig config = Table(GetParam());
  PartRunner runner(3);
  SparseTable one(config, kSeed);
  SparseTable split(config, kSeed);
  split.set_runner(&runner);
  TrainBoth(&split, &one, /*batches=*/40, /*batch_keys=*/2048, /*stream_seed=*/9, /*universe=*/60'000);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(split.num_rows(), one.num_rows());
  EXPECT_EQ(ChecksumOf(split), ChecksumOf(one));
}

TEST_F(TierTest, TieredBatchesSplitAcrossThreadsEvictAndLoadAsOneThread) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdagrad);
  sparse::TableConfig other = config;
  other.id = 4;
  other.name = "tier-test-one-thread";
  RocksTier* cold = OpenTier(std::vector<sparse::TableConfig>{config, other});
  PartRunner runner(3);
  SparseTable split(config, kSeed, {.memory_bytes = BudgetForRows(config, 3000), .cold = cold});
  split.set_runner(&runner);
  SparseTable one(other, kSeed, {.memory_bytes = BudgetForRows(other, 3000), .cold = cold});
  // `other` differs from `config` in id and name only; InitRowValue depends
  // on the id, so compare against a memory table of the same config too.
  SparseTable memory(config, kSeed);
  Zipf zipf(1.05, 60'000, 11);
  const int dim = config.dim;
  std::vector<Key> keys(2048);
  std::vector<float> a(keys.size() * dim), b(keys.size() * dim), c(keys.size() * dim), grads(keys.size() * dim);
  for (int batch = 0; batch < 40; ++batch) {
    const uint32_t step = static_cast<uint32_t>(batch + 1);
    for (Key& key : keys) key = zipf.Next();
    ASSERT_TRUE(split.PullBatch(Bytes(keys), keys.size(), true, step, Bytes(a)).ok());
    ASSERT_TRUE(one.PullBatch(Bytes(keys), keys.size(), true, step, Bytes(b)).ok());
    ASSERT_TRUE(memory.PullBatch(Bytes(keys), keys.size(), true, step, Bytes(c)).ok());
    ASSERT_EQ(a, c) << "batch " << batch;
    for (float& g : grads) g = static_cast<float>(zipf.rng().Normal(0.0, 0.5));
    ASSERT_TRUE(split.PushBatch(Bytes(keys), Bytes(grads), keys.size(), step).ok());
    ASSERT_TRUE(one.PushBatch(Bytes(keys), Bytes(grads), keys.size(), step).ok());
    ASSERT_TRUE(memory.PushBatch(Bytes(keys), Bytes(grads), keys.size(), step).ok());
    // A read-only pull (evaluation) of other keys reads RocksDB rows unloaded.
    for (Key& key : keys) key = zipf.Next();
    ASSERT_TRUE(split.PullBatch(Bytes(keys), keys.size(), false, step, Bytes(a)).ok());
    ASSERT_TRUE(one.PullBatch(Bytes(keys), keys.size(), false, step, Bytes(b)).ok());
    ASSERT_TRUE(memory.PullBatch(Bytes(keys), keys.size(), false, step, Bytes(c)).ok());
    ASSERT_EQ(a, c) << "batch " << batch;
    // The same rows stay in memory, so RocksDB is asked for the same keys.
    ASSERT_EQ(split.memory_rows(), one.memory_rows()) << "batch " << batch;
    ASSERT_EQ(split.cold_lookups(), one.cold_lookups()) << "batch " << batch;
    ASSERT_EQ(split.cold_found(), one.cold_found()) << "batch " << batch;
  }
  EXPECT_GT(split.cold_found(), 0) << "rows should have come back from RocksDB";
  EXPECT_EQ(split.num_rows(), memory.num_rows());
  EXPECT_EQ(ChecksumOf(split), ChecksumOf(memory));
}

// Two tiered tables, one splitting its batches across 3 threads, on a
// stream whose pushes also create rows (of keys no pull created), with and
// without admission: after every batch the same keys are in memory and
// RocksDB was asked the same. (A new row starting at step 0 instead of the
// batch's step gave a key pushed twice within a few keys a second CLOCK
// use on one thread only.)
TEST_F(TierTest, MixedStreamSplitAcrossThreadsKeepsTheSameRowsInMemory) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdagrad);
  for (const uint32_t min_count : {0u, 2u}) {
    SCOPED_TRACE("min_count " + std::to_string(min_count));
    RocksTierOptions other;
    other.path = dir_ + "/rocks-one-thread-" + std::to_string(min_count);
    other.block_cache_bytes = 4 << 20;
    auto one_tier = RocksTier::Open(other, {config});
    ASSERT_TRUE(one_tier.ok()) << one_tier.status();
    tier_.reset();
    RocksTier* cold = OpenTier(config);
    PartRunner runner(3);
    const int64_t budget = BudgetForRows(config, 1500);
    SparseTable split(config, kSeed, {.memory_bytes = budget, .cold = cold, .min_count = min_count});
    split.set_runner(&runner);
    SparseTable one(config, kSeed, {.memory_bytes = budget, .cold = one_tier->get(), .min_count = min_count});
    const auto memory_keys = [](const SparseTable& table) {
      std::vector<Key> keys;
      table.ForEachMemoryRow([&](Key key, const float*) { keys.push_back(key); });
      std::sort(keys.begin(), keys.end());
      return keys;
    };
    TrainBoth(&split, &one, /*batches=*/60, /*batch_keys=*/2048, /*stream_seed=*/17 + min_count, /*universe=*/60'000,
              [&](int batch) {
                ASSERT_EQ(split.cold_lookups(), one.cold_lookups()) << "batch " << batch;
                ASSERT_EQ(split.cold_found(), one.cold_found()) << "batch " << batch;
                ASSERT_EQ(memory_keys(split), memory_keys(one)) << "batch " << batch;
              });
    ASSERT_FALSE(HasFatalFailure());
    EXPECT_GT(split.cold_found(), 0);
    EXPECT_EQ(ChecksumOf(split), ChecksumOf(one));
    tier_.reset();
    std::filesystem::remove_all(dir_ + "/rocks");
  }
}

TEST_F(TierTest, AdmissionWithBatchesSplitAcrossThreadsCountsAsOneThread) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kFtrl);
  PartRunner runner(3);
  SparseTable one(config, kSeed, {.min_count = 3});
  SparseTable split(config, kSeed, {.min_count = 3});
  split.set_runner(&runner);
  TrainBoth(&split, &one, /*batches=*/40, /*batch_keys=*/2048, /*stream_seed=*/13, /*universe=*/60'000);
  ASSERT_FALSE(HasFatalFailure());
  std::map<Key, uint32_t> pending_one, pending_split;
  one.ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { pending_one[k] = count; });
  split.ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { pending_split[k] = count; });
  EXPECT_FALSE(pending_one.empty());
  EXPECT_EQ(pending_split, pending_one);
  EXPECT_GT(one.num_rows(), 0);
  EXPECT_EQ(split.num_rows(), one.num_rows());
  EXPECT_EQ(ChecksumOf(split), ChecksumOf(one));
}

// A server's tables share one budget. A table of many small rows and one of
// few large rows each keep about the same fraction of their rows in memory
// (a split by row size would leave the small-row table a sliver), the two
// stay within the budget, and their rows end as in memory-only tables.
TEST_F(TierTest, TablesSharingABudgetKeepTheSameFractionOfTheirRows) {
  sparse::TableConfig small = Table(sparse::SparseOptimizerType::kFtrl, /*dim=*/1);
  sparse::TableConfig large = Table(sparse::SparseOptimizerType::kAdagrad, /*dim=*/16);
  small.id = 3;
  large.id = 4;
  large.name = "tier-test-large";
  ASSERT_NE(OpenTier({small, large}), nullptr);
  // The budget: a tenth of what both tables' rows take in memory at the end
  // (measured with memory-only tables fed the same streams).
  SparseTable small_memory(small, kSeed), large_memory(large, kSeed);
  SparseTable* memory_tables[] = {&small_memory, &large_memory};
  const auto feed = [&](SparseTable* tables[2]) {
    Zipf small_keys(1.05, 2'000'000, 7), large_keys(1.05, 20'000, 8);
    std::vector<Key> keys(512);
    std::vector<float> rows(512 * 16), grads(512 * 16, 0.01f);
    for (int b = 0; b < 200; ++b) {
      const uint32_t step = static_cast<uint32_t>(b + 1);
      for (int t = 0; t < 2; ++t) {
        Zipf& zipf = t == 0 ? small_keys : large_keys;
        for (Key& key : keys) key = zipf.Next();
        ASSERT_TRUE(tables[t]->PullBatch(Bytes(keys), keys.size(), true, step, Bytes(rows)).ok());
        ASSERT_TRUE(
            tables[t]->PushBatch(Bytes(keys), reinterpret_cast<const char*>(grads.data()), keys.size(), step).ok());
      }
    }
  };
  feed(memory_tables);
  ASSERT_FALSE(HasFatalFailure());
  const int64_t memory_bytes =
      small_memory.num_rows() * small_memory.ChargePerRow() + large_memory.num_rows() * large_memory.ChargePerRow();
  SharedMemoryBudget budget(memory_bytes / 10);
  SparseTable small_tiered(small, kSeed, {.shared = &budget, .cold = tier_.get()});
  SparseTable large_tiered(large, kSeed, {.shared = &budget, .cold = tier_.get()});
  budget.Add(&small_tiered);
  budget.Add(&large_tiered);
  SparseTable* tiered_tables[] = {&small_tiered, &large_tiered};
  feed(tiered_tables);
  ASSERT_FALSE(HasFatalFailure());

  EXPECT_GT(small_tiered.num_rows(), 2 * large_tiered.num_rows()) << "the small-row table has many more rows";
  const int64_t tiered_bytes = small_tiered.memory_rows() * small_tiered.ChargePerRow() +
                               large_tiered.memory_rows() * large_tiered.ChargePerRow();
  EXPECT_LE(tiered_bytes, budget.bytes());
  for (SparseTable* table : tiered_tables) {
    const double in_memory = static_cast<double>(table->memory_rows()) / static_cast<double>(table->num_rows());
    std::printf("%s: %lld rows, %.3f in memory\n", table->config().name.c_str(),
                static_cast<long long>(table->num_rows()), in_memory);
    EXPECT_GT(in_memory, 0.08) << table->config().name;
    EXPECT_LT(in_memory, 0.11) << table->config().name;
  }
  EXPECT_EQ(small_tiered.num_rows(), small_memory.num_rows());
  EXPECT_EQ(large_tiered.num_rows(), large_memory.num_rows());
  EXPECT_EQ(ChecksumOf(small_tiered), ChecksumOf(small_memory));
  EXPECT_EQ(ChecksumOf(large_tiered), ChecksumOf(large_memory));
}

// A restore loads tables one after another: the first one takes a part of a
// shared budget sized while the others are empty. EnforceBudget, which
// LoadShards calls at the end, brings every table down to its part.
TEST_F(TierTest, EnforceBudgetAfterLoadingTablesOneAfterAnother) {
  sparse::TableConfig first = Table(sparse::SparseOptimizerType::kSgd),
                      second = Table(sparse::SparseOptimizerType::kSgd);
  first.id = 3;
  second.id = 4;
  ASSERT_NE(OpenTier({first, second}), nullptr);
  SharedMemoryBudget budget(BudgetForRows(first, 20'000));
  SparseTable a(first, kSeed, {.shared = &budget, .cold = tier_.get()});
  SparseTable b(second, kSeed, {.shared = &budget, .cold = tier_.get()});
  budget.Add(&a);
  budget.Add(&b);
  std::vector<float> row(static_cast<size_t>(a.row_floats()), 0.5f);
  for (Key key = 1; key <= 20'000; ++key) ASSERT_TRUE(a.InsertRow(key, row.data()).ok());
  for (Key key = 1; key <= 20'000; ++key) ASSERT_TRUE(b.InsertRow(key, row.data()).ok());
  EXPECT_GT(a.memory_rows() + b.memory_rows(), 30'000) << "a loaded alone into (nearly) the whole budget";
  ASSERT_TRUE(a.EnforceBudget().ok());
  ASSERT_TRUE(b.EnforceBudget().ok());
  EXPECT_LE(a.memory_rows(), 10'000);
  EXPECT_LE(b.memory_rows(), 10'000);
  EXPECT_GT(a.memory_rows(), 9'000);
  EXPECT_GT(b.memory_rows(), 9'000);
  EXPECT_EQ(a.num_rows(), 20'000);
  EXPECT_EQ(b.num_rows(), 20'000);
}

TEST_F(TierTest, CheckpointPlusMemoryRowsRestoreEveryRow) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdagrad);
  RocksTier* cold = OpenTier(config);
  SparseTable memory(config, kSeed);
  SparseTable tiered(config, kSeed, {.memory_bytes = BudgetForRows(config, 500), .cold = cold});
  TrainBoth(&tiered, &memory, 120, 256, /*stream_seed=*/9, /*universe=*/10'000);
  ASSERT_FALSE(HasFatalFailure());
  const uint64_t want = ChecksumOf(memory);
  ASSERT_EQ(ChecksumOf(tiered), want);

  const std::string checkpoint = dir_ + "/ckpt";
  ASSERT_TRUE(cold->Checkpoint(checkpoint).ok());
  Status again = cold->Checkpoint(checkpoint);
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find(checkpoint), std::string_view::npos) << again;

  // Into an all-memory table, and into a tiered one with its own DB: cold
  // rows first, then the memory rows, which win over stale cold copies.
  RocksTierOptions options;
  options.path = dir_ + "/restored-rocks";
  auto restored_cold = RocksTier::Open(options, {config});
  ASSERT_TRUE(restored_cold.ok()) << restored_cold.status();
  SparseTable restored(config, kSeed);
  SparseTable restored_tiered(config, kSeed,
                              {.memory_bytes = BudgetForRows(config, 300), .cold = restored_cold->get()});
  int64_t cold_rows = 0;
  ASSERT_TRUE(ForEachCheckpointRow(checkpoint, config.id, tiered.row_floats(), [&](Key key, const float* row) {
                ++cold_rows;
                ASSERT_TRUE(restored.InsertRow(key, row).ok());
                ASSERT_TRUE(restored_tiered.InsertRow(key, row).ok());
              }).ok());
  EXPECT_GE(cold_rows, tiered.num_rows() - tiered.memory_rows());
  tiered.ForEachMemoryRow([&](Key key, const float* row) {
    ASSERT_TRUE(restored.InsertRow(key, row).ok());
    ASSERT_TRUE(restored_tiered.InsertRow(key, row).ok());
  });
  EXPECT_EQ(restored.num_rows(), memory.num_rows());
  EXPECT_EQ(restored_tiered.num_rows(), memory.num_rows());
  EXPECT_EQ(ChecksumOf(restored), want);
  EXPECT_EQ(ChecksumOf(restored_tiered), want);
  EXPECT_LE(restored_tiered.memory_rows(), 300 + 1024);

  // Missing DB, missing table, wrong row size.
  Status missing = ForEachCheckpointRow(dir_ + "/nothing", config.id, tiered.row_floats(), [](Key, const float*) {});
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing;
  EXPECT_NE(missing.message().find(dir_ + "/nothing"), std::string_view::npos) << missing;
  Status no_table = ForEachCheckpointRow(checkpoint, 99, tiered.row_floats(), [](Key, const float*) {});
  EXPECT_EQ(no_table.code(), StatusCode::kNotFound) << no_table;
  EXPECT_NE(no_table.message().find("table-99"), std::string_view::npos) << no_table;
  Status wrong_size = ForEachCheckpointRow(checkpoint, config.id, tiered.row_floats() + 1, [](Key, const float*) {});
  EXPECT_EQ(wrong_size.code(), StatusCode::kDataLoss) << wrong_size;
  EXPECT_NE(wrong_size.message().find(checkpoint), std::string_view::npos) << wrong_size;
  EXPECT_NE(wrong_size.message().find("key"), std::string_view::npos) << wrong_size;
}

// Admission, on an all-memory table and a tiered one alike.
void ExpectAdmissionAfterThreeCreatingPulls(SparseTable* table) {
  const sparse::TableConfig& config = table->config();
  const int dim = config.dim;
  const std::vector<Key> key = {42};
  std::vector<float> out(dim, 1.0f), zeros(dim, 0.0f), grad(dim, 0.5f);
  for (int i = 0; i < 4; ++i) {  // read-only pulls do not count
    ASSERT_TRUE(table->PullBatch(Bytes(key), 1, /*create=*/false, 1, Bytes(out)).ok());
    EXPECT_EQ(out, zeros);
  }
  std::map<Key, uint32_t> pending;
  for (uint32_t seen = 1; seen <= 2; ++seen) {
    ASSERT_TRUE(table->PullBatch(Bytes(key), 1, /*create=*/true, seen, Bytes(out)).ok());
    EXPECT_EQ(out, zeros) << "creating pull " << seen;
    ASSERT_TRUE(table->PushBatch(Bytes(key), Bytes(grad), 1, seen).ok());  // dropped
    EXPECT_EQ(table->num_rows(), 0);
    pending.clear();
    table->ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { pending[k] = count; });
    EXPECT_EQ(pending, (std::map<Key, uint32_t>{{42, seen}}));
  }
  ASSERT_TRUE(table->PullBatch(Bytes(key), 1, /*create=*/true, 3, Bytes(out)).ok());
  std::vector<float> initial(dim);
  InitRowValue(config, kSeed, 42, initial.data());
  EXPECT_EQ(out, initial);
  EXPECT_EQ(table->num_rows(), 1);
  pending.clear();
  table->ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { pending[k] = count; });
  EXPECT_TRUE(pending.empty());
  ASSERT_TRUE(table->PushBatch(Bytes(key), Bytes(grad), 1, 3).ok());
  ASSERT_TRUE(table->PullBatch(Bytes(key), 1, false, 3, Bytes(out)).ok());
  EXPECT_NE(out, initial) << "the push after admission applies";
  // Duplicates inside one batch count one by one: the 3rd occurrence admits.
  const std::vector<Key> dups = {7, 7, 7, 7};
  std::vector<float> four(4 * dim);
  ASSERT_TRUE(table->PullBatch(Bytes(dups), 4, true, 4, Bytes(four)).ok());
  InitRowValue(config, kSeed, 7, initial.data());
  EXPECT_TRUE(std::equal(four.begin(), four.begin() + 2 * dim, std::vector<float>(2 * dim, 0.0f).begin()));
  EXPECT_TRUE(std::equal(initial.begin(), initial.end(), four.begin() + 2 * dim));
  EXPECT_TRUE(std::equal(initial.begin(), initial.end(), four.begin() + 3 * dim));
}

TEST_F(TierTest, AdmissionAfterMinCountCreatingPulls) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdagrad);
  SparseTable memory(config, kSeed, {.min_count = 3});
  ExpectAdmissionAfterThreeCreatingPulls(&memory);
  ASSERT_FALSE(HasFatalFailure());
  SparseTable tiered(config, kSeed,
                     {.memory_bytes = BudgetForRows(config, 10), .cold = OpenTier(config), .min_count = 3});
  ExpectAdmissionAfterThreeCreatingPulls(&tiered);
}

TEST_F(TierTest, ExpiryDeletesUntouchedRowsFromBothTiers) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kFtrl);
  RocksTier* cold = OpenTier(config);
  SparseTable memory(config, kSeed, {.ttl_steps = 10});
  SparseTable tiered(config, kSeed, {.memory_bytes = BudgetForRows(config, 200), .cold = cold, .ttl_steps = 10});
  const int dim = config.dim;
  std::vector<Key> old_keys(3000), touched;
  for (size_t i = 0; i < old_keys.size(); ++i) old_keys[i] = Mix64(i + 1);
  std::vector<float> grads(old_keys.size() * dim, 0.25f), out(old_keys.size() * dim);
  for (SparseTable* table : {&memory, &tiered}) {
    ASSERT_TRUE(table->PushBatch(Bytes(old_keys), Bytes(grads), old_keys.size(), /*step=*/1).ok());
  }
  for (size_t i = 0; i < old_keys.size(); i += 7) touched.push_back(old_keys[i]);
  for (SparseTable* table : {&memory, &tiered}) {  // touched at step 5 (pull) and 12 (push)
    ASSERT_TRUE(table->PullBatch(Bytes(touched), touched.size(), true, 5, Bytes(out)).ok());
    ASSERT_TRUE(table->PushBatch(Bytes(touched), Bytes(grads), touched.size(), 12).ok());
  }
  ASSERT_GT(tiered.num_rows() - tiered.memory_rows(), 2000) << "most rows should be cold";

  for (SparseTable* table : {&memory, &tiered}) {
    StatusOr<int64_t> none = table->Expire(11);  // 1 + 10 < 11 is false: nothing yet
    ASSERT_TRUE(none.ok()) << none.status();
    EXPECT_EQ(*none, 0);
    StatusOr<int64_t> expired = table->Expire(12);
    ASSERT_TRUE(expired.ok()) << expired.status();
    EXPECT_EQ(*expired, static_cast<int64_t>(old_keys.size() - touched.size()));
    EXPECT_EQ(table->num_rows(), static_cast<int64_t>(touched.size()));
  }
  EXPECT_EQ(ChecksumOf(tiered), ChecksumOf(memory));
  // Gone from RocksDB too (only stale copies of touched keys may stay).
  std::map<Key, bool> is_touched;
  for (Key key : touched) is_touched[key] = true;
  ASSERT_TRUE(cold->ForEachRow(config.id, tiered.row_floats(),
                               [&](Key key, const float*) {
                                 EXPECT_TRUE(is_touched.count(key)) << "expired key " << key << " still in RocksDB";
                                 return Status::OK();
                               })
                  .ok());
  // Expired keys read as zeros, and creating pulls recreate them fresh.
  const std::vector<Key> gone = {old_keys[1], old_keys[2]};
  std::vector<float> two(2 * dim), initial(dim);
  ASSERT_TRUE(tiered.PullBatch(Bytes(gone), 2, false, 13, Bytes(two)).ok());
  EXPECT_EQ(two, std::vector<float>(2 * dim, 0.0f));
  ASSERT_TRUE(tiered.PullBatch(Bytes(gone), 2, true, 13, Bytes(two)).ok());
  InitRowValue(config, kSeed, gone[0], initial.data());
  EXPECT_TRUE(std::equal(initial.begin(), initial.end(), two.begin()));
  EXPECT_EQ(tiered.num_rows(), static_cast<int64_t>(touched.size() + 2));
}

TEST_F(TierTest, ExpiryDropsStaleAdmissionCounters) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd);
  SparseTable table(config, kSeed, {.min_count = 3, .ttl_steps = 10});
  const std::vector<Key> keys = {1, 2};
  std::vector<float> out(2 * config.dim);
  ASSERT_TRUE(table.PullBatch(Bytes(keys), 1, true, 1, Bytes(out)).ok());      // key 1 at step 1
  ASSERT_TRUE(table.PullBatch(Bytes(keys) + 8, 1, true, 8, Bytes(out)).ok());  // key 2 at step 8
  ASSERT_TRUE(table.Expire(12).ok());
  std::map<Key, uint32_t> pending;
  table.ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { pending[k] = count; });
  EXPECT_EQ(pending, (std::map<Key, uint32_t>{{2, 1}}));
}

// A restored counter keeps the step it was last counted at, so expiry after
// a resume drops exactly the counters the uninterrupted table drops.
TEST_F(TierTest, RestoredAdmissionCountersKeepTheirSteps) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd);
  SparseTable original(config, kSeed, {.min_count = 3, .ttl_steps = 10});
  const std::vector<Key> keys = {1, 2};
  std::vector<float> out(2 * config.dim);
  ASSERT_TRUE(original.PullBatch(Bytes(keys), 1, true, 1, Bytes(out)).ok());      // key 1 at step 1
  ASSERT_TRUE(original.PullBatch(Bytes(keys) + 8, 1, true, 8, Bytes(out)).ok());  // key 2 at step 8
  SparseTable restored(config, kSeed, {.min_count = 3, .ttl_steps = 10});
  std::map<Key, std::pair<uint32_t, uint32_t>> saved;
  original.ForEachPendingCount([&](Key k, uint32_t count, uint32_t step) {
    saved[k] = {count, step};
    restored.SetPendingCount(k, count, step);
  });
  EXPECT_EQ(saved, (std::map<Key, std::pair<uint32_t, uint32_t>>{{1, {1, 1}}, {2, {1, 8}}}));
  ASSERT_TRUE(original.Expire(12).ok());
  ASSERT_TRUE(restored.Expire(12).ok());
  std::map<Key, uint32_t> left_original, left_restored;
  original.ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { left_original[k] = count; });
  restored.ForEachPendingCount([&](Key k, uint32_t count, uint32_t) { left_restored[k] = count; });
  EXPECT_EQ(left_restored, left_original);
  EXPECT_EQ(left_restored, (std::map<Key, uint32_t>{{2, 1}}));
}

// Rows for RocksTier::PutRows: row i of `values` is row_floats floats.
std::vector<const float*> RowPointers(const std::vector<float>& values, int row_floats) {
  std::vector<const float*> rows;
  for (size_t i = 0; i < values.size(); i += static_cast<size_t>(row_floats)) rows.push_back(values.data() + i);
  return rows;
}

TEST_F(TierTest, WriteBackReadsBackTheSameBeforeAndAfterItLands) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, /*dim=*/6);
  const int row_floats = SparseTable::RowFloats(config);
  RocksTier* cold = OpenTier(config);
  Rng rng(3);
  // Round r writes 60,000 rows: keys r*1e6 + i, in shuffled order, and key
  // 7 twice (the last wins). It then reads, at once (while the writer
  // thread is most likely still at it), keys of this round, keys of the
  // round before (in RocksDB) and absent keys; then again once written.
  std::map<Key, std::vector<float>> want;
  const int kRows = 60'000;
  // Six rounds, and more (up to 20) while no read has yet come during a
  // write-back: on a loaded machine the writer can finish first.
  for (int round = 0; round < 6 || (round < 20 && cold->reads_from_writes_in_flight() == 0); ++round) {
    std::vector<Key> keys;
    for (int i = 0; i < kRows; ++i) keys.push_back(static_cast<Key>(round) * 1'000'000 + static_cast<Key>(i) + 100);
    for (size_t i = keys.size() - 1; i > 0; --i) std::swap(keys[i], keys[rng.UniformInt(i + 1)]);
    keys.push_back(7);
    keys.push_back(7);
    std::vector<float> values(keys.size() * static_cast<size_t>(row_floats));
    for (float& v : values) v = static_cast<float>(rng.Normal(0.0, 1.0));
    ASSERT_TRUE(cold->PutRows(config.id, keys, RowPointers(values, row_floats), row_floats).ok());
    for (size_t i = 0; i < keys.size(); ++i) {
      want[keys[i]].assign(values.begin() + static_cast<ptrdiff_t>(i * row_floats),
                           values.begin() + static_cast<ptrdiff_t>((i + 1) * row_floats));
    }
    std::vector<Key> asked = {7, 5, keys[0], keys[kRows / 2], keys[kRows - 1], 999'999'999};
    if (round > 0) asked.push_back(static_cast<Key>(round - 1) * 1'000'000 + 100 + 17);
    for (int pass = 0; pass < 2; ++pass) {
      if (pass == 1) {
        ASSERT_TRUE(cold->WaitForWrites().ok());
      }
      const int64_t in_flight_before = cold->reads_from_writes_in_flight();
      std::vector<float> got(asked.size() * static_cast<size_t>(row_floats), -1.0f);
      std::vector<uint8_t> found;
      ASSERT_TRUE(cold->MultiGet(config.id, asked, row_floats, got.data(), &found).ok());
      for (size_t i = 0; i < asked.size(); ++i) {
        const auto it = want.find(asked[i]);
        ASSERT_EQ(found[i] != 0, it != want.end()) << "round " << round << " pass " << pass << " key " << asked[i];
        if (it == want.end()) continue;
        EXPECT_EQ(0, std::memcmp(got.data() + i * row_floats, it->second.data(), row_floats * sizeof(float)))
            << "round " << round << " pass " << pass << " key " << asked[i];
      }
      if (pass == 1) {
        EXPECT_EQ(cold->reads_from_writes_in_flight(), in_flight_before) << "all written";
      }
    }
  }
  // The reads above are right either way; this says the copy was read.
  EXPECT_GT(cold->reads_from_writes_in_flight(), 0) << "no read came while a write was in flight";
  // Scans and checkpoints wait for the writes: every row is there.
  int64_t rows = 0;
  ASSERT_TRUE(cold->ForEachRow(config.id, row_floats,
                               [&](Key key, const float* row) {
                                 ++rows;
                                 const auto it = want.find(key);
                                 if (it == want.end() ||
                                     std::memcmp(row, it->second.data(), row_floats * sizeof(float)) != 0) {
                                   return Status::Internal("key ", key, " differs");
                                 }
                                 return Status::OK();
                               })
                  .ok());
  EXPECT_EQ(rows, static_cast<int64_t>(want.size()));
}

// A write-back that RocksDB refuses (its flush hits the file-size limit) is
// reported by the next PutRows, naming the path and table, and its rows stay
// readable: none is lost. The child case runs in a process of its own,
// started by the case after it: the limit is per process, and RocksDB's
// background threads do not survive a fork.
TEST_F(TierTest, WriteBackUnderAFileSizeLimitChild) {
  const char* path = std::getenv("EMBER_TIER_TEST_LIMITED_DB");
  if (path == nullptr) GTEST_SKIP() << "the child of FailedWriteBackIsReportedAndItsRowsStayReadable";
  signal(SIGXFSZ, SIG_IGN);
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = 256 << 10;  // memtables of 1 MiB cannot be flushed
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limit), 0);
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, /*dim=*/30);
  const int row_floats = SparseTable::RowFloats(config);
  RocksTierOptions options;
  options.path = path;
  options.write_buffer_bytes = 1 << 20;
  auto opened = RocksTier::Open(options, {config});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksTier> cold = std::move(opened).value();
  std::vector<Key> keys(2000);
  std::vector<float> values(keys.size() * static_cast<size_t>(row_floats));
  const auto value_of = [&](int batch, size_t i) { return static_cast<float>(batch) + static_cast<float>(i) * 1e-3f; };
  Status status;
  int batch = 0;
  for (; batch < 200 && status.ok(); ++batch) {
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<Key>(batch) * 10'000 + i;
    for (size_t i = 0; i < values.size(); ++i) values[i] = value_of(batch, i);
    status = cold->PutRows(config.id, keys, RowPointers(values, row_floats), row_floats);
  }
  ASSERT_FALSE(status.ok()) << "200 batches of 256 KB were all written under a 256 KiB file-size limit";
  EXPECT_NE(status.message().find(path), std::string_view::npos) << status;
  EXPECT_NE(status.message().find("table-3"), std::string_view::npos) << status;
  EXPECT_NE(status.message().find("write-back"), std::string_view::npos) << status;
  // The batch refused last (batch - 1) was not taken; the one before failed
  // in RocksDB: its rows come from the tier's copy.
  const int failed = batch - 2;
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<Key>(failed) * 10'000 + i;
  std::vector<float> got(values.size());
  std::vector<uint8_t> found;
  ASSERT_TRUE(cold->MultiGet(config.id, keys, row_floats, got.data(), &found).ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(found[i]) << "key " << keys[i];
    ASSERT_EQ(got[i * row_floats], value_of(failed, i * row_floats)) << "key " << keys[i];
  }
  EXPECT_FALSE(cold->WaitForWrites().ok()) << "the failure is reported again";
}

TEST_F(TierTest, FailedWriteBackIsReportedAndItsRowsStayReadable) {
  const std::string path = dir_ + "/rocks-limited";
  char self[4096] = {};
  ASSERT_GT(::readlink("/proc/self/exe", self, sizeof(self) - 1), 0);
  testing_util::BackgroundProcess child("env EMBER_TIER_TEST_LIMITED_DB=" + path + " " + self +
                                            " --gtest_filter=TierTest.WriteBackUnderAFileSizeLimitChild",
                                        dir_ + "/child.log");
  ASSERT_TRUE(child.started());
  // RocksDB could stall writes forever instead of failing them: give up
  // after 120 s.
  ASSERT_TRUE(child.WaitForExit(std::chrono::seconds(120)))
      << "the child hung: a failed write-back stalled instead of failing\n"
      << child.output();
  ASSERT_EQ(child.signal(), 0) << "the child died of signal " << child.signal() << "\n" << child.output();
  EXPECT_EQ(child.exit_code(), 0) << "the child's checks failed\n" << child.output();
  EXPECT_NE(child.output().find("[  PASSED  ] 1 test."), std::string::npos) << "the child did not run\n"
                                                                            << child.output();
}

// A disk that stops answering stops RocksDB's flushes; once its memtables
// are full, RocksDB holds every write back. The write-back then fails within
// the tier's deadline, naming the path (before: it waited forever inside
// RocksDB, and the job died 60 s later of a worker's PULL timeout), and the
// rows it held stay readable from the copy.
TEST_F(TierTest, StalledFlushesFailTheWriteBackWithinTheDeadline) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, /*dim=*/30);
  const int row_floats = SparseTable::RowFloats(config);
  RocksTierOptions options;
  options.path = dir_ + "/rocks-stalled";
  options.write_buffer_bytes = 256 << 10;
  options.stall_timeout = std::chrono::milliseconds(300);
  auto opened = RocksTier::Open(options, {config});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksTier> cold = std::move(opened).value();
  cold->PauseBackgroundWorkForTest();
  std::vector<Key> keys(2000);
  std::vector<float> values(keys.size() * static_cast<size_t>(row_floats));
  const auto start = std::chrono::steady_clock::now();
  Status status;
  int batch = 0;
  for (; batch < 100 && status.ok(); ++batch) {  // 256 KB a batch
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<Key>(batch) * 10'000 + i;
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(batch) + static_cast<float>(i) * 1e-3f;
    status = cold->PutRows(config.id, keys, RowPointers(values, row_floats), row_floats);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(status.ok()) << "100 batches of 256 KB written into 256 KiB memtables that are never flushed";
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status;
  EXPECT_NE(status.message().find(options.path), std::string_view::npos) << status;
  EXPECT_NE(status.message().find("write-back"), std::string_view::npos) << status;
  EXPECT_LT(seconds, 30.0) << "the stalled write was not given up";
  // The batch refused last (batch - 1) was not taken; the one before is the
  // stalled write: its rows come from the copy.
  const int stalled = batch - 2;
  for (size_t i = 0; i < keys.size(); ++i) keys[i] = static_cast<Key>(stalled) * 10'000 + i;
  std::vector<float> got(values.size());
  std::vector<uint8_t> found;
  ASSERT_TRUE(cold->MultiGet(config.id, keys, row_floats, got.data(), &found).ok());
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(found[i]) << "key " << keys[i];
    ASSERT_EQ(got[i * row_floats], static_cast<float>(stalled) + static_cast<float>(i * row_floats) * 1e-3f);
  }
  const Status deleted = cold->Delete(config.id, keys);
  EXPECT_EQ(deleted.code(), StatusCode::kDeadlineExceeded) << "the failure is reported again: " << deleted;
  cold->ContinueBackgroundWorkForTest();
}

// A MultiGet past the tier's deadline fails with DeadlineExceeded naming
// the path (RocksDB checks the deadline between its batches of 32 keys, so
// 5,000 keys under a 1 us deadline always pass it).
TEST_F(TierTest, MultiGetPastTheDeadlineFailsNamingThePath) {
  const sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, /*dim=*/6);
  const int row_floats = SparseTable::RowFloats(config);
  RocksTierOptions options;
  options.path = dir_ + "/rocks-slow";
  options.stall_timeout = std::chrono::microseconds(1);
  auto opened = RocksTier::Open(options, {config});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RocksTier> cold = std::move(opened).value();
  std::vector<Key> keys(5000);
  std::iota(keys.begin(), keys.end(), Key{1});
  std::vector<float> values(keys.size() * static_cast<size_t>(row_floats), 0.5f);
  ASSERT_TRUE(cold->PutRows(config.id, keys, RowPointers(values, row_floats), row_floats).ok());
  ASSERT_TRUE(cold->WaitForWrites().ok());
  std::vector<uint8_t> found;
  const Status status = cold->MultiGet(config.id, keys, row_floats, values.data(), &found);
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status;
  EXPECT_NE(status.message().find(options.path), std::string_view::npos) << status;

  options.stall_timeout = std::chrono::microseconds(0);
  EXPECT_EQ(RocksTier::Open(options, {config}).status().code(), StatusCode::kInvalidArgument);
}

// Checkpoints written before the tier's KeyComparator (RocksDB's bytewise
// comparator, the same key order) still read back.
TEST_F(TierTest, CheckpointOfTheBytewiseComparatorReadsBack) {
  const std::string dir = dir_ + "/bytewise";
  rocksdb::Options options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
      {ColumnFamilyName(3), rocksdb::ColumnFamilyOptions()}};
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, descriptors, &handles, &raw).ok());
  const std::vector<Key> keys = {0x0102030405060708ULL, 5, 0xff00000000000001ULL};
  for (Key key : keys) {
    char key_bytes[8];
    for (int i = 0; i < 8; ++i) key_bytes[i] = static_cast<char>(key >> (56 - 8 * i));
    const float row[2] = {static_cast<float>(key % 1000), 1.5f};  // little-endian hosts: the stored bytes
    ASSERT_TRUE(raw->Put(rocksdb::WriteOptions(), handles[1], rocksdb::Slice(key_bytes, 8),
                         rocksdb::Slice(reinterpret_cast<const char*>(row), sizeof(row)))
                    .ok());
  }
  for (rocksdb::ColumnFamilyHandle* handle : handles) ASSERT_TRUE(raw->DestroyColumnFamilyHandle(handle).ok());
  ASSERT_TRUE(raw->Close().ok());
  delete raw;
  std::vector<Key> read;
  Status status = ForEachCheckpointRow(dir, 3, 2, [&](Key key, const float* row) {
    read.push_back(key);
    EXPECT_EQ(row[0], static_cast<float>(key % 1000));
    EXPECT_EQ(row[1], 1.5f);
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(read, (std::vector<Key>{5, 0x0102030405060708ULL, 0xff00000000000001ULL})) << "in key order";
}

TEST_F(TierTest, RocksErrorsBecomeStatusNamingThePath) {
  const std::string file = dir_ + "/a-file";
  std::ofstream(file) << "not a directory";
  RocksTierOptions options;
  options.path = file + "/rocks";
  auto opened = RocksTier::Open(options, {Table(sparse::SparseOptimizerType::kSgd)});
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find(options.path), std::string_view::npos) << opened.status();

  RocksTierOptions empty;
  EXPECT_EQ(RocksTier::Open(empty, {}).status().code(), StatusCode::kInvalidArgument);

  RocksTier* cold = OpenTier(Table(sparse::SparseOptimizerType::kSgd));
  std::vector<uint8_t> found;
  const std::vector<Key> keys = {1};
  float row[16];
  Status unknown = cold->MultiGet(/*table_id=*/12, keys, 4, row, &found);
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound) << unknown;
  EXPECT_NE(unknown.message().find("12"), std::string_view::npos) << unknown;
}

}  // namespace
}  // namespace ember::storage
