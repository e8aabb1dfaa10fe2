// net_bench: ember's pull and push over tcp loopback against raw ZeroMQ
// moving the same bytes, measured by the same program.
//
// 1 server and 1 client, rows of 16 floats (AdaGrad table, rows already
// created: steady state), batches of 1k, 10k and 100k unique keys.
//   - ember: a ps::Server on tcp://127.0.0.1:* serving a ps::PsClient
//     (Pull + Wait, Push + Wait), one request in flight.
//   - raw:   a ROUTER echo thread and a DEALER on tcp://127.0.0.1:*, same
//     messages on the wire: pull = [64 B header, keys] -> [64 B header,
//     rows]; push = [64 B header, keys, gradients] -> [64 B header]. Each
//     payload is copied once on each side, as ember does (the client
//     gathers keys into the frame; the echo copies rows into the reply; the
//     client copies rows out), but no table is touched.
// Server and client sides each have their own zmq::context_t (one I/O
// thread each), as two processes would. keys/s and GB/s count 8 B of key +
// 64 B of row per key. Each figure is the median of `reps` repetitions of
// at least `min_seconds`; ember and raw alternate within a repetition so
// that background load hits both alike.
//
// Reproduce: build/bench/net/net_bench [reps=5] [min_seconds=0.3] [only=all] [max_keys_per_message]
//             [server_threads=1]
// `max_keys_per_message`: the PsClient's (default: ClientOptions'; 0: one
// message per request). `server_threads`: ServerOptions::threads, the
// threads that apply a message's keys (--server_threads). `only` = ember or raw runs just that side, pull or
// push just that operation, ember-push both (for profiling with perf; the
// ratio column is then meaningless).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/coding.h"
#include "common/logging.h"
#include "common/random.h"
#include "ps/client.h"
#include "ps/server.h"
#include "ps/wire.h"

namespace ember::ps {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDim = 16;
constexpr uint32_t kTableId = 1;
constexpr uint64_t kToken = 7;
constexpr size_t kRowBytes = kDim * sizeof(float);
constexpr size_t kBytesPerKey = sizeof(Key) + kRowBytes;

sparse::TableConfig Table() {
  sparse::TableConfig table;
  table.id = kTableId;
  table.name = "net_bench";
  table.dim = kDim;
  table.optimizer.type = sparse::SparseOptimizerType::kAdagrad;
  table.initializer = sparse::InitializerType::kNormal;
  return table;
}

std::vector<Key> RandomKeys(size_t n) {
  Rng rng(99);
  std::vector<Key> keys(n);
  for (Key& key : keys) key = rng.Next();
  return keys;
}

// Runs `request` (one round trip) until min_seconds passed and at least 3
// times; returns keys/s.
template <typename Fn>
double KeysPerSecond(size_t keys, double min_seconds, Fn request) {
  const auto start = Clock::now();
  int64_t iterations = 0;
  double elapsed = 0;
  do {
    if (!request()) {
      std::fprintf(stderr, "net_bench: a request failed\n");
      std::exit(1);
    }
    ++iterations;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < min_seconds || iterations < 3);
  return static_cast<double>(iterations) * static_cast<double>(keys) / elapsed;
}

// ---- ember: a Server and a PsClient over tcp loopback. ----

class EmberPair {
 public:
  EmberPair(size_t max_keys_per_message, int server_threads) {
    ServerOptions options;
    options.threads = server_threads;
    options.bind_endpoint = "tcp://127.0.0.1:*";
    options.job_token = kToken;
    options.tables = {Table()};
    options.max_keys_per_message = max_keys_per_message;  // the frames of the client's requests
    server_ = std::make_unique<Server>(&server_context_, options);
    const Status bound = server_->Bind();
    if (!bound.ok()) LOG(FATAL) << bound;  // bench set-up, not a network result
    serving_ = std::thread([this] { (void)server_->Run(); });
    ClientOptions client_options;
    client_options.server_endpoints = {server_->endpoint()};
    client_options.job_token = kToken;
    client_options.tables = {Table()};
    client_options.max_keys_per_message = max_keys_per_message;
    client_ = std::make_unique<PsClient>(&client_context_, client_options);
    const Status connected = client_->Connect();
    if (!connected.ok()) LOG(FATAL) << connected;
  }
  ~EmberPair() {
    client_.reset();
    server_->Stop();
    serving_.join();
  }
  bool Pull(const std::vector<Key>& keys, float* rows) {
    auto ticket = client_->Pull(kTableId, keys, rows);
    return ticket.ok() && client_->Wait(*ticket).ok();
  }
  bool Push(const std::vector<Key>& keys, const std::vector<float>& grads) {
    auto ticket = client_->Push(kTableId, keys, grads);
    return ticket.ok() && client_->Wait(*ticket).ok();
  }

