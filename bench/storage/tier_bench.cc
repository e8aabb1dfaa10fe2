// tier_bench: training-like throughput of a sparse table ~10x its memory
// budget (memory tier over RocksDB) against the same stream all in memory.
//
// Each step is a creating PullBatch and a PushBatch of the same keys: a
// batch of `--batch` unique keys drawn from a Zipf(1.05) stream over
// `--rows` ranks; dim 16, AdaGrad. Both tables are first warmed up with every
// one of the `--rows` keys (the tiered one then holds --budget_rows in
// memory, the rest in RocksDB) and one untimed pass over the stream; then
// the stream is replayed `--runs` times and the medians of keys/s and of
// keys per CPU-second (process CPU, RocksDB's threads included: steadier on a
// shared box) are printed, each with the tiered/memory ratio.
//
// Reproduce: build-tier/bench/storage/tier_bench [--rows=2000000]
//   [--budget_rows=200000] [--batches=200] [--block_cache_mb=64]
//   [--bloom_bits=10] [--lz4=0] [--mode=both|tiered|memory] [--dir=/tmp]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/random.h"
#include "storage/rocks_tier.h"
#include "storage/sparse_table.h"

namespace ember::storage {
namespace {

struct Flags {
  int64_t rows = 2'000'000;
  int64_t budget_rows = 200'000;
  int64_t batches = 200;
  int64_t batch = 4096;
  int64_t block_cache_mb = 64;
  int64_t bloom_bits = 10;
  int64_t lz4 = 0;
  int64_t runs = 3;
  int64_t write_buffer_mb = 16;
  std::string mode = "both";
  std::string dir = "/tmp";
};

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  std::map<std::string, int64_t*> ints = {{"rows", &flags.rows},
                                          {"budget_rows", &flags.budget_rows},
                                          {"batches", &flags.batches},
                                          {"batch", &flags.batch},
                                          {"block_cache_mb", &flags.block_cache_mb},
                                          {"bloom_bits", &flags.bloom_bits},
                                          {"lz4", &flags.lz4},
                                          {"runs", &flags.runs},
                                          {"write_buffer_mb", &flags.write_buffer_mb}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad flag %s\n", argv[i]);
      std::exit(2);
    }
    const std::string name = arg.substr(2, eq - 2), value = arg.substr(eq + 1);
    if (name == "mode") {
      flags.mode = value;
    } else if (name == "dir") {
      flags.dir = value;
    } else if (ints.count(name)) {
      *ints[name] = std::stoll(value);
    } else {
      std::fprintf(stderr, "unknown flag --%s\n", name.c_str());
      std::exit(2);
    }
  }
  return flags;
}

sparse::TableConfig Config() {
  sparse::TableConfig config;
  config.id = 1;
  config.name = "bench";
  config.dim = 16;
  config.optimizer.type = sparse::SparseOptimizerType::kAdagrad;
  config.initializer = sparse::InitializerType::kNormal;
  return config;
}

Key KeyOfRank(uint64_t rank) { return Mix64(rank * 0x9e3779b97f4a7c15ULL); }

// Batches of `batch` unique keys from a Zipf(1.05) stream over [1, rows].
// *tail_share: the share of the batches' keys whose rank is past
// budget_rows, i.e. the miss share of an oracle cache holding the hottest
// budget_rows keys.
std::vector<std::vector<Key>> ZipfBatches(const Flags& flags, double* tail_share) {
  int64_t tail = 0;
  constexpr double kExponent = 1.05;
  Rng rng(2024);
  const double mass = 1.0 - std::pow(static_cast<double>(flags.rows), 1.0 - kExponent);
  std::vector<std::vector<Key>> batches(static_cast<size_t>(flags.batches));
  for (auto& keys : batches) {
    std::unordered_set<Key> seen;
    while (static_cast<int64_t>(keys.size()) < flags.batch) {
      auto rank = static_cast<uint64_t>(std::pow(1.0 - rng.Uniform() * mass, 1.0 / (1.0 - kExponent)));
      rank = std::clamp<uint64_t>(rank, 1, static_cast<uint64_t>(flags.rows));
      const Key key = KeyOfRank(rank);
      if (seen.insert(key).second) {
        keys.push_back(key);
        tail += static_cast<int64_t>(rank) > flags.budget_rows;
      }
    }
  }
  *tail_share = static_cast<double>(tail) / static_cast<double>(flags.batches * flags.batch);
  return batches;
}

