// The crash points of the checkpoint protocol (storage/crash_point.h). The
// environment is read once per process, so each case runs this binary again
// (the CrashPointChild case) with EMBER_TEST_CRASH_AT set, and reads what it
// printed and how it ended.
#include "storage/crash_point.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/util/command.h"

namespace ember::storage {
namespace {

using testing_util::CommandResult;
using testing_util::RunShell;

constexpr char kChildVariable[] = "EMBER_CRASH_POINT_CHILD";

// Three rounds over every point, in protocol order, saying after each call
// that it returned.
TEST(CrashPointChild, ReachesEveryPointThreeTimes) {
  if (std::getenv(kChildVariable) == nullptr) GTEST_SKIP() << "run by the CrashPointTest cases";
  for (int round = 1; round <= 3; ++round) {
    for (int i = 0; i < kNumCrashPoints; ++i) {
      const auto point = static_cast<CrashPoint>(i);
      ReachCrashPoint(point);
      std::printf("returned from %s #%d\n", std::string(CrashPointName(point)).c_str(), round);
      std::fflush(stdout);
    }
  }
}

// The child case with `crash_at` (unset when empty); its output ends with
// "exit status <the shell's $?>".
CommandResult RunChild(const std::string& crash_at) {
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) return CommandResult{};
  const std::string env = crash_at.empty() ? "unset EMBER_TEST_CRASH_AT; " : "EMBER_TEST_CRASH_AT=" + crash_at + " ";
  return RunShell("{ " + env + kChildVariable + "=1 timeout 60 " + self +
                  " --gtest_filter=CrashPointChild.ReachesEveryPointThreeTimes; echo \"exit status $?\"; }");
}

bool Has(const CommandResult& result, const std::string& text) { return result.output.find(text) != std::string::npos; }

TEST(CrashPointTest, NamesAreDistinctAndInProtocolOrder) {
  EXPECT_EQ(CrashPointName(CrashPoint::kShardWritten), "shard-written");
  EXPECT_EQ(CrashPointName(CrashPoint::kBeforeManifest), "before-manifest");
  EXPECT_EQ(CrashPointName(CrashPoint::kBeforeRename), "before-rename");
  EXPECT_EQ(CrashPointName(CrashPoint::kAfterRename), "after-rename");
  EXPECT_EQ(CrashPointName(CrashPoint::kPruneManifestRemoved), "prune-manifest-removed");
}

TEST(CrashPointTest, UnsetEveryPointReturns) {
  const CommandResult child = RunChild("");
  EXPECT_TRUE(Has(child, "returned from prune-manifest-removed #3")) << child.output;
  EXPECT_TRUE(Has(child, "exit status 0")) << child.output;
  EXPECT_FALSE(Has(child, "crash point")) << child.output;
}

TEST(CrashPointTest, KillsWithSigkillAtTheNthArrivalAndSaysSo) {
  const CommandResult child = RunChild("before-rename:2");
  EXPECT_TRUE(Has(child, "crash point before-rename reached")) << child.output;
  EXPECT_TRUE(Has(child, "exit status " + std::to_string(128 + SIGKILL))) << child.output;
  // Past the first arrival and every other point of that round, not past
  // the second arrival.
  EXPECT_TRUE(Has(child, "returned from before-rename #1")) << child.output;
  EXPECT_TRUE(Has(child, "returned from prune-manifest-removed #1")) << child.output;
  EXPECT_TRUE(Has(child, "returned from before-manifest #2")) << child.output;
  EXPECT_FALSE(Has(child, "returned from before-rename #2")) << child.output;
}

TEST(CrashPointTest, WithoutNthKillsAtTheFirstArrival) {
  const CommandResult child = RunChild("shard-written");
  EXPECT_TRUE(Has(child, "crash point shard-written reached")) << child.output;
  EXPECT_TRUE(Has(child, "exit status " + std::to_string(128 + SIGKILL))) << child.output;
  EXPECT_FALSE(Has(child, "returned from")) << child.output;
}

TEST(CrashPointTest, AValueNamingNoPointOrABadNthAborts) {
  for (const char* bad : {"no-such-point", "before-rename:0", "before-rename:x", "before-rename:"}) {
    SCOPED_TRACE(bad);
    const CommandResult child = RunChild(bad);
    EXPECT_TRUE(Has(child, "is not <point>[:<nth>]")) << child.output;
    EXPECT_TRUE(Has(child, "exit status " + std::to_string(128 + SIGABRT))) << child.output;
    EXPECT_FALSE(Has(child, "returned from")) << child.output;
  }
}

}  // namespace
}  // namespace ember::storage
