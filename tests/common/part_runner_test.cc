// PartRunner: every part runs once per Run, part 0 on the caller and the
// others on threads of their own; many short jobs in a row neither lose a
// part nor hang; one part runs inline.
#include "common/part_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

namespace ember {
namespace {

TEST(PartRunnerTest, EveryPartRunsOnceAndPartZeroOnTheCaller) {
  PartRunner runner(4);
  ASSERT_EQ(runner.parts(), 4);
  std::vector<int> runs(4, 0);
  std::vector<std::thread::id> threads(4);
  runner.Run([&](int part) {
    ++runs[static_cast<size_t>(part)];  // each part writes only its own element
    threads[static_cast<size_t>(part)] = std::this_thread::get_id();
  });
  EXPECT_EQ(runs, std::vector<int>(4, 1));
  EXPECT_EQ(threads[0], std::this_thread::get_id());
  EXPECT_EQ(std::set<std::thread::id>(threads.begin(), threads.end()).size(), 4u) << "one thread per part";
}

TEST(PartRunnerTest, ManyShortJobsInARowLoseNoPart) {
  PartRunner runner(3);
  std::atomic<int64_t> sum{0};
  constexpr int kJobs = 20'000;
  for (int job = 0; job < kJobs; ++job) {
    runner.Run([&](int part) { sum.fetch_add(part + 1, std::memory_order_relaxed); });
    ASSERT_EQ(sum.load(), int64_t{6} * (job + 1)) << "job " << job << " returned before all its parts ran";
  }
}

TEST(PartRunnerTest, OnePartRunsOnTheCaller) {
  for (int parts : {1, 0, -2}) {
    PartRunner runner(parts);
    EXPECT_EQ(runner.parts(), 1);
    std::thread::id ran;
    runner.Run([&](int part) {
      EXPECT_EQ(part, 0);
      ran = std::this_thread::get_id();
    });
    EXPECT_EQ(ran, std::this_thread::get_id());
  }
}

// The process's threads, from /proc/self/task.
int ThreadCount() {
  int threads = 0;
  for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++threads;
  return threads;
}

TEST(PartRunnerTest, DestroyedWithoutAJobStopsItsThreads) {
  { PartRunner warm_up(2); }  // a sanitizer's runtime starts a thread of its own with the first one
  const int before = ThreadCount();
  for (int i = 0; i < 100; ++i) {
    PartRunner runner(4);
    ASSERT_EQ(ThreadCount(), before + 3) << "a runner of 4 parts runs 3 threads of its own";
  }
  EXPECT_EQ(ThreadCount(), before) << "every runner's threads were joined";
}

}  // namespace
}  // namespace ember
