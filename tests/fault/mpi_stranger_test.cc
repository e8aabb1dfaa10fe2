// Strangers on the port of a whole mpirun job's server: `mpirun -np 4 ember
// train` (1 scheduler, 1 server, 2 workers, --deterministic) runs twice on
// the same data, once quietly and once while a stranger thread in this test
// sends the server's port at least 10,000 bad ember messages from
// tests/fault/strangers.h. The job does not share its token with us, so to
// the server every one of them is unauthenticated: no token, a wrong token,
// truncated headers, random frames, huge declared lengths, frames that do
// not match their header, a wrong wire version.
// Checked: both jobs exit 0; the server logs every bad message as rejected
// ("[rejected so far: N]" reaches exactly the number sent); the two jobs end
// with identical dense and sparse checksums and test AUC (the strangers
// changed nothing); the server rank's VmRSS, read from /proc/PID/status
// after ~1,000 bad messages and after the server has rejected the last one,
// grows by less than 64 MB.
// The stranger starts once the job prints its first progress line (training
// runs), at the port of the server's "server 0 bound tcp://127.0.0.1:PORT"
// line; the server rank's pid is found as failure_test does
// (the ember binary, this test's data directory, OMPI_COMM_WORLD_RANK).
// Every mpirun runs under `timeout` in its own process group
// (tests/util/background_process.h).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/files.h"
#include "tests/fault/strangers.h"
#include "tests/util/background_process.h"
#include "tests/util/command.h"
#include "tests/util/processes.h"