void Check(const Status& status) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    std::exit(1);
  }
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

struct PassFigures {
  double keys_per_s = 0;
  double keys_per_cpu_s = 0;    // per second of process CPU time (all threads: RocksDB's too)
  double pull_miss_share = -1;  // keys not in memory before the pull (-1: not counted)
  double push_miss_share = -1;  // ... before the push
};

// One pass of pull + push over the batches. Counting misses costs 2 x 4096
// index lookups a batch (under 2% of a tiered pass); memory passes skip it.
PassFigures Pass(SparseTable* table, const std::vector<std::vector<Key>>& batches, uint32_t* step, bool count_misses) {
  const int dim = table->dim();
  std::vector<float> rows(batches[0].size() * dim), grads(batches[0].size() * dim, 0.01f);
  int64_t keys = 0, pull_misses = 0, push_misses = 0;
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (const auto& batch : batches) {
    ++*step;
    if (count_misses) {
      for (Key key : batch) pull_misses += table->MemoryRow(key) == nullptr;
    }
    const char* key_bytes = reinterpret_cast<const char*>(batch.data());
    Check(table->PullBatch(key_bytes, batch.size(), /*create=*/true, *step, reinterpret_cast<char*>(rows.data())));
    if (count_misses) {
      for (Key key : batch) push_misses += table->MemoryRow(key) == nullptr;
    }
    Check(table->PushBatch(key_bytes, reinterpret_cast<const char*>(grads.data()), batch.size(), *step));
    keys += static_cast<int64_t>(batch.size());
  }
  PassFigures figures;
  figures.keys_per_s = static_cast<double>(keys) / Seconds(start);
  figures.keys_per_cpu_s = static_cast<double>(keys) / (static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
  if (count_misses) {
    figures.pull_miss_share = static_cast<double>(pull_misses) / static_cast<double>(keys);
    figures.push_miss_share = static_cast<double>(push_misses) / static_cast<double>(keys);
  }
  return figures;
}

// Medians of keys/s and keys per CPU-second (the latter less sensitive to
// other processes on a shared box).
struct RunFigures {
  double keys_per_s = 0;
  double keys_per_cpu_s = 0;
};

RunFigures Run(const Flags& flags, bool tiered, const std::vector<std::vector<Key>>& batches) {
  const sparse::TableConfig config = Config();
  std::unique_ptr<RocksTier> cold;
  TierOptions tier;
  if (tiered) {
    RocksTierOptions options;
    options.path = flags.dir + "/tier_bench-rocks";
    options.block_cache_bytes = flags.block_cache_mb << 20;
    options.bloom_bits_per_key = static_cast<int>(flags.bloom_bits);
    options.lz4_compression = flags.lz4 != 0;
    options.write_buffer_bytes = flags.write_buffer_mb << 20;
    auto opened = RocksTier::Open(options, {config});
    Check(opened.status());
    cold = std::move(opened).value();
    const int row_floats = config.dim + sparse::OptimizerStateFloats(config.optimizer.type, config.dim) + 2;
    tier.memory_bytes = flags.budget_rows * (row_floats * 4 + SparseTable::kRowOverheadBytes) + 256;
    tier.cold = cold.get();
  }
  SparseTable table(config, 1, tier);
  // Warm-up: every key gets a row.
  auto start = std::chrono::steady_clock::now();
  uint32_t step = 0;
  std::vector<Key> keys(static_cast<size_t>(flags.batch));
  std::vector<float> rows(keys.size() * config.dim), grads(keys.size() * config.dim, 0.01f);
  for (int64_t first = 1; first <= flags.rows; first += flags.batch) {
    const int64_t n = std::min<int64_t>(flags.batch, flags.rows - first + 1);
    for (int64_t i = 0; i < n; ++i) keys[i] = KeyOfRank(static_cast<uint64_t>(first + i));
    const char* key_bytes = reinterpret_cast<const char*>(keys.data());
    Check(table.PushBatch(key_bytes, reinterpret_cast<const char*>(grads.data()), static_cast<size_t>(n), ++step));
  }
  const PassFigures untimed = Pass(&table, batches, &step, tiered);
  std::printf(
      "%-6s warm-up and one untimed pass %.1f s: %lld rows, %lld in memory (%.0f MB), untimed pass %.2f M keys/s\n",
      tiered ? "tiered" : "memory", Seconds(start), static_cast<long long>(table.num_rows()),
      static_cast<long long>(table.memory_rows()), table.MemoryBytes() / 1e6, untimed.keys_per_s / 1e6);
  std::vector<double> figures, cpu_figures;
  for (int64_t run = 0; run < flags.runs; ++run) {
    const PassFigures pass = Pass(&table, batches, &step, tiered);
    figures.push_back(pass.keys_per_s);
    cpu_figures.push_back(pass.keys_per_cpu_s);
    std::printf("%-6s run %lld: %.3f M keys/s (%.3f M keys per CPU-second)", tiered ? "tiered" : "memory",
                static_cast<long long>(run), pass.keys_per_s / 1e6, pass.keys_per_cpu_s / 1e6);
    if (tiered) {
      std::printf(", miss share %.3f before the pull, %.3f before the push", pass.pull_miss_share,
                  pass.push_miss_share);
    }
    std::printf("\n");
  }
  std::sort(figures.begin(), figures.end());
  std::sort(cpu_figures.begin(), cpu_figures.end());
  if (tiered) {
    const std::string path = cold->path();
    cold.reset();
    std::error_code error;
    uintmax_t bytes = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
      if (entry.is_regular_file()) bytes += entry.file_size();
    }
    std::printf("tiered RocksDB dir: %.0f MB\n", static_cast<double>(bytes) / 1e6);
  }
  return {figures[figures.size() / 2], cpu_figures[cpu_figures.size() / 2]};
}

}  // namespace
}  // namespace ember::storage

