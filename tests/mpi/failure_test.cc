// Failure detection under mpirun (DESIGN.md, "Failure"; scheduler/heartbeat.h):
// a job of 1 scheduler, 2 servers and 2 workers of the real ember binary,
// with --heartbeat_timeout=3, and a fault injected mid-training by signalling
// one rank's process: kill -9 of a server or of a worker, SIGSTOP of a server
// (alive but silent: only heartbeats catch it) and SIGSTOP of the scheduler.
// Each time mpirun must exit non-zero within heartbeat_timeout + 5 s of the
// fault, with no process of the job left behind. A rank's pid is found by
// its command line (the test's own data directory) and its
// OMPI_COMM_WORLD_RANK / PMI_RANK environment variable.
// Every mpirun runs under `timeout` in its own process group.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/files.h"
#include "tests/util/command.h"
#include "tests/util/processes.h"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kHeartbeatTimeoutSeconds = 3;
constexpr double kExitBoundSeconds = kHeartbeatTimeoutSeconds + 5;
constexpr int kMpiTimeoutSeconds = 90;


using testing_util::ReadProcFile;

// The pids of the job's ember processes (command line mentions `marker`),
// by world rank.
std::map<int, pid_t> RankPids(const std::string& marker) {
  return testing_util::RankPids(EMBER_BINARY_PATH, marker);
}

// Alive and not a zombie.
bool Alive(pid_t pid) {
  const std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

class FailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing_util::MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
    dir_ = ::testing::TempDir() + "/ember_failure_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    const std::string gen = std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + dir_ +
                            " --train_rows=200000 --test_rows=1000 --seed=5 > " + dir_ + "/gen.log 2>&1";
    ASSERT_EQ(std::system(gen.c_str()), 0) << ReadProcFile(dir_ + "/gen.log");
  }
  void TearDown() override {
    if (mpirun_ > 0) {  // a failed assertion left it running
      ::kill(-mpirun_, SIGKILL);
      ::waitpid(mpirun_, nullptr, 0);
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts mpirun with 5 ranks (1 scheduler, 2 servers, 2 workers) in its own
  // process group; its output goes to log().
  void StartJob() {
    const std::string command =
        testing_util::MpirunEnvironment() + "exec timeout -k 5 " + std::to_string(kMpiTimeoutSeconds) +
        " mpirun --oversubscribe -np 5 " +
        EMBER_BINARY_PATH + " train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 " +
        "--num_servers=2 --epochs=20 --train_files=" + dir_ + "/train.tsv --heartbeat_interval_ms=500 " +
        "--heartbeat_timeout=" + std::to_string(kHeartbeatTimeoutSeconds) + " > " + log_path() + " 2>&1";
    mpirun_ = ::fork();
    ASSERT_GE(mpirun_, 0);
    if (mpirun_ == 0) {
      ::setpgid(0, 0);
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(mpirun_, mpirun_);
  }

  std::string log_path() const { return dir_ + "/mpirun.log"; }
  std::string Log() const { return ReadProcFile(log_path()); }

  // Waits until training has made progress and every rank's pid is known.
  std::map<int, pid_t> WaitForTraining() {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::map<int, pid_t> pids = RankPids(dir_);
      if (pids.size() == 5 && Log().find("\nstep ") != std::string::npos) return pids;
      int status = 0;
      if (::waitpid(mpirun_, &status, WNOHANG) == mpirun_) {
        mpirun_ = -1;
        ADD_FAILURE() << "mpirun ended before training\n" << Log();
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "training did not start in 60 s\n" << Log();
    return {};
  }

  // Sends `signal` to `rank`, then waits for mpirun: its exit code and the
  // seconds from the signal to its exit.
  std::pair<int, double> InjectAndWait(const std::map<int, pid_t>& pids, int rank, int signal) {
    const auto fault = Clock::now();
    EXPECT_EQ(::kill(pids.at(rank), signal), 0);
    int status = 0;
    ::waitpid(mpirun_, &status, 0);
    mpirun_ = -1;
    const double seconds = std::chrono::duration<double>(Clock::now() - fault).count();
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), seconds};
  }

  // No process of the job is left (a second's grace for the kernel to reap).
  void ExpectNoneLeft(const std::map<int, pid_t>& pids) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    for (const auto& [rank, pid] : pids) {
      if (Alive(pid)) {
        ADD_FAILURE() << "rank " << rank << " (pid " << pid << ") outlived mpirun";
        ::kill(pid, SIGKILL);
      }
    }
  }

  void ExpectFailedInTime(int exit_code, double seconds) {
    EXPECT_NE(exit_code, 0) << Log();
    EXPECT_NE(exit_code, 124) << "timed out: a process hung\n" << Log();
    EXPECT_LE(seconds, kExitBoundSeconds) << Log();
  }

  std::string dir_;
  pid_t mpirun_ = -1;
};

TEST_F(FailureTest, KillNineOfAServerEndsTheJobInTime) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  const auto [exit_code, seconds] = InjectAndWait(pids, 2, SIGKILL);
  ExpectFailedInTime(exit_code, seconds);
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, KillNineOfAWorkerEndsTheJobInTime) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  const auto [exit_code, seconds] = InjectAndWait(pids, 4, SIGKILL);
  ExpectFailedInTime(exit_code, seconds);
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, AStoppedServerIsDeclaredDeadByRankRoleAndHost) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  const auto [exit_code, seconds] = InjectAndWait(pids, 2, SIGSTOP);
  ExpectFailedInTime(exit_code, seconds);
  EXPECT_GE(seconds, kHeartbeatTimeoutSeconds - 1) << "declared dead before the timeout\n" << Log();
  const std::string log = Log();
  EXPECT_NE(log.find("ember train: rank 2 (server 1 on host "), std::string::npos) << log;
  EXPECT_NE(log.find("is dead: no heartbeat for "), std::string::npos) << log;
  EXPECT_NE(log.find("newest checkpoint: none"), std::string::npos) << log;
  // The stopped process did not blame the scheduler when it was resumed.
  EXPECT_EQ(log.find("rank 0 (scheduler on host"), std::string::npos) << log;
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, AStoppedSchedulerIsDeclaredDeadByTheOthers) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  const auto [exit_code, seconds] = InjectAndWait(pids, 0, SIGSTOP);
  ExpectFailedInTime(exit_code, seconds);
  const std::string log = Log();
  EXPECT_NE(log.find("ember train: rank 0 (scheduler on host "), std::string::npos) << log;
  EXPECT_NE(log.find("is dead: no heartbeat for "), std::string::npos) << log;
  ExpectNoneLeft(pids);
}

}  // namespace
}  // namespace ember