namespace ember {
namespace {

using Clock = std::chrono::steady_clock;
using ps::strangers::BadKind;
using ps::strangers::BadMessage;
using ps::strangers::MakeBadMessage;

constexpr int kMpiTimeoutSeconds = 75;
constexpr int64_t kStrangerMessages = 12000;  // a multiple of the server's log period of 1000
constexpr int64_t kFirstSampleAfter = 1000;
constexpr int64_t kMaxRssGrowthBytes = 64LL << 20;
constexpr int kServerRank = 1;  // rank 0 is the scheduler, then the servers, then the workers

using testing_util::ReadProcFile;
using testing_util::RssBytes;

// The pid of the job's process of world rank `rank`; -1 if none (yet).
pid_t RankPid(const std::string& marker, int rank) {
  const std::map<int, pid_t> pids = testing_util::RankPids(EMBER_BINARY_PATH, marker);
  const auto it = pids.find(rank);
  return it == pids.end() ? -1 : it->second;
}

// The largest N of the server's "[rejected so far: N]" lines in `log`; 0 if none.
int64_t MaxRejectedLogged(const std::string& log) {
  const std::string key = "[rejected so far: ";
  int64_t most = 0;
  for (size_t at = log.find(key); at != std::string::npos; at = log.find(key, at + 1)) {
    most = std::max<int64_t>(most, std::atoll(log.c_str() + at + key.size()));
  }
  return most;
}

struct StrangerReport {
  int64_t sent = 0;
  int64_t replies = 0;     // must stay 0: nothing a stranger sends is authenticated
  int64_t rss_first = -1;  // server VmRSS after kFirstSampleAfter messages
};

// Sends `count` bad messages of every kind in turn to `endpoint`, from a
// fresh DEALER every 1000 messages; `on_sent(n)` after the n-th.
template <typename OnSent>
StrangerReport RunStranger(const std::string& endpoint, int64_t count, Clock::time_point deadline, OnSent on_sent) {
  zmq::context_t context(1);
  ember::Rng rng(2024);
  StrangerReport report;
  std::unique_ptr<zmq::socket_t> socket;
  const auto drain = [&] {
    while (true) {
      std::vector<zmq::message_t> reply;
      zmq::recv_result_t got;
      try {
        got = zmq::recv_multipart(*socket, std::back_inserter(reply), zmq::recv_flags::dontwait);
      } catch (const zmq::error_t&) {
        return;
      }
      if (!got) return;
      ++report.replies;
    }
  };
  for (int64_t i = 0; i < count && Clock::now() < deadline; ++i) {
    if (i % 1000 == 0) {
      if (socket != nullptr) drain();
      socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
      socket->set(zmq::sockopt::linger, 2000);
      socket->set(zmq::sockopt::sndtimeo, 5000);
      socket->connect(endpoint);
    }
    const BadMessage m = MakeBadMessage(rng, static_cast<BadKind>(i % ps::strangers::kNumBadKinds));
    bool sent = true;
    for (size_t f = 0; f < m.frames.size() && sent; ++f) {
      const bool more = f + 1 < m.frames.size();
      sent =
          socket->send(zmq::buffer(m.frames[f]), more ? zmq::send_flags::sndmore : zmq::send_flags::none).has_value();
    }
    if (!sent) break;  // a send timed out: the server is gone or stuck
    ++report.sent;
    on_sent(report.sent, &report);
    if (i % 64 == 63) drain();
  }
  if (socket != nullptr) drain();
  socket.reset();  // linger: the last messages go out before the context closes
  return report;
}

class MpiStrangerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing_util::MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
    dir_ = ::testing::TempDir() + "/ember_mpi_stranger_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    const testing_util::CommandResult gen =
        testing_util::RunShell(std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + dir_ +
                               " --train_rows=150000 --test_rows=20000 --seed=7");
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
  }
  void TearDown() override {
    mpirun_.reset();  // a failed assertion left it running: its group is killed
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Starts `mpirun -np 4 ember train` in its own process group, its output to log_path(name).
  void StartJob(const std::string& name) {
    const std::string command =
        "env " + testing_util::MpirunEnvironment() + "timeout -k 5 " + std::to_string(kMpiTimeoutSeconds) +
        " mpirun --oversubscribe -np 4 " + EMBER_BINARY_PATH +
        " train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 " +
        "--num_servers=1 --compute_threads=1 --deterministic --progress_every_steps=20 --train_files=" + dir_ +
        "/train.tsv --eval_files=" + dir_ + "/test.tsv --metrics_out=" + dir_ + "/" + name + ".jsonl";
    mpirun_ = std::make_unique<testing_util::BackgroundProcess>(command, log_path(name));
    ASSERT_TRUE(mpirun_->started());
  }

  // mpirun's exit code once it has ended: `timeout` ends it after
  // kMpiTimeoutSeconds (exit code 124), so this wait is bounded; past that
  // and the grace of `timeout -k` it fails as hung.
  int WaitJob() {
    if (!mpirun_->WaitForExit(std::chrono::seconds(kMpiTimeoutSeconds + 15))) {
      ADD_FAILURE() << "mpirun outlived its timeout";
      mpirun_->Kill9();
    }
    return mpirun_->exit_code();
  }

  std::string log_path(const std::string& name) const { return dir_ + "/" + name + ".log"; }
  std::string Log(const std::string& name) const { return ReadProcFile(log_path(name)); }
  std::string FinalLine(const std::string& name) const {
    return testing_util::FinalMetricsLine(dir_ + "/" + name + ".jsonl");
  }

  std::string dir_;
  std::unique_ptr<testing_util::BackgroundProcess> mpirun_;
};

TEST_F(MpiStrangerTest, TenThousandBadMessagesOnTheServerPortChangeNothing) {
  // The quiet run.
  StartJob("quiet");
  const int quiet_exit = WaitJob();
  ASSERT_EQ(quiet_exit, 0) << Log("quiet");
  EXPECT_EQ(MaxRejectedLogged(Log("quiet")), 0) << Log("quiet");

  // The same job with a stranger on the server's port.
  StartJob("stranger");
  const auto deadline = Clock::now() + std::chrono::seconds(kMpiTimeoutSeconds);
  const std::string bound = "server 0 bound tcp://127.0.0.1:";
  std::string endpoint;
  while (endpoint.empty() && Clock::now() < deadline) {
    const std::string log = Log("stranger");
    const size_t at = log.find(bound);
    // Start once training runs (the first progress line), so that the
    // strangers' messages arrive between real pulls and pushes.
    const bool training = log.find("\nstep ") != std::string::npos;
    if (training && at != std::string::npos && log.find(' ', at + bound.size()) != std::string::npos) {
      endpoint = "tcp://127.0.0.1:" + std::to_string(std::atoi(log.c_str() + at + bound.size()));
      break;
    }
    ASSERT_FALSE(mpirun_->Exited()) << "mpirun ended before its server bound\n" << log;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(endpoint.empty()) << Log("stranger");
  pid_t server = -1;
  while (server < 0 && Clock::now() < deadline) {
    server = RankPid(dir_, kServerRank);
    if (server < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(server, 0) << "no pid for rank " << kServerRank;

  const auto stranger_start = Clock::now();
  const StrangerReport report =
      RunStranger(endpoint, kStrangerMessages, deadline, [&](int64_t sent, StrangerReport* r) {
        if (sent == kFirstSampleAfter) r->rss_first = RssBytes(server);
      });
  // Every message sent is rejected, once: the server's count reaches exactly
  // the number sent while the job still runs (a multiple of 1000 is logged).
  int64_t rejected = 0;
  bool ended = false;
  while (Clock::now() < deadline) {
    rejected = MaxRejectedLogged(Log("stranger"));
    if (rejected >= report.sent) break;
    if ((ended = mpirun_->Exited())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int64_t rss_last = RssBytes(server);
  const double stranger_seconds = std::chrono::duration<double>(Clock::now() - stranger_start).count();
  const int exit_code = ended ? mpirun_->exit_code() : WaitJob();
  const double job_seconds = std::chrono::duration<double>(Clock::now() - stranger_start).count();
  const std::string log = Log("stranger");
  rejected = MaxRejectedLogged(log);

  ASSERT_EQ(exit_code, 0) << log;
  EXPECT_EQ(report.sent, kStrangerMessages) << "the stranger could not send them all";
  EXPECT_GE(report.sent, 10000);
  EXPECT_EQ(report.replies, 0) << "the server answered a stranger";
  EXPECT_EQ(rejected, report.sent) << log;
  ASSERT_GT(report.rss_first, 0) << "the server was gone after " << kFirstSampleAfter << " bad messages";
  ASSERT_GT(rss_last, 0) << "training ended before the server rejected every bad message: make it longer";
  EXPECT_LT(rss_last - report.rss_first, kMaxRssGrowthBytes) << "server RSS " << report.rss_first << " -> " << rss_last;

  // The strangers changed nothing.
  const std::string quiet = FinalLine("quiet"), noisy = FinalLine("stranger");
  const std::vector<std::string> dense = testing_util::JsonStringList(quiet, "dense_checksums");
  const std::vector<std::string> sparse = testing_util::JsonStringList(quiet, "sparse_checksums");
  ASSERT_EQ(dense.size(), 2u) << quiet;
  ASSERT_EQ(sparse.size(), 1u) << quiet;
  EXPECT_EQ(dense, testing_util::JsonStringList(noisy, "dense_checksums")) << quiet << "\n" << noisy;
  EXPECT_EQ(sparse, testing_util::JsonStringList(noisy, "sparse_checksums")) << quiet << "\n" << noisy;
  StatusOr<double> quiet_auc = JsonNumberField(quiet, "test_auc"), noisy_auc = JsonNumberField(noisy, "test_auc");
  ASSERT_TRUE(quiet_auc.ok() && noisy_auc.ok()) << quiet << "\n" << noisy;
  EXPECT_EQ(*quiet_auc, *noisy_auc);
  EXPECT_GT(*noisy_auc, 0.7);
  std::printf(
      "mpi stranger: %lld bad messages sent, %lld rejected by the server, %lld replies; server RSS "
      "%.1f MB after %lld -> %.1f MB after the last (growth %.1f MB); test_auc %.6f (quiet %.6f); "
      "all sent and rejected %.2f s after the server bound, the job ended %.2f s after it\n",
      static_cast<long long>(report.sent), static_cast<long long>(rejected), static_cast<long long>(report.replies),
      report.rss_first / 1e6, static_cast<long long>(kFirstSampleAfter), rss_last / 1e6,
      (rss_last - report.rss_first) / 1e6, *noisy_auc, *quiet_auc, stranger_seconds, job_seconds);
}

}  // namespace
}  // namespace ember
