// Strangers on a server's port: a real ps::Server on tcp://127.0.0.1:*
// serves a valid PsClient that pulls and pushes a few thousand keys per step,
// while stranger threads send it malformed traffic over their own sockets:
//   - ZeroMQ DEALERs with bad ember messages (no token, wrong token,
//     truncated headers, random bytes, huge declared lengths, a valid
//     header with frames that do not match it, ...);
//   - a ZMQ_STREAM socket and plain TCP connect()+write() of non-ZMTP bytes;
//   - a hand-written ZMTP 3.0 peer that declares absurd frame sizes.
// Checked: the server keeps serving, every bad ember message is counted in
// rejected_messages (and an authenticated sender gets its error reply), the
// valid client's pulls all succeed with exactly the rows the reference
// table (tests/util/reference_table.h) computes, and the process's RSS
// stays bounded.
// Everything runs under one deadline per test (well below ctest's 60 s).
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/coding.h"
#include "common/logging.h"
#include "common/random.h"
#include "net/connection_cap.h"
#include "ps/client.h"
#include "ps/server.h"
#include "ps/wire.h"
#include "tests/fault/strangers.h"
#include "tests/util/reference_table.h"
#include "tests/util/zmtp_peer.h"

namespace ember::ps {
namespace {

using namespace strangers;     // NOLINT: the shared bad-message generators and their constants
using namespace testing_util;  // NOLINT: the hand-rolled tcp peer (tests/util/zmtp_peer.h)

using Clock = std::chrono::steady_clock;

constexpr uint64_t kSeed = 11;
constexpr size_t kKeysPerStep = 4000;
constexpr size_t kKeyPool = 20000;  // every key is created in the first 5 steps
constexpr int64_t kMaxRssGrowthBytes = 64LL << 20;
constexpr int kMaxConnections = 32;  // the server's cap; the valid client holds one

// Bytes that malloc has handed out and not got back, in every arena and in
// mmapped blocks. Unlike VmRSS this does not count freed memory that glibc
// keeps (how much it keeps depends on its adaptive trim threshold, which
// earlier large frees raise: a freed 64 MB message was returned on one
// machine and kept on another).
int64_t HeldHeapBytes() {
  const struct mallinfo2 info = ::mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

sparse::TableConfig Table() {
  sparse::TableConfig table;
  table.id = kTableId;
  table.name = "stranger";
  table.dim = kDim;
  table.optimizer.type = sparse::SparseOptimizerType::kAdagrad;
  table.optimizer.learning_rate = 0.05f;
  table.initializer = sparse::InitializerType::kNormal;
  table.init_scale = 0.1f;
  return table;
}

struct StrangerReport {
  int64_t sent = 0;
  int64_t expected_replies = 0;
  int64_t error_replies = 0;  // replies with a non-zero status code
  int64_t other_replies = 0;  // anything else (must stay 0)
};

// Drains replies without blocking; with `until` set, waits for `want` until it.
void DrainReplies(zmq::socket_t& socket, StrangerReport* report, int64_t want, Clock::time_point until) {
  while (true) {
    std::vector<zmq::message_t> reply;
    zmq::recv_result_t got;
    try {
      got = zmq::recv_multipart(socket, std::back_inserter(reply), zmq::recv_flags::dontwait);
    } catch (const zmq::error_t&) {
      return;
    }
    if (!got) {
      if (report->error_replies + report->other_replies >= want || Clock::now() >= until) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    MessageHeader h;
    const bool error_reply =
        !reply.empty() && reply[0].size() == kHeaderBytes &&
        DecodeHeader(std::string_view(static_cast<const char*>(reply[0].data()), kHeaderBytes), &h).ok() &&
        h.status_code != 0 && h.job_token == kToken;
    ++(error_reply ? report->error_replies : report->other_replies);
  }
}

// Sends `count` bad ember messages from a fresh DEALER every 1000 messages.
StrangerReport RunDealerStranger(const std::string& endpoint, uint64_t seed, int64_t count,
                                 Clock::time_point deadline) {
  zmq::context_t context(1);
  Rng rng(seed);
  StrangerReport report;
  std::unique_ptr<zmq::socket_t> socket;
  int64_t socket_expected = 0;
  StrangerReport socket_report;
  const auto close_socket = [&] {
    if (socket == nullptr) return;
    DrainReplies(*socket, &socket_report, socket_expected, std::min(deadline, Clock::now() + std::chrono::seconds(10)));
    report.error_replies += socket_report.error_replies;
    report.other_replies += socket_report.other_replies;
    socket_report = StrangerReport{};
    socket_expected = 0;
    socket.reset();
  };
  for (int64_t i = 0; i < count && Clock::now() < deadline; ++i) {
    if (i % 1000 == 0) {
      close_socket();
      socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
      socket->set(zmq::sockopt::linger, 0);
      socket->set(zmq::sockopt::sndtimeo, 5000);
      socket->connect(endpoint);
    }
    BadMessage m = MakeBadMessage(rng, static_cast<BadKind>(i % kNumBadKinds));
    bool sent = true;
    for (size_t f = 0; f < m.frames.size() && sent; ++f) {
      const bool more = f + 1 < m.frames.size();
      sent =
          socket->send(zmq::buffer(m.frames[f]), more ? zmq::send_flags::sndmore : zmq::send_flags::none).has_value();
    }
    if (!sent) break;  // a send timed out: report what got out
    ++report.sent;
    if (m.expect_reply) {
      ++report.expected_replies;
      ++socket_expected;
    }
    if (i % 64 == 63) DrainReplies(*socket, &socket_report, 0, Clock::now());
  }
  close_socket();
  return report;
}

// ---- The fixture: a server, a valid client, and a local reference table. ----

class StrangerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitLogging("fault_stranger_test");
    ServerOptions options;
    options.rank = 0;
    options.bind_endpoint = "tcp://127.0.0.1:*";
    options.job_token = kToken;
    options.seed = kSeed;
    options.tables = {Table()};
    options.max_connections = kMaxConnections;
    server_ = std::make_unique<Server>(&context_, options);
    ASSERT_TRUE(server_->Bind().ok());
    endpoint_ = server_->endpoint();
    ASSERT_EQ(endpoint_.rfind("tcp://127.0.0.1:", 0), 0u) << endpoint_;
    serving_ = std::thread([this] { run_status_ = server_->Run(); });

    ClientOptions client_options;
    client_options.server_endpoints = {endpoint_};
    client_options.job_token = kToken;
    client_options.tables = {Table()};
    client_options.timeout_ms = 10000;
    client_ = std::make_unique<PsClient>(&context_, client_options);
    ASSERT_TRUE(client_->Connect().ok());
    reference_ = std::make_unique<testing_util::ReferenceTable>(Table(), kSeed);
    Rng rng(5);
    key_pool_.resize(kKeyPool);
    for (Key& key : key_pool_) key = rng.Next();
  }

  void TearDown() override {
    client_.reset();
    server_->Stop();
    if (serving_.joinable()) serving_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_;
  }

  // One training-like step: pull kKeysPerStep keys, check every row against
  // the reference bit for bit and for finiteness, push gradients made from
  // the rows, apply the same push to the reference. False on a failure.
  bool Step() {
    std::vector<Key> keys(kKeysPerStep);
    for (size_t i = 0; i < keys.size(); ++i) keys[i] = key_pool_[(steps_ * kKeysPerStep + i) % kKeyPool];
    std::vector<float> rows(keys.size() * kDim), want(kDim);
    auto pull = client_->Pull(kTableId, keys, rows.data());
    if (!pull.ok()) return Fail("pull: " + pull.status().ToString());
    const Status pulled = client_->Wait(*pull);
    if (!pulled.ok()) return Fail("pull wait: " + pulled.ToString());
    std::vector<float> grads(rows.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      reference_->Pull(keys[i], /*create=*/true, want.data());
      for (int d = 0; d < kDim; ++d) {
        const float got = rows[i * kDim + static_cast<size_t>(d)];
        if (!std::isfinite(got) || std::memcmp(&got, &want[static_cast<size_t>(d)], sizeof(float)) != 0) {
          return Fail("step " + std::to_string(steps_) + " key #" + std::to_string(i) + " dim " + std::to_string(d) +
                      ": pulled " + std::to_string(got) + ", reference " +
                      std::to_string(want[static_cast<size_t>(d)]));
        }
        grads[i * kDim + static_cast<size_t>(d)] = 0.1f * got + 0.01f * static_cast<float>(d - kDim / 2);
      }
    }
    auto push = client_->Push(kTableId, keys, grads);
    if (!push.ok()) return Fail("push: " + push.status().ToString());
    const Status pushed = client_->Wait(*push);
    if (!pushed.ok()) return Fail("push wait: " + pushed.ToString());
    ++pushes_;
    for (size_t i = 0; i < keys.size(); ++i) reference_->Push(keys[i], grads.data() + i * kDim, pushes_);
    ++steps_;
    return true;
  }

  bool Fail(const std::string& why) {
    failure_ = why;
    return false;
  }

  // Steps until `done` is set and at least `min_steps` more steps ran, or the deadline.
  void TrainWhile(const std::atomic<bool>& done, int min_steps, Clock::time_point deadline) {
    const int64_t start = steps_;
    while ((!done.load() || steps_ - start < min_steps) && Clock::now() < deadline) {
      ASSERT_TRUE(Step()) << failure_;
    }
    EXPECT_TRUE(done.load()) << "strangers still sending at the deadline";
    EXPECT_GE(steps_ - start, min_steps);
  }

  // Polls the server's stats until rejected_messages reaches `want` or the deadline.
  int64_t WaitForRejected(int64_t want, Clock::time_point deadline) {
    int64_t rejected = server_->stats().rejected_messages;
    while (rejected < want && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      rejected = server_->stats().rejected_messages;
    }
    return rejected;
  }

  zmq::context_t context_;
  std::unique_ptr<Server> server_;
  std::string endpoint_;
  std::thread serving_;
  Status run_status_;
  std::unique_ptr<PsClient> client_;
  std::unique_ptr<testing_util::ReferenceTable> reference_;
  std::vector<Key> key_pool_;
  int64_t steps_ = 0;
  uint32_t pushes_ = 0;
  std::string failure_;
};

TEST_F(StrangerTest, TenThousandBadMessagesAreRejectedWhileAValidClientTrains) {
  const auto deadline = Clock::now() + std::chrono::seconds(45);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Step()) << failure_;  // every pool key exists now
  const int64_t rss_before = RssBytes();
  ASSERT_GT(rss_before, 0);

