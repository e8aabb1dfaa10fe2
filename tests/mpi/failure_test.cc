// Failure detection under mpirun (DESIGN.md, "Failure"; scheduler/heartbeat.h):
// a job of 1 scheduler, 2 servers and 2 workers of the real ember binary,
// with --heartbeat_timeout=3, and a fault injected mid-training by signalling
// one rank's process: kill -9 of a server or of a worker, SIGSTOP of a server
// (alive but silent: only heartbeats catch it) and SIGSTOP of the scheduler.
// Each time mpirun must exit non-zero by itself (not by its `timeout`),
// because the fault was seen: mpirun names the killed rank, or the dead-rank
// line names the stopped one after at least heartbeat_timeout of silence;
// and no process of the job is left behind. A rank's pid is found by its
// command line (the test's own data directory) and its
// OMPI_COMM_WORLD_RANK / PMI_RANK environment variable.
// Every mpirun runs under `timeout` in its own process group
// (tests/util/background_process.h).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "tests/util/background_process.h"
#include "tests/util/command.h"
#include "tests/util/processes.h"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kHeartbeatTimeoutSeconds = 3;
constexpr int kMpiTimeoutSeconds = 90;
// A hang guard, not a speed bound: a fault is seen within about
// heartbeat_timeout; a job still running this long after it has hung, and
// the test says so before ctest's timeout of 120 s would.
constexpr int kHangSeconds = 60;

using testing_util::ReadProcFile;

// The pids of the job's ember processes (command line mentions `marker`),
// by world rank.
std::map<int, pid_t> RankPids(const std::string& marker) { return testing_util::RankPids(EMBER_BINARY_PATH, marker); }

// Alive and not a zombie.
bool Alive(pid_t pid) {
  const std::string stat = ReadProcFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return false;
  const size_t paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

// The T of the first "ember train: rank RANK (...) is dead: no heartbeat
// for T s" line of `log`; -1 if there is none.
double SilentSeconds(const std::string& log, int rank) {
  const size_t line = log.find("ember train: rank " + std::to_string(rank) + " (");
  if (line == std::string::npos) return -1;
  const std::string key = "is dead: no heartbeat for ";
  const size_t at = log.find(key, line);
  if (at == std::string::npos || at > log.find('\n', line)) return -1;
  return std::atof(log.c_str() + at + key.size());
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
    mpirun_.reset();  // a failed assertion left it running: its group is killed
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts mpirun with 5 ranks (1 scheduler, 2 servers, 2 workers) in its own
  // process group; its output goes to Log().
  void StartJob() {
    const std::string command =
        "env " + testing_util::MpirunEnvironment() + "timeout -k 5 " + std::to_string(kMpiTimeoutSeconds) +
        " mpirun --oversubscribe -np 5 " + EMBER_BINARY_PATH +
        " train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 " +
        "--num_servers=2 --epochs=20 --train_files=" + dir_ + "/train.tsv --heartbeat_interval_ms=500 " +
        "--heartbeat_timeout=" + std::to_string(kHeartbeatTimeoutSeconds);
    mpirun_ = std::make_unique<testing_util::BackgroundProcess>(command, dir_ + "/mpirun.log");
    ASSERT_TRUE(mpirun_->started());
  }

  std::string Log() const { return mpirun_->output(); }

  // Waits until training has made progress and every rank's pid is known.
  std::map<int, pid_t> WaitForTraining() {
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < deadline) {
      std::map<int, pid_t> pids = RankPids(dir_);
      if (pids.size() == 5 && Log().find("\nstep ") != std::string::npos) return pids;
      if (mpirun_->Exited()) {
        ADD_FAILURE() << "mpirun ended before training\n" << Log();
        return {};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "training did not start in 60 s\n" << Log();
    return {};
  }

  // Sends `signal` to `rank`, then waits for mpirun to end (no longer than
  // kHangSeconds) and returns its exit code.
  int InjectAndWait(const std::map<int, pid_t>& pids, int rank, int signal) {
    EXPECT_EQ(::kill(pids.at(rank), signal), 0);
    const bool ended = mpirun_->WaitForExit(std::chrono::seconds(kHangSeconds));
    EXPECT_TRUE(ended) << "mpirun still runs " << kHangSeconds << " s after the fault to rank " << rank
                       << ": the job hung\n"
                       << Log();
    if (!ended) mpirun_->Kill9();
    return mpirun_->exit_code();
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

  // The killed rank is named as the cause of the job's end: mpirun's line
  // ("mpirun noticed that process rank 2 with PID ... exited on signal 9")
  // or ember's dead-rank line.
  void ExpectKilledRankNamed(int rank) {
    const std::string log = Log();
    const size_t notice = log.find("process rank " + std::to_string(rank) + " with PID");
    const bool by_mpirun =
        notice != std::string::npos &&
        log.substr(notice, log.find('\n', notice) - notice).find("exited on signal 9") != std::string::npos;
    const bool by_heartbeat = SilentSeconds(log, rank) >= kHeartbeatTimeoutSeconds;
    EXPECT_TRUE(by_mpirun || by_heartbeat) << "no line names rank " << rank << " as killed\n" << log;
  }

  // mpirun failed, and not by its `timeout` (124).
  void ExpectFailedByItself(int exit_code) {
    EXPECT_NE(exit_code, 0) << Log();
    EXPECT_NE(exit_code, 124) << "timed out: a process hung\n" << Log();
  }

  std::string dir_;
  std::unique_ptr<testing_util::BackgroundProcess> mpirun_;
};

TEST_F(FailureTest, KillNineOfAServerEndsTheJobNamingTheRank) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  ExpectFailedByItself(InjectAndWait(pids, 2, SIGKILL));
  ExpectKilledRankNamed(2);
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, KillNineOfAWorkerEndsTheJobNamingTheRank) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  ExpectFailedByItself(InjectAndWait(pids, 4, SIGKILL));
  ExpectKilledRankNamed(4);
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, AStoppedServerIsDeclaredDeadByRankRoleAndHost) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  ExpectFailedByItself(InjectAndWait(pids, 2, SIGSTOP));
  const std::string log = Log();
  EXPECT_NE(log.find("ember train: rank 2 (server 1 on host "), std::string::npos) << log;
  EXPECT_NE(log.find("is dead: no heartbeat for "), std::string::npos) << log;
  EXPECT_NE(log.find("newest checkpoint: none"), std::string::npos) << log;
  EXPECT_GE(SilentSeconds(log, 2), kHeartbeatTimeoutSeconds) << "declared dead before the timeout\n" << log;
  // The stopped process did not blame the scheduler when it was resumed.
  EXPECT_EQ(log.find("rank 0 (scheduler on host"), std::string::npos) << log;
  ExpectNoneLeft(pids);
}

TEST_F(FailureTest, AStoppedSchedulerIsDeclaredDeadByTheOthers) {
  StartJob();
  const std::map<int, pid_t> pids = WaitForTraining();
  ASSERT_EQ(pids.size(), 5u);
  ExpectFailedByItself(InjectAndWait(pids, 0, SIGSTOP));
  const std::string log = Log();
  EXPECT_NE(log.find("ember train: rank 0 (scheduler on host "), std::string::npos) << log;
  EXPECT_NE(log.find("is dead: no heartbeat for "), std::string::npos) << log;
  EXPECT_GE(SilentSeconds(log, 0), kHeartbeatTimeoutSeconds) << "declared dead before the timeout\n" << log;
  ExpectNoneLeft(pids);
}

}  // namespace
}  // namespace ember