int main(int argc, char** argv) {
  using namespace ember::storage;
  const Flags flags = ParseFlags(argc, argv);
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  std::printf(
      "rows %lld, budget %lld rows, %lld batches of %lld unique keys (Zipf 1.05), dim 16 AdaGrad; "
      "block cache %lld MB, bloom %lld bits/key, lz4 %lld\n",
      static_cast<long long>(flags.rows), static_cast<long long>(flags.budget_rows),
      static_cast<long long>(flags.batches), static_cast<long long>(flags.batch),
      static_cast<long long>(flags.block_cache_mb), static_cast<long long>(flags.bloom_bits),
      static_cast<long long>(flags.lz4));
  double tail_share = 0;
  const auto batches = ZipfBatches(flags, &tail_share);
  std::printf("share of the stream's keys past the hottest %lld (an oracle cache's miss share): %.3f\n",
              static_cast<long long>(flags.budget_rows), tail_share);
  RunFigures memory, tiered;
  if (flags.mode != "tiered") memory = Run(flags, false, batches);
  if (flags.mode != "memory") tiered = Run(flags, true, batches);
  std::printf("median of %lld runs: memory %.3f M keys/s, tiered %.3f M keys/s", static_cast<long long>(flags.runs),
              memory.keys_per_s / 1e6, tiered.keys_per_s / 1e6);
  if (memory.keys_per_s > 0 && tiered.keys_per_s > 0) {
    std::printf(", ratio %.1f%%", 100.0 * tiered.keys_per_s / memory.keys_per_s);
  }
  std::printf("\nper CPU-second: memory %.3f M keys, tiered %.3f M keys", memory.keys_per_cpu_s / 1e6,
              tiered.keys_per_cpu_s / 1e6);
  if (memory.keys_per_cpu_s > 0 && tiered.keys_per_cpu_s > 0) {
    std::printf(", ratio %.1f%%", 100.0 * tiered.keys_per_cpu_s / memory.keys_per_cpu_s);
  }
  std::printf("\nreproduce: %s\n", command.c_str());
  return 0;
}
