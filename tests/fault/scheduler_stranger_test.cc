// Strangers on the scheduler's control port: a real Scheduler on
// tcp://127.0.0.1:* waiting for its worker, while a DEALER sends it
// thousands of messages without the job token. The scheduler drops each
// one; its log gets the first 100 lines, then one per 1000 (a stranger
// must not be able to fill the disk with WARNING lines).
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <zmq.hpp>

#include "common/logging.h"
#include "scheduler/scheduler.h"
#include "tests/util/log_capture.h"

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

}  // namespace
}  // namespace ember::scheduler