  constexpr int kStrangers = 3;
  constexpr int64_t kPerStranger = 4000;  // 12,000 in all
  std::vector<StrangerReport> reports(kStrangers);
  std::atomic<int> running{kStrangers};
  std::atomic<bool> done{false};
  std::vector<std::thread> strangers;
  for (int s = 0; s < kStrangers; ++s) {
    strangers.emplace_back([&, s] {
      reports[static_cast<size_t>(s)] = RunDealerStranger(endpoint_, 1000 + static_cast<uint64_t>(s), kPerStranger,
                                                          deadline - std::chrono::seconds(10));
      if (running.fetch_sub(1) == 1) done.store(true);
    });
  }
  TrainWhile(done, /*min_steps=*/50, deadline);
  for (auto& stranger : strangers) stranger.join();

  StrangerReport total;
  for (const StrangerReport& r : reports) {
    total.sent += r.sent;
    total.expected_replies += r.expected_replies;
    total.error_replies += r.error_replies;
    total.other_replies += r.other_replies;
  }
  EXPECT_EQ(total.sent, kStrangers * kPerStranger);
  EXPECT_GE(total.sent, 10000);
  const int64_t rejected = WaitForRejected(total.sent, deadline);
  // Every message sent is malformed, so the server must count each exactly once.
  EXPECT_EQ(rejected, total.sent);
  EXPECT_EQ(total.error_replies, total.expected_replies) << "authenticated bad requests get one error reply each";
  EXPECT_EQ(total.other_replies, 0);