 private:
  zmq::context_t server_context_{1};
  zmq::context_t client_context_{1};
  std::unique_ptr<Server> server_;
  std::thread serving_;
  std::unique_ptr<PsClient> client_;
};

// ---- raw: a ROUTER echo and a DEALER, same frames on the wire. ----

class RawPair {
 public:
  explicit RawPair(size_t max_keys) : rows_(max_keys * kDim, 0.25f) {
    router_.set(zmq::sockopt::linger, 0);
    router_.set(zmq::sockopt::rcvtimeo, 50);
    router_.bind("tcp://127.0.0.1:*");
    const std::string endpoint = router_.get(zmq::sockopt::last_endpoint);
    echo_ = std::thread([this] { Echo(); });
    dealer_.set(zmq::sockopt::linger, 0);
    dealer_.connect(endpoint);
  }
  ~RawPair() {
    stop_.store(true);
    echo_.join();
  }
  bool Pull(const std::vector<Key>& keys, float* out_rows) {
    MessageHeader h = MakeHeader(MessageType::kPull, kToken, ++request_id_);
    h.table_id = kTableId;
    h.value_dim = kDim;
    h.item_count = keys.size();
    h.payload_bytes = keys.size() * sizeof(Key);
    zmq::message_t header(kHeaderBytes);
    EncodeHeader(h, static_cast<char*>(header.data()));
    zmq::message_t key_frame(keys.size() * sizeof(Key));
    EncodeKeys(keys, static_cast<char*>(key_frame.data()));
    dealer_.send(header, zmq::send_flags::sndmore);
    dealer_.send(key_frame, zmq::send_flags::none);
    reply_.clear();
    if (!zmq::recv_multipart(dealer_, std::back_inserter(reply_))) return false;
    if (reply_.size() != 2 || reply_[1].size() != keys.size() * kRowBytes) return false;
    DecodeFloats(static_cast<const char*>(reply_[1].data()), keys.size() * kDim, out_rows);
    return true;
  }
  bool Push(const std::vector<Key>& keys, const std::vector<float>& grads) {
    MessageHeader h = MakeHeader(MessageType::kPush, kToken, ++request_id_);
    h.table_id = kTableId;
    h.value_dim = kDim;
    h.item_count = keys.size();
    h.payload_bytes = keys.size() * kBytesPerKey;
    zmq::message_t header(kHeaderBytes);
    EncodeHeader(h, static_cast<char*>(header.data()));
    zmq::message_t key_frame(keys.size() * sizeof(Key));
    EncodeKeys(keys, static_cast<char*>(key_frame.data()));
    zmq::message_t grad_frame(grads.size() * sizeof(float));
    EncodeFloats(grads.data(), grads.size(), static_cast<char*>(grad_frame.data()));
    dealer_.send(header, zmq::send_flags::sndmore);
    dealer_.send(key_frame, zmq::send_flags::sndmore);
    dealer_.send(grad_frame, zmq::send_flags::none);
    reply_.clear();
    if (!zmq::recv_multipart(dealer_, std::back_inserter(reply_))) return false;
    return reply_.size() == 1 && reply_[0].size() == kHeaderBytes;
  }

 private:
  // Answers a pull with n rows copied from rows_, a push with a bare header.
  void Echo() {
    std::vector<zmq::message_t> frames;
    while (!stop_.load()) {
      frames.clear();
      if (!zmq::recv_multipart(router_, std::back_inserter(frames))) continue;
      if (frames.size() < 3 || frames[1].size() != kHeaderBytes) continue;
      MessageHeader h;
      if (!DecodeHeader(std::string_view(static_cast<const char*>(frames[1].data()), kHeaderBytes), &h).ok()) continue;
      MessageHeader reply = MakeHeader(ReplyTypeOf(static_cast<MessageType>(h.type)), kToken, h.request_id);
      reply.item_count = h.item_count;
      zmq::message_t header(kHeaderBytes);
      router_.send(frames[0], zmq::send_flags::sndmore);
      if (h.type == static_cast<uint16_t>(MessageType::kPull)) {
        reply.table_id = h.table_id;
        reply.value_dim = h.value_dim;
        reply.payload_bytes = h.item_count * kRowBytes;
        EncodeHeader(reply, static_cast<char*>(header.data()));
        zmq::message_t values(h.item_count * kRowBytes);
        EncodeFloats(rows_.data(), h.item_count * kDim, static_cast<char*>(values.data()));
        router_.send(header, zmq::send_flags::sndmore);
        router_.send(values, zmq::send_flags::none);
      } else {
        EncodeHeader(reply, static_cast<char*>(header.data()));
        router_.send(header, zmq::send_flags::none);
      }
    }
  }

