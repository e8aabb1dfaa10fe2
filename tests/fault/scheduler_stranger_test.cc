// Strangers on the scheduler's control port: a real Scheduler on
// tcp://127.0.0.1:* waiting for its worker, while a DEALER sends it
// thousands of messages without the job token. The scheduler drops each
// one; its log gets the first 100 lines, then one per 1000 (a stranger
// must not be able to fill the disk with WARNING lines). And a peer that
// declares a frame larger than any control message is dropped before the
// frame is buffered; connections past the cap are closed.
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/logging.h"
#include "scheduler/scheduler.h"
#include "tests/util/log_capture.h"
#include "tests/util/zmtp_peer.h"

namespace ember::scheduler {
namespace {

constexpr uint64_t kToken = 0x5eed5eed5eed5eedULL;

size_t CountContaining(const std::vector<std::string>& lines, const std::string& text) {
  size_t n = 0;
  for (const std::string& line : lines) n += line.find(text) != std::string::npos;
  return n;
}

TEST(SchedulerStrangerTest, DroppedMessagesAreLoggedAtABoundedRate) {
  InitLogging("scheduler_stranger_test");
  zmq::context_t context;
  SchedulerOptions options;
  options.bind_endpoint = "tcp://127.0.0.1:*";
  options.num_workers = 1;
  options.job_token = kToken;
  options.register_timeout_ms = 5000;
  Scheduler scheduler(&context, options);
  ASSERT_TRUE(scheduler.Bind().ok());
  testing_util::WarningSink warnings;
  Status run;
  std::thread runner([&] { run = scheduler.Run().status(); });

  constexpr int kMessages = 5000;
  zmq::socket_t stranger(context, zmq::socket_type::dealer);
  stranger.set(zmq::sockopt::linger, 0);
  stranger.connect(scheduler.endpoint());
  for (int i = 0; i < kMessages; ++i) {
    const std::string garbage = "not a control message " + std::to_string(i);
    stranger.send(zmq::buffer(garbage), zmq::send_flags::none);
  }
  // The 5000th drop is logged (every 1000th is): wait for it.
  const std::string last = "[dropped so far: " + std::to_string(kMessages) + "]";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  while (CountContaining(warnings.messages(), last) == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::vector<std::string> lines = warnings.messages();
  EXPECT_EQ(CountContaining(lines, last), 1u);
  // 100 one by one, then the 1000th, 2000th, ... 5000th.
  EXPECT_EQ(CountContaining(lines, "dropped a control message"), 100u + kMessages / 1000);
  runner.join();  // no worker registers: Run ends at register_timeout_ms
  EXPECT_EQ(run.code(), StatusCode::kDeadlineExceeded) << run;
}

// A scheduler waiting for its worker, on tcp, with a connection cap.
class BoundScheduler {
 public:
  // Run ends after `run_ms` (no worker registers); the connections close then.
  BoundScheduler(int max_connections, int run_ms) {
    SchedulerOptions options;
    options.bind_endpoint = "tcp://127.0.0.1:*";
    options.num_workers = 1;
    options.job_token = kToken;
    options.register_timeout_ms = run_ms;
    options.max_connections = max_connections;
    scheduler_ = std::make_unique<Scheduler>(&context_, options);
    bound_ = scheduler_->Bind();
    if (bound_.ok()) runner_ = std::thread([this] { run_ = scheduler_->Run().status(); });
  }
  ~BoundScheduler() {
    if (runner_.joinable()) runner_.join();
  }
  const Status& bound() const { return bound_; }
  int port() const { return testing_util::PortOf(scheduler_->endpoint()); }
  const net::ConnectionCap& cap() const { return *scheduler_->connection_cap(); }
  // Joins Run, which ends at register_timeout_ms (no worker registers).
  Status Finish() {
    runner_.join();
    return run_;
  }

 private:
  zmq::context_t context_;
  std::unique_ptr<Scheduler> scheduler_;
  Status bound_, run_;
  std::thread runner_;
};

// Frames of 64 MiB (eval results come in parts: no control frame exceeds
// net::kMaxControlFrameBytes) are refused at their size: the peer is
// dropped within the socket buffers' worth of bytes and RSS stays put.
TEST(SchedulerStrangerTest, AFrameLargerThanAnyControlMessageDropsThePeer) {
  InitLogging("scheduler_stranger_test");
  BoundScheduler scheduler(/*max_connections=*/16, /*run_ms=*/1500);
  ASSERT_TRUE(scheduler.bound().ok()) << scheduler.bound();
  const int64_t rss_before = testing_util::RssBytes();
  constexpr uint64_t kFrameBytes = uint64_t{64} << 20;
  const std::string chunk(1 << 20, 'x');
  for (int peer = 0; peer < 4; ++peer) {
    const int fd = testing_util::ZmtpConnect(scheduler.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(testing_util::WriteAll(fd, testing_util::ZmtpFrameHeader(kFrameBytes, /*more=*/false)));
    int64_t sent = 0;
    while (sent < static_cast<int64_t>(kFrameBytes) && testing_util::WriteAll(fd, chunk)) {
      sent += static_cast<int64_t>(chunk.size());
    }
    ::close(fd);
    EXPECT_LT(sent, int64_t{32} << 20) << "peer " << peer << ": the scheduler took " << sent << " bytes";
  }
  const int64_t rss_after = testing_util::RssBytes();
  EXPECT_LT(rss_after - rss_before, int64_t{16} << 20) << "RSS " << rss_before << " -> " << rss_after;
  EXPECT_EQ(scheduler.Finish().code(), StatusCode::kDeadlineExceeded);
}

TEST(SchedulerStrangerTest, ConnectionsPastTheCapAreClosed) {
  InitLogging("scheduler_stranger_test");
  constexpr int kCap = 8;
  BoundScheduler scheduler(kCap, /*run_ms=*/3500);
  ASSERT_TRUE(scheduler.bound().ok()) << scheduler.bound();
  std::vector<int> fds;
  for (int i = 0; i < kCap + 5; ++i) {
    const int fd = testing_util::ConnectTcp(scheduler.port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  // Once the cap has looked at every connection, the ones it refused read
  // their end.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (scheduler.cap().checked() < kCap + 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(scheduler.cap().checked(), kCap + 5);
  EXPECT_EQ(scheduler.cap().refused(), 5);
  std::vector<bool> closed(fds.size(), false);
  int closed_count = 0;
  while (closed_count < 5 && std::chrono::steady_clock::now() < deadline) {
    for (size_t i = 0; i < fds.size(); ++i) {
      char byte;
      if (!closed[i] && ::recv(fds[i], &byte, 1, MSG_DONTWAIT) == 0) {
        closed[i] = true;
        ++closed_count;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(closed_count, 5);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(scheduler.Finish().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace ember::scheduler