  // The valid client is unaffected: a few more steps, then the server's counters over the wire.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Step()) << failure_;
  auto stats = client_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ((*stats)[0].rejected_messages, rejected);
  EXPECT_EQ((*stats)[0].pulls, steps_);
  EXPECT_EQ((*stats)[0].pushes, steps_);
  EXPECT_EQ((*stats)[0].rows_per_table[0], static_cast<int64_t>(kKeyPool)) << "a stranger created rows";
  const int64_t rss_after = RssBytes();
  EXPECT_LT(rss_after - rss_before, kMaxRssGrowthBytes) << "RSS " << rss_before << " -> " << rss_after;
  std::printf(
      "strangers: %lld bad messages (%lld answered with an error), rejected %lld; valid steps %lld; "
      "RSS %.1f -> %.1f MB\n",
      static_cast<long long>(total.sent), static_cast<long long>(total.error_replies), static_cast<long long>(rejected),
      static_cast<long long>(steps_), rss_before / 1e6, rss_after / 1e6);
}

TEST_F(StrangerTest, NonZmtpBytesAndAbsurdZmtpFrameSizesDoNotHurtTheServer) {
  const auto deadline = Clock::now() + std::chrono::seconds(45);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t rss_before = RssBytes();
  const int port = PortOf(endpoint_);
  std::atomic<bool> done{false};
  std::atomic<int64_t> complete_zmtp_messages{0};
  std::thread stranger([&] {
    Rng rng(77);
    const auto stop_by = deadline - std::chrono::seconds(15);
    // 1. A ZMQ_STREAM socket: raw bytes from ZeroMQ's own tcp stack.
    {
      zmq::context_t context(1);
      for (int c = 0; c < 50 && Clock::now() < stop_by; ++c) {
        zmq::socket_t stream(context, zmq::socket_type::stream);
        stream.set(zmq::sockopt::linger, 0);
        stream.set(zmq::sockopt::rcvtimeo, 2000);
        stream.connect(endpoint_);
        zmq::message_t id, empty;
        if (!stream.recv(id) || !stream.recv(empty)) continue;  // connect notification
        for (int w = 0; w < 20; ++w) {
          const std::string garbage = RandomBytes(rng, 1 + rng.UniformInt(4096));
          try {
            stream.send(zmq::buffer(id.data(), id.size()), zmq::send_flags::sndmore);
            stream.send(zmq::buffer(garbage), zmq::send_flags::none);
          } catch (const zmq::error_t&) {
            break;  // the server hung up
          }
        }
      }
    }
    // 2. Plain TCP: random bytes; and a ZMTP greeting followed by garbage.
    for (int c = 0; c < 200 && Clock::now() < stop_by; ++c) {
      const int fd = ConnectTcp(port);
      if (fd < 0) continue;
      std::string bytes = c % 2 == 0 ? std::string() : ZmtpHandshake().substr(0, 1 + rng.UniformInt(90));
      bytes += RandomBytes(rng, 1 + rng.UniformInt(64 * 1024));
      (void)WriteAll(fd, bytes);
      ::close(fd);
    }
    // 3. Hand-written ZMTP: a valid handshake, then frames declaring absurd
    // sizes (2^62, 2^63 - 1, ~0, 1 GiB) and nothing after them; then one
    // complete message with a bad ember header, which must be rejected.
    const uint64_t sizes[] = {1ULL << 62, (1ULL << 63) - 1, ~0ULL, 1ULL << 30, (1ULL << 62) + 7};
    for (uint64_t size : sizes) {
      for (int more = 0; more < 2; ++more) {
        const int fd = ZmtpConnect(port);
        if (fd < 0) continue;
        (void)WriteAll(fd, ZmtpFrameHeader(size, more == 1) + RandomBytes(rng, 100));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        ::close(fd);
      }
    }
    for (int c = 0; c < 20; ++c) {
      const int fd = ZmtpConnect(port);
      if (fd < 0) continue;
      const std::string body = RandomBytes(rng, kHeaderBytes);
      if (WriteAll(fd, ZmtpFrameHeader(body.size(), false) + body)) ++complete_zmtp_messages;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ::close(fd);
    }
    done.store(true);
  });
  TrainWhile(done, /*min_steps=*/30, deadline);
  stranger.join();
  // The hand-written ZMTP peer really got messages through (the handshake
  // works). Bytes that do not start with a ZMTP 3 signature are read by
  // libzmq as ZMTP 1.0 framing, so some of the random bytes arrive as
  // messages too: they are rejected like the rest.
  const int64_t rejected = WaitForRejected(complete_zmtp_messages.load(), deadline);
  EXPECT_EQ(complete_zmtp_messages.load(), 20);
  EXPECT_GE(rejected, complete_zmtp_messages.load());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t rss_after = RssBytes();
  EXPECT_LT(rss_after - rss_before, kMaxRssGrowthBytes) << "RSS " << rss_before << " -> " << rss_after;
  std::printf(
      "raw strangers: %lld messages rejected (20 from the ZMTP peer, the rest random bytes read as ZMTP 1.0); valid "
      "steps %lld; RSS %.1f -> %.1f MB\n",
      static_cast<long long>(rejected), static_cast<long long>(steps_), rss_before / 1e6, rss_after / 1e6);
}

// Messages of many empty frames, from a peer without the token. libzmq
// holds a whole multipart message before it delivers the first frame (about
// 64 B per frame: a per-message cost only CurveZMQ keeps strangers from
// imposing); the server itself keeps at most a header's worth of frames and
// drops the rest as it reads them (ps/server.cc, Run). So the peak is one
// message, and once the server has read a message none of it is held. What
// is held is measured as malloc's bytes in use: VmRSS may keep a freed
// message at glibc's discretion, so it is printed, not asserted.
TEST_F(StrangerTest, MessagesOfManyEmptyFramesDoNotAccumulateMemory) {
  const auto deadline = Clock::now() + std::chrono::seconds(45);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Step()) << failure_;
  constexpr uint64_t kFrames = 1'000'000;  // 2 MB on the wire, ~64 MB in libzmq
  std::string bytes;
  bytes.reserve(2 * kFrames + 2);
  for (uint64_t f = 0; f + 1 < kFrames; ++f) bytes += ZmtpFrameHeader(0, /*more=*/true);
  bytes += ZmtpFrameHeader(0, /*more=*/false);
  auto send_one = [&](int64_t expected_rejected) {
    const int fd = ZmtpConnect(PortOf(endpoint_));
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(WriteAll(fd, bytes));
    const int64_t rejected = WaitForRejected(expected_rejected, deadline);
    ::close(fd);
    ASSERT_EQ(rejected, expected_rejected);
  };
  const int64_t held_before = HeldHeapBytes();
  const int64_t rss_before = RssBytes();
  send_one(1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t held_after_first = HeldHeapBytes();
  const int64_t rss_after_first = RssBytes();
  // A quarter of the 64 MB that keeping every frame of it would cost.
  EXPECT_LT(held_after_first - held_before, 16LL << 20)
      << "one message of " << kFrames << " empty frames left malloc holding " << held_before / 1e6 << " -> "
      << held_after_first / 1e6 << " MB";
  for (int64_t n = 2; n <= 4; ++n) send_one(n);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t held_after = HeldHeapBytes();
  EXPECT_LT(held_after - held_before, 16LL << 20)
      << "four such messages left malloc holding " << held_before / 1e6 << " -> " << held_after / 1e6 << " MB";
  std::printf(
      "many-frames stranger: malloc holds %.1f -> %.1f MB after one %llu-frame message, %.1f MB after four; "
      "RSS %.1f -> %.1f -> %.1f MB (peak VmHWM %.1f MB)\n",
      held_before / 1e6, held_after_first / 1e6, static_cast<unsigned long long>(kFrames), held_after / 1e6,
      rss_before / 1e6, rss_after_first / 1e6, RssBytes() / 1e6, StatusFieldBytes("VmHWM") / 1e6);
}

// A peer without the token declares frames of 256 MiB, far past what a
// request of kMaxKeysPerMessage keys of this server's one 16-float table
// needs (256 KiB), and streams them. libzmq reads the frame's size, drops
// the peer and never buffers the frame: each write fails within the
// socket buffers' worth, and the server's RSS stays within a few MB (with
// the old 1 GiB cap, four such frames took 1 GB). Then the valid client
// trains on.
TEST_F(StrangerTest, AFrameLargerThanAnyRequestDropsThePeerBeforeItIsBuffered) {
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t rss_before = RssBytes();
  constexpr uint64_t kFrameBytes = uint64_t{256} << 20;
  constexpr int64_t kMaxSentBytes = int64_t{32} << 20;  // loopback's socket buffers, with room
  const std::string chunk(1 << 20, 'x');
  for (int peer = 0; peer < 4; ++peer) {
    const int fd = ZmtpConnect(PortOf(endpoint_));
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(WriteAll(fd, ZmtpFrameHeader(kFrameBytes, /*more=*/false)));
    int64_t sent = 0;
    while (sent < static_cast<int64_t>(kFrameBytes) && WriteAll(fd, chunk)) sent += static_cast<int64_t>(chunk.size());
    ::close(fd);
    EXPECT_LT(sent, kMaxSentBytes) << "peer " << peer << ": the server took " << sent << " bytes of the frame";
  }
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Step()) << failure_;
  const int64_t rss_after = RssBytes();
  EXPECT_LT(rss_after - rss_before, int64_t{16} << 20) << "RSS " << rss_before << " -> " << rss_after;
  EXPECT_EQ(MaxRequestFrameBytes(kMaxKeysPerMessage, kDim), size_t{256} << 10);
  std::printf("large frames: 4 peers declaring %llu MiB frames dropped; RSS %.1f -> %.1f MB\n",
              static_cast<unsigned long long>(kFrameBytes >> 20), rss_before / 1e6, rss_after / 1e6);
}

