// ps_bench: parameter-server figures.
//   - Pull and push throughput over inproc:// (one process, as local mode):
//     rows of 16 floats, batches of 1k..100k unique keys, 1 or 2 servers.
//     keys/s is items_per_second; GB/s is bytes_per_second counting the key
//     (8 B) and the row (64 B) of every key.
//   - The server's row index: std::unordered_map vs storage::KeyIndex (open
//     addressing, linear probing) on a Zipf-like key stream.
//
// Reproduce: build-ps/bench/ps/ps_bench [--benchmark_filter=Pull|Push|Index]
#include <cmath>
#include <cstdio>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>

#include "common/logging.h"
#include "common/part_runner.h"
#include "common/random.h"
#include "ps/client.h"
#include "ps/server.h"
#include "ps/wire.h"
#include "sparse/dedup.h"
#include "storage/key_index.h"
#include "storage/sparse_table.h"

namespace ember::ps {
namespace {

constexpr int kDim = 16;
constexpr uint64_t kToken = 7;

// ---- Index comparison on a Zipf-like stream. ----

// Ranks drawn from a discrete power law P(rank >= r) ~ r^-(s-1) (Zipf with
// exponent s = 1.1), capped at `universe`, hashed to 64-bit keys as feature
// keys are. About the skew of a CTR data set's sparse fields.
const std::vector<Key>& ZipfStream() {
  static const std::vector<Key> stream = [] {
    constexpr size_t kLength = 2'000'000;
    constexpr double kExponent = 1.1;
    constexpr uint64_t kUniverse = 50'000'000;
    Rng rng(12345);
    std::vector<Key> keys(kLength);
    for (Key& key : keys) {
      const double u = 1.0 - rng.Uniform();  // (0, 1]
      auto rank = static_cast<uint64_t>(std::pow(u, -1.0 / (kExponent - 1.0)));
      if (rank > kUniverse || rank == 0) rank = 1 + rng.UniformInt(kUniverse);
      key = HashCross(rank, 0x5eed);
    }
    return keys;
  }();
  return stream;
}

// Arg 0: an empty index per iteration (inserts and lookups, with growth);
// arg 1: lookups only, in an index that already holds every key.
void BM_IndexUnorderedMap(benchmark::State& state) {
  const auto& stream = ZipfStream();
  const bool warm = state.range(0) == 1;
  std::unordered_map<Key, uint32_t> warm_index;
  for (Key key : stream) warm_index.emplace(key, static_cast<uint32_t>(warm_index.size()));
  uint64_t checksum = 0;
  for (auto _ : state) {
    if (warm) {
      for (Key key : stream) checksum += warm_index.find(key)->second;
    } else {
      std::unordered_map<Key, uint32_t> index;
      for (Key key : stream) checksum += index.emplace(key, static_cast<uint32_t>(index.size())).first->second;
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
  state.counters["distinct_keys"] = static_cast<double>(warm_index.size());
  size_t node_bytes = warm_index.size() * (sizeof(Key) + sizeof(uint32_t) + 2 * sizeof(void*)) +
                      warm_index.bucket_count() * sizeof(void*);
  state.counters["approx_MB"] = static_cast<double>(node_bytes) / 1e6;
}
BENCHMARK(BM_IndexUnorderedMap)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_IndexOpenAddressing(benchmark::State& state) {
  const auto& stream = ZipfStream();
  const bool warm = state.range(0) == 1;
  storage::KeyIndex warm_index;
  bool inserted = false;
  for (Key key : stream) warm_index.FindOrInsert(key, static_cast<uint32_t>(warm_index.size()), &inserted);
  uint64_t checksum = 0;
  for (auto _ : state) {
    if (warm) {
      for (Key key : stream) checksum += warm_index.Find(key);
    } else {
      storage::KeyIndex index;
      for (Key key : stream) checksum += index.FindOrInsert(key, static_cast<uint32_t>(index.size()), &inserted);
    }
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
  state.counters["distinct_keys"] = static_cast<double>(warm_index.size());
  state.counters["approx_MB"] = static_cast<double>(warm_index.MemoryBytes()) / 1e6;
}
BENCHMARK(BM_IndexOpenAddressing)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Dedup(benchmark::State& state) {
  const auto& stream = ZipfStream();
  const size_t batch = static_cast<size_t>(state.range(0));
  sparse::UniqueKeys unique;
  size_t offset = 0;
  for (auto _ : state) {
    if (offset + batch > stream.size()) offset = 0;
    sparse::Dedup(std::span<const Key>(stream).subspan(offset, batch), &unique);
    offset += batch;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
  state.counters["unique_share"] = static_cast<double>(unique.keys.size()) / static_cast<double>(batch);
}
BENCHMARK(BM_Dedup)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// ---- Pull and push over inproc. ----

struct InprocJob {
  explicit InprocJob(int num_servers) {
    sparse::TableConfig table;
    table.id = 1;
    table.name = "bench";
    table.dim = kDim;
    table.optimizer.type = sparse::SparseOptimizerType::kAdagrad;
    table.initializer = sparse::InitializerType::kNormal;
    ClientOptions client_options;
    client_options.job_token = kToken;
    client_options.tables = {table};
    for (int rank = 0; rank < num_servers; ++rank) {
      ServerOptions options;
      options.rank = rank;
      options.bind_endpoint = "inproc://bench-server-" + std::to_string(rank);
      options.job_token = kToken;
      options.tables = {table};
      servers.push_back(std::make_unique<Server>(&context, options));
      Status bound = servers.back()->Bind();
      if (!bound.ok()) LOG(FATAL) << bound;  // benchmark set-up, not a network result
      threads.emplace_back([server = servers.back().get()] { (void)server->Run(); });
      client_options.server_endpoints.push_back(servers.back()->endpoint());
    }
    client = std::make_unique<PsClient>(&context, client_options);
    Status connected = client->Connect();
    if (!connected.ok()) LOG(FATAL) << connected;
  }
  ~InprocJob() {
    client.reset();
    for (auto& server : servers) server->Stop();
    for (auto& thread : threads) thread.join();
  }
  zmq::context_t context;
  std::vector<std::unique_ptr<Server>> servers;
  std::vector<std::thread> threads;
  std::unique_ptr<PsClient> client;
};

std::vector<Key> RandomKeys(size_t n) {
  Rng rng(99);
  std::vector<Key> keys(n);
  for (Key& key : keys) key = rng.Next();
  return keys;
}

void SetThroughput(benchmark::State& state, size_t keys) {
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(keys));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(keys * (sizeof(Key) + kDim * sizeof(float))));
}

// Args: batch of unique keys, servers. Rows exist (warm), as in steady state.
void BM_Pull(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  InprocJob job(static_cast<int>(state.range(1)));
  const std::vector<Key> keys = RandomKeys(batch);
  std::vector<float> rows(batch * kDim);
  auto warm = job.client->Pull(1, keys, rows.data());
  if (!warm.ok() || !job.client->Wait(*warm).ok()) state.SkipWithError("warm-up pull failed");
  for (auto _ : state) {
    auto ticket = job.client->Pull(1, keys, rows.data());
    if (!ticket.ok() || !job.client->Wait(*ticket).ok()) {
      state.SkipWithError("pull failed");
      break;
    }
  }
  SetThroughput(state, batch);
}
BENCHMARK(BM_Pull)
    ->ArgsProduct({{1'000, 10'000, 100'000}, {1, 2}})
    ->ArgNames({"keys", "servers"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

void BM_Push(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  InprocJob job(static_cast<int>(state.range(1)));
  const std::vector<Key> keys = RandomKeys(batch);
  std::vector<float> rows(batch * kDim), grads(batch * kDim, 0.01f);
  auto warm = job.client->Pull(1, keys, rows.data());
  if (!warm.ok() || !job.client->Wait(*warm).ok()) state.SkipWithError("warm-up pull failed");
  for (auto _ : state) {
    auto ticket = job.client->Push(1, keys, grads);
    if (!ticket.ok() || !job.client->Wait(*ticket).ok()) {
      state.SkipWithError("push failed");
      break;
    }
  }
  SetThroughput(state, batch);
}
BENCHMARK(BM_Push)
    ->ArgsProduct({{1'000, 10'000, 100'000}, {1, 2}})
    ->ArgNames({"keys", "servers"})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// ---- The server's table alone (no transport): what a PULL or PUSH costs
// the serving thread per key: PullBatch / PushBatch (index entries
// prefetched, pushes' rows looked up ahead). The table holds 111k rows, as
// net_bench's.

struct TableFixture {
  TableFixture() : table(Config(), 1) {
    const std::vector<Key> all = RandomKeys(111'000);
    std::vector<char> rows(all.size() * kDim * sizeof(float));
    const Status created = table.PullBatch(reinterpret_cast<const char*>(all.data()), all.size(), /*create=*/true,
                                           /*step=*/0, rows.data());
    CHECK(created.ok()) << created;
  }
  static sparse::TableConfig Config() {
    sparse::TableConfig config;
    config.id = 1;
    config.name = "bench";
    config.dim = kDim;
    config.optimizer.type = sparse::SparseOptimizerType::kAdagrad;
    config.initializer = sparse::InitializerType::kNormal;
    return config;
  }
  storage::SparseTable table;
};

// Args of BM_TablePull and BM_TablePush: keys; parts, the threads a batch is
// split across (SparseTable::set_runner). Real time: the parts run on other
// threads.
void TableArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"keys", "parts"});
  for (int64_t keys : {10'000, 100'000}) {
    for (int64_t parts : {1, 2}) b->Args({keys, parts});
  }
  b->Unit(benchmark::kMicrosecond)->UseRealTime();
}

void BM_TablePull(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  TableFixture f;
  PartRunner runner(static_cast<int>(state.range(1)));
  f.table.set_runner(&runner);
  const std::vector<Key> keys = RandomKeys(batch);
  std::vector<char> out(batch * kDim * sizeof(float));
  for (auto _ : state) {
    Status pulled = f.table.PullBatch(reinterpret_cast<const char*>(keys.data()), batch, true, /*step=*/1, out.data());
    if (!pulled.ok()) state.SkipWithError(pulled.ToString().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  SetThroughput(state, batch);
}
BENCHMARK(BM_TablePull)->Apply(TableArgs);

void BM_TablePush(benchmark::State& state) {
  const size_t batch = static_cast<size_t>(state.range(0));
  TableFixture f;
  PartRunner runner(static_cast<int>(state.range(1)));
  f.table.set_runner(&runner);
  const std::vector<Key> keys = RandomKeys(batch);
  std::vector<float> grads(batch * kDim, 0.01f);
  uint32_t step = 0;
  for (auto _ : state) {
    ++step;
    Status pushed = f.table.PushBatch(reinterpret_cast<const char*>(keys.data()),
                                      reinterpret_cast<const char*>(grads.data()), batch, step);
    if (!pushed.ok()) state.SkipWithError(pushed.ToString().c_str());
  }
  SetThroughput(state, batch);
}
BENCHMARK(BM_TablePush)->Apply(TableArgs);

}  // namespace
}  // namespace ember::ps

int main(int argc, char** argv) {
  ember::InitLogging(argv[0]);
  FLAGS_minloglevel = 1;  // no INFO lines between figures
  std::string command = argv[0];
  for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\nreproduce: %s\n(build: cmake -S . -B build-ps && cmake --build build-ps --target ps_bench)\n",
              command.c_str());
  return 0;
}