  zmq::context_t server_context_{1};
  zmq::context_t client_context_{1};
  zmq::socket_t router_{server_context_, zmq::socket_type::router};
  zmq::socket_t dealer_{client_context_, zmq::socket_type::dealer};
  std::vector<float> rows_;
  std::vector<zmq::message_t> reply_;
  uint64_t request_id_ = 0;
  std::atomic<bool> stop_{false};
  std::thread echo_;
};

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

int Main(int argc, char** argv) {
  InitLogging(argv[0]);
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
  const double min_seconds = argc > 2 ? std::max(0.01, std::atof(argv[2])) : 0.3;
  const std::string only = argc > 3 ? argv[3] : "";
  // `only`: "ember" or "raw" (one side), "pull" or "push" (one operation),
  // or both joined by '-' ("ember-push"); anything else runs everything.
  const bool one_side = only.find("ember") != std::string::npos || only.find("raw") != std::string::npos;
  const bool run_ember = !one_side || only.find("ember") != std::string::npos;
  const bool run_raw = !one_side || only.find("raw") != std::string::npos;
  const bool one_op = only.find("pull") != std::string::npos || only.find("push") != std::string::npos;
  const bool run_pull = !one_op || only.find("pull") != std::string::npos;
  const bool run_push = !one_op || only.find("push") != std::string::npos;
  const size_t max_keys_per_message =
      argc > 4 ? static_cast<size_t>(std::atoll(argv[4])) : ClientOptions().max_keys_per_message;
  const int server_threads = argc > 5 ? std::max(1, std::atoi(argv[5])) : 1;
  const std::vector<size_t> batches = {1'000, 10'000, 100'000};
  std::printf(
      "net_bench: tcp loopback, 1 server, 1 client, dim %d (AdaGrad), %d reps x >= %.2f s, "
      "max_keys_per_message %zu, server threads %d, %u CPUs, load %s\n",
      kDim, reps, min_seconds, max_keys_per_message, server_threads, std::thread::hardware_concurrency(),
      LoadAverage().c_str());
  std::printf("%-6s %-5s %14s %10s %14s %10s %10s\n", "keys", "op", "ember keys/s", "ember GB/s", "raw keys/s",
              "raw GB/s", "ember/raw");
  EmberPair ember(max_keys_per_message, server_threads);
  RawPair raw(batches.back());
  for (size_t batch : batches) {
    const std::vector<Key> keys = RandomKeys(batch);
    std::vector<float> rows(batch * kDim), grads(batch * kDim, 0.01f);
    // Warm-up: creates the rows (steady state) and the connections' buffers.
    if (!ember.Pull(keys, rows.data()) || !ember.Push(keys, grads) || !raw.Pull(keys, rows.data()) ||
        !raw.Push(keys, grads)) {
      std::fprintf(stderr, "net_bench: warm-up failed\n");
      return 1;
    }
    std::vector<double> ember_pull, raw_pull, ember_push, raw_push;
    for (int rep = 0; rep < reps; ++rep) {
      const auto run = [&](bool enabled, std::vector<double>& into, auto request) {
        into.push_back(enabled ? KeysPerSecond(batch, min_seconds, request) : 1.0);
      };
      run(run_ember && run_pull, ember_pull, [&] { return ember.Pull(keys, rows.data()); });
      run(run_raw && run_pull, raw_pull, [&] { return raw.Pull(keys, rows.data()); });
      run(run_ember && run_push, ember_push, [&] { return ember.Push(keys, grads); });
      run(run_raw && run_push, raw_push, [&] { return raw.Push(keys, grads); });
    }
    const auto print = [&](const char* op, double ember_rate, double raw_rate) {
      std::printf("%-6zu %-5s %14.0f %10.3f %14.0f %10.3f %9.0f%%\n", batch, op, ember_rate,
                  ember_rate * kBytesPerKey / 1e9, raw_rate, raw_rate * kBytesPerKey / 1e9,
                  100.0 * ember_rate / raw_rate);
    };
    print("pull", Median(ember_pull), Median(raw_pull));
    print("push", Median(ember_push), Median(raw_push));
    std::fflush(stdout);
  }
  std::printf("goal: ember/raw >= 70%% for 10k keys and more\n");
  std::printf("reproduce: %s %d %g %s %zu %d\n", argv[0], reps, min_seconds, only.empty() ? "all" : only.c_str(),
              max_keys_per_message, server_threads);
  return 0;
}

}  // namespace
}  // namespace ember::ps

int main(int argc, char** argv) { return ember::ps::Main(argc, argv); }