// Connections past the server's cap are closed as they are accepted, and
// only those: 40 plain tcp connections held open on top of the valid
// client's leave exactly kMaxConnections open; once they are closed, as
// many new ones are admitted again. The valid client trains throughout.
// Each hold waits until the cap has looked at every new connection
// (ServerStats::connections_checked), then for the refused ones to read
// their end.
TEST_F(StrangerTest, ConnectionsPastTheCapAreClosedAndTheRestServed) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step()) << failure_;
  const int port = PortOf(endpoint_);
  // Opens `n` connections into *fds; returns how many of them the server
  // closed, which must be the number the cap says it refused.
  auto hold = [&](int n, std::vector<int>* fds) {
    const ServerStats before = server_->stats();
    for (int i = 0; i < n; ++i) {
      const int fd = ConnectTcp(port);
      EXPECT_GE(fd, 0);
      if (fd >= 0) fds->push_back(fd);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    ServerStats now = server_->stats();
    while (now.connections_checked < before.connections_checked + n && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      now = server_->stats();
    }
    EXPECT_EQ(now.connections_checked, before.connections_checked + n) << "the cap saw every connection";
    const int64_t refused = now.connections_refused - before.connections_refused;
    std::vector<bool> closed(fds->size(), false);
    int closed_count = 0;
    while (closed_count < refused && Clock::now() < deadline) {
      for (size_t i = 0; i < fds->size(); ++i) {
        char byte;
        if (!closed[i] && ::recv((*fds)[i], &byte, 1, MSG_DONTWAIT) == 0) {
          closed[i] = true;
          ++closed_count;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(closed_count, refused) << "the connections the cap refused are the ones closed";
    return closed_count;
  };
  std::vector<int> fds;
  const int excess = 40 - (kMaxConnections - 1);
  EXPECT_EQ(hold(40, &fds), excess) << "40 connections and the client's, at most " << kMaxConnections;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step()) << failure_;
  for (int fd : fds) ::close(fd);
  fds.clear();
  // The server's ends of the closed connections are no longer established:
  // only the valid client's is counted.
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (net::OpenConnectionsOn(port) != 1 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(net::OpenConnectionsOn(port), 1);
  EXPECT_EQ(hold(kMaxConnections - 1, &fds), 0) << "closed connections free their places";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Step()) << failure_;
  for (int fd : fds) ::close(fd);
}

}  // namespace
}  // namespace ember::ps
