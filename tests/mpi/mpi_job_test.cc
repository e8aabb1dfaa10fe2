// The distributed mode as a user runs it: `mpirun -np 5 ember train` with 1
// scheduler, 2 servers and 2 workers on loopback, against local mode on the
// same data and flags; and a worker that fails takes the whole job down.
// Every mpirun runs under `timeout` (SIGTERM, then SIGKILL), so a hang fails
// the test instead of blocking CI.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "common/files.h"
#include "ops/tensor.h"
#include "storage/checkpoint.h"
#include "tests/util/command.h"

namespace ember {
namespace {

constexpr int kMpiTimeoutSeconds = 120;

using testing_util::CommandResult;
using testing_util::JsonStringList;
using testing_util::MpirunOnPath;
using testing_util::RunShell;

// `ember <verb> <args>` under mpirun with `processes` ranks, under a hard timeout.
CommandResult RunMpiVerb(int processes, const std::string& verb, const std::string& args) {
  return RunShell(testing_util::MpirunEnvironment() + "timeout -k 10 " + std::to_string(kMpiTimeoutSeconds) +
                  " mpirun --oversubscribe -np " + std::to_string(processes) + " " + EMBER_BINARY_PATH + " " + verb +
                  " " + args);
}

CommandResult RunMpi(int processes, const std::string& args) { return RunMpiVerb(processes, "train", args); }

CommandResult RunLocal(const std::string& args) {
  return RunShell("timeout -k 10 " + std::to_string(kMpiTimeoutSeconds) + " " + EMBER_BINARY_PATH + " train " + args);
}

std::string FinalLine(const std::string& metrics_path) { return testing_util::FinalMetricsLine(metrics_path); }

// The job was ended by a rank's MPI_Abort on the failure (job/mpi_job.h):
// mpirun's notice of it, and no rank that waited out a timeout (no
// DeadlineExceeded, no dead-rank line). OpenMPI 4.1 sometimes fails to
// relay that notice from the aborting rank's daemon and logs the failure
// of its show_help instead ("ORTE_ERROR_LOG: Out of resource" or "Data
// unpack would read past end of buffer" in orte/util/show_help.c: about 1
// run in 6 of NcclWithMoreWorkersThanGpus… on the 2-core machine, and once
// in a CI run); that line stands for it.
void ExpectEndedByAbort(const CommandResult& mpi) {
  const size_t orte_error = mpi.output.find("ORTE_ERROR_LOG: ");
  const bool noticed =
      mpi.output.find("MPI_ABORT was invoked on rank ") != std::string::npos ||
      (orte_error != std::string::npos && mpi.output.find("orte/util/show_help.c", orte_error) != std::string::npos);
  EXPECT_TRUE(noticed) << "no MPI_Abort notice\n" << mpi.output;
  EXPECT_EQ(mpi.output.find("DeadlineExceeded"), std::string::npos) << "a rank waited out a timeout\n" << mpi.output;
  EXPECT_EQ(mpi.output.find("is dead: no heartbeat"), std::string::npos) << mpi.output;
}

// `count` consecutive loopback ports that are free now, as {first, last}:
// the OS hands out an ephemeral port P (a bind of 127.0.0.1:0), and P+1 ..
// P+count-1 must bind as well; then every socket is closed. So parallel
// tests never share a range by construction. The race that remains: between
// the close and the job's bind another process may take one of the ports;
// a rank then tries the range's next port (job/mpi_job.cc, BindInRange),
// and the job fails only if every port of the range was taken. {0, 0} when
// 100 tries found no such range.
std::pair<int, int> FreeLoopbackPortRange(int count) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<int> sockets;
    int first = 0;
    bool all_bound = true;
    for (int i = 0; i < count && all_bound; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0) return {0, 0};
      sockets.push_back(fd);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      address.sin_port = htons(static_cast<uint16_t>(i == 0 ? 0 : first + i));
      all_bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
      if (all_bound && i == 0) {
        socklen_t length = sizeof(address);
        all_bound = ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
        first = ntohs(address.sin_port);
        all_bound = all_bound && first + count - 1 <= 65535;
      }
    }
    for (const int fd : sockets) ::close(fd);
    if (all_bound) return {first, first + count - 1};
  }
  return {0, 0};
}

class MpiJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_mpi_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    CommandResult gen = RunShell(std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + dir_ +
                                 " --train_rows=60000 --test_rows=10000 --seed=3");
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string TrainFlags(const std::string& metrics) const {
    return "--model=wide_deep --hidden=64,32 --embedding_dim=8 --batch_size=512 --num_servers=2 --train_files=" + dir_ +
           "/train.tsv --eval_files=" + dir_ + "/test.tsv --metrics_out=" + dir_ + "/" + metrics;
  }

  std::string dir_;
};

TEST_F(MpiJobTest, TwoServersTwoWorkersReachTheAucOfLocalMode) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  CommandResult local = RunLocal(TrainFlags("local.jsonl") + " --num_workers=2");
  ASSERT_EQ(local.exit_code, 0) << local.output;
  CommandResult mpi = RunMpi(5, TrainFlags("mpi.jsonl"));
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  EXPECT_NE(mpi.output.find("rank 2: server 1"), std::string::npos) << mpi.output;
  EXPECT_NE(mpi.output.find("rank 4: worker 1"), std::string::npos) << mpi.output;
  StatusOr<double> local_auc = JsonNumberField(FinalLine(dir_ + "/local.jsonl"), "test_auc");
  StatusOr<double> mpi_auc = JsonNumberField(FinalLine(dir_ + "/mpi.jsonl"), "test_auc");
  ASSERT_TRUE(local_auc.ok()) << local.output;
  ASSERT_TRUE(mpi_auc.ok()) << mpi.output;
  EXPECT_GT(*mpi_auc, 0.7);
  EXPECT_NEAR(*mpi_auc, *local_auc, 0.005) << "local " << *local_auc << ", mpi " << *mpi_auc;
  StatusOr<double> samples = JsonNumberField(FinalLine(dir_ + "/mpi.jsonl"), "samples");
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ(*samples, 60000) << "the workers' parts must cover the file once";
}

// A checkpoint of a local job scored under mpirun, with another number of
// servers: the scores and the eval line of the training's last evaluation.
TEST_F(MpiJobTest, PredictAndEvalUnderMpirunGiveTheTrainingsScoresAndMetrics) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  CommandResult local = RunLocal(TrainFlags("local.jsonl") + " --deterministic --checkpoint_dir=" + dir_ +
                                 "/ckpt --eval_scores_out=" + dir_ + "/train_scores.txt");
  ASSERT_EQ(local.exit_code, 0) << local.output;
  StatusOr<std::vector<int64_t>> steps = storage::ListCheckpoints(dir_ + "/ckpt");
  ASSERT_TRUE(steps.ok() && !steps->empty()) << local.output;
  const std::string checkpoint = dir_ + "/ckpt/" + storage::CheckpointName(steps->back());
  // 1 scheduler, 3 servers, 1 worker.
  CommandResult predict =
      RunMpiVerb(5, "predict",
                 "--checkpoint=" + checkpoint + " --num_servers=3 --batch_size=512 --files=" + dir_ +
                     "/test.tsv --out=" + dir_ + "/predicted.txt");
  ASSERT_EQ(predict.exit_code, 0) << predict.output;
  StatusOr<std::string> trained = ReadFileToString(dir_ + "/train_scores.txt");
  StatusOr<std::string> predicted = ReadFileToString(dir_ + "/predicted.txt");
  ASSERT_TRUE(trained.ok() && predicted.ok()) << predict.output;
  EXPECT_EQ(*predicted, *trained);
  // 1 scheduler, 2 servers, 1 worker: the line the training wrote last.
  CommandResult eval = RunMpiVerb(
      4, "eval", "--checkpoint=" + checkpoint + " --num_servers=2 --batch_size=512 --eval_files=" + dir_ + "/test.tsv");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  StatusOr<std::string> metrics = ReadFileToString(dir_ + "/local.jsonl");
  ASSERT_TRUE(metrics.ok());
  const size_t last_eval = metrics->rfind("{\"event\": \"eval\"");
  ASSERT_NE(last_eval, std::string::npos) << *metrics;
  const std::string eval_line = metrics->substr(last_eval, metrics->find('\n', last_eval) - last_eval);
  EXPECT_NE(eval.output.find(eval_line + "\n"), std::string::npos) << eval_line << "\n" << eval.output;
}

TEST_F(MpiJobTest, DenseParametersOfAllWorkersAreBitwiseEqual) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  // 3 workers: the reduction order matters when there are more than two.
  CommandResult mpi = RunMpi(6, TrainFlags("mpi.jsonl"));
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  const std::vector<std::string> checksums = JsonStringList(FinalLine(dir_ + "/mpi.jsonl"), "dense_checksums");
  ASSERT_EQ(checksums.size(), 3u) << FinalLine(dir_ + "/mpi.jsonl");
  EXPECT_EQ(checksums[0].size(), 16u);
  for (const std::string& checksum : checksums) EXPECT_EQ(checksum, checksums[0]);
}

TEST_F(MpiJobTest, LocalModeWorkersEndBitwiseEqualToo) {
  CommandResult local = RunLocal(TrainFlags("local.jsonl") + " --num_workers=2");
  ASSERT_EQ(local.exit_code, 0) << local.output;
  const std::vector<std::string> checksums = JsonStringList(FinalLine(dir_ + "/local.jsonl"), "dense_checksums");
  ASSERT_EQ(checksums.size(), 2u) << FinalLine(dir_ + "/local.jsonl");
  EXPECT_EQ(checksums[0], checksums[1]);
}

TEST_F(MpiJobTest, AWorkerWithBadInputEndsTheWholeJobNamingItsRank) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  // Good lines, then garbage: the garbage lies in the second worker's part
  // (the file's second half by bytes).
  StatusOr<std::string> train = ReadFileToString(dir_ + "/train.tsv");
  ASSERT_TRUE(train.ok());
  size_t cut = 0;
  for (int line = 0; line < 20000; ++line) cut = train->find('\n', cut) + 1;
  std::string bad = train->substr(0, cut);
  for (int i = 0; i < 500; ++i) bad += "not a criteo line " + std::to_string(i) + "\n";
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/bad.tsv", bad).ok());
  CommandResult mpi = RunMpi(5,
                             "--model=wide_deep --hidden=64,32 --embedding_dim=8 --batch_size=512 "
                             "--num_servers=2 --max_bad_lines=10 --train_files=" +
                                 dir_ + "/bad.tsv");
  EXPECT_NE(mpi.exit_code, 0) << mpi.output;
  EXPECT_NE(mpi.exit_code, 124) << "timed out: a process hung\n" << mpi.output;
  ExpectEndedByAbort(mpi);
  EXPECT_NE(mpi.output.find("rank 4 (worker 1 on host"), std::string::npos) << mpi.output;
  EXPECT_NE(mpi.output.find("too many malformed lines"), std::string::npos) << mpi.output;
}

TEST_F(MpiJobTest, AWorldWithoutWorkersOrDisagreeingNumWorkersIsRefused) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  CommandResult no_worker = RunMpi(3, TrainFlags("m.jsonl"));
  EXPECT_NE(no_worker.exit_code, 0);
  EXPECT_NE(no_worker.output.find("leave no worker"), std::string::npos) << no_worker.output;
  CommandResult disagree = RunMpi(5, TrainFlags("m.jsonl") + " --num_workers=3");
  EXPECT_NE(disagree.exit_code, 0);
  EXPECT_NE(disagree.output.find("--num_workers=3 but mpirun started 5"), std::string::npos) << disagree.output;
}

// --device=cuda where no GPU is usable: every rank stops at start, with the
// worker and its host named, and the job exits 2 (nothing was trained).
TEST_F(MpiJobTest, DeviceCudaWithoutAGpuStopsAtStartNamingTheWorker) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  if (ops::CudaAvailable()) GTEST_SKIP() << "this host has a GPU";
  CommandResult mpi = RunMpi(4, TrainFlags("m.jsonl") + " --device=cuda");
  EXPECT_EQ(mpi.exit_code, 2) << mpi.output;
  const bool no_gpu = mpi.output.find("(worker 0 on host ") != std::string::npos &&
                      mpi.output.find("--device=cuda: worker 0 on host ") != std::string::npos &&
                      mpi.output.find("has no usable GPU") != std::string::npos;
  const bool no_cuda = mpi.output.find("--device=cuda: this ember was built without CUDA") != std::string::npos;
  EXPECT_TRUE(no_gpu || no_cuda) << mpi.output;
  EXPECT_EQ(mpi.output.find("samples/s"), std::string::npos) << "nothing may train\n" << mpi.output;
}

TEST_F(MpiJobTest, PortRangeAndTokenFileAreUsed) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/token", "0x1234abcd5678ef01\n").ok());
  const auto [base, last] = FreeLoopbackPortRange(10);
  ASSERT_GT(base, 0) << "no 10 consecutive free loopback ports";
  const std::string range = std::to_string(base) + "-" + std::to_string(last);
  CommandResult mpi =
      RunMpi(5, TrainFlags("mpi.jsonl") + " --port_range=" + range + " --job_token_file=" + dir_ + "/token");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  EXPECT_NE(mpi.output.find("rank 1: server 0 on"), std::string::npos) << mpi.output;
  // Every bound endpoint lies in the range.
  for (int rank = 0; rank <= 2; ++rank) {
    const size_t at = mpi.output.find("rank " + std::to_string(rank) + ": ");
    ASSERT_NE(at, std::string::npos) << mpi.output;
    const size_t colon = mpi.output.find("tcp://127.0.0.1:", at);
    ASSERT_NE(colon, std::string::npos) << mpi.output;
    const int port = std::atoi(mpi.output.c_str() + colon + std::string("tcp://127.0.0.1:").size());
    EXPECT_GE(port, base);
    EXPECT_LE(port, last);
  }
}

// --curve: the same job with every ZeroMQ connection encrypted (per-job
// CURVE keys sent over MPI) trains to the AUC of the plain job. Heartbeats
// every 100 ms with a 2 s timeout: the heartbeat sockets must work under
// CURVE too, or the job ends with a dead-rank line.
TEST_F(MpiJobTest, CurveJobReachesTheAucOfAPlainJob) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  const std::string heartbeats = " --heartbeat_interval_ms=100 --heartbeat_timeout=2";
  CommandResult plain = RunMpi(5, TrainFlags("plain.jsonl") + heartbeats);
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  CommandResult curve = RunMpi(5, TrainFlags("curve.jsonl") + heartbeats + " --curve");
  if (curve.output.find("has no CURVE support") != std::string::npos) GTEST_SKIP() << "libzmq without CURVE";
  ASSERT_EQ(curve.exit_code, 0) << curve.output;
  EXPECT_NE(curve.output.find("--curve: CurveZMQ on every socket"), std::string::npos) << curve.output;
  StatusOr<double> plain_auc = JsonNumberField(FinalLine(dir_ + "/plain.jsonl"), "test_auc");
  StatusOr<double> curve_auc = JsonNumberField(FinalLine(dir_ + "/curve.jsonl"), "test_auc");
  ASSERT_TRUE(plain_auc.ok()) << plain.output;
  ASSERT_TRUE(curve_auc.ok()) << curve.output;
  EXPECT_GT(*curve_auc, 0.7);
  EXPECT_NEAR(*curve_auc, *plain_auc, 0.005) << "plain " << *plain_auc << ", curve " << *curve_auc;
  StatusOr<double> samples = JsonNumberField(FinalLine(dir_ + "/curve.jsonl"), "samples");
  ASSERT_TRUE(samples.ok());
  EXPECT_EQ(*samples, 60000);
}

// --deterministic: two mpirun jobs (1 scheduler, 2 servers, 2 workers) end
// with bitwise-identical dense parameters on every worker and identical rows
// on every server.
TEST_F(MpiJobTest, DeterministicRunsEndBitwiseIdentical) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  auto flags = [&](const std::string& metrics) {
    return "--model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=512 --num_servers=2 "
           "--compute_threads=1 --deterministic --progress_every_steps=1000 --train_files=" +
           dir_ + "/train.tsv --eval_files=" + dir_ + "/test.tsv --metrics_out=" + dir_ + "/" + metrics;
  };
  CommandResult first = RunMpi(5, flags("first.jsonl"));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  CommandResult second = RunMpi(5, flags("second.jsonl"));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const std::string line1 = FinalLine(dir_ + "/first.jsonl"), line2 = FinalLine(dir_ + "/second.jsonl");
  const std::vector<std::string> dense1 = JsonStringList(line1, "dense_checksums");
  const std::vector<std::string> sparse1 = JsonStringList(line1, "sparse_checksums");
  ASSERT_EQ(dense1.size(), 2u) << line1;
  ASSERT_EQ(sparse1.size(), 2u) << line1;
  EXPECT_EQ(dense1[0], dense1[1]);
  EXPECT_EQ(dense1, JsonStringList(line2, "dense_checksums")) << line1 << "\n" << line2;
  EXPECT_EQ(sparse1, JsonStringList(line2, "sparse_checksums")) << line1 << "\n" << line2;
  StatusOr<double> auc1 = JsonNumberField(line1, "test_auc"), auc2 = JsonNumberField(line2, "test_auc");
  ASSERT_TRUE(auc1.ok() && auc2.ok()) << line1;
  EXPECT_EQ(*auc1, *auc2);
  EXPECT_GT(*auc1, 0.7);
}

// --dense_sync=nccl with one worker more than this host has GPUs: the job is
// refused before training, naming the worker without a GPU of its own, and
// nothing hangs. Runs everywhere (in CI: no GPU, so one worker that has
// none); a build without NCCL refuses the flag instead.
TEST_F(MpiJobTest, NcclWithMoreWorkersThanGpusIsRefusedNamingTheWorker) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  const int gpus = ops::CudaDeviceCount();
  if (gpus > 4) GTEST_SKIP() << gpus << " GPUs: more processes than this test starts";
  CommandResult mpi = RunMpi(2 + gpus + 1,
                             "--model=wide_deep --hidden=16 --embedding_dim=4 --batch_size=512 "
                             "--num_servers=1 --dense_sync=nccl --train_files=" +
                                 dir_ + "/train.tsv");
  EXPECT_NE(mpi.exit_code, 0) << mpi.output;
  EXPECT_NE(mpi.exit_code, 124) << "timed out: a process hung\n" << mpi.output;
  ExpectEndedByAbort(mpi);
  EXPECT_EQ(mpi.output.find("samples/s"), std::string::npos) << "refused before training\n" << mpi.output;
#if EMBER_WITH_NCCL
  // Worker `gpus` takes GPU 0 again (local rank % GPUs), which worker 0 has.
  const std::string why = gpus == 0 ? "--dense_sync=nccl: worker 0 on host "
                                    : "--dense_sync=nccl: workers 0 and " + std::to_string(gpus) + " on host ";
  EXPECT_NE(mpi.output.find(why), std::string::npos) << mpi.output;
  EXPECT_NE(mpi.output.find(gpus == 0 ? "has no GPU (0 visible" : "would share GPU 0"), std::string::npos)
      << mpi.output;
#else
  EXPECT_NE(mpi.output.find("built without NCCL"), std::string::npos) << mpi.output;
#endif
}

// --dense_sync=nccl sums the dense gradients on the GPUs. With 2 workers a
// --deterministic job must end with exactly the parameters of the same job
// with --dense_sync=mpi: the sum of two buffers has one rounding whatever the
// order. Where the host has one GPU the job has one worker, which skips the
// allreduce: only the set-up of the communicator is then checked (the copy
// through the GPU is nccl_dense_sync_test's). Skips without a GPU.
TEST_F(MpiJobTest, NcclSumsAsMpiDoesBitForBit) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
#if !EMBER_WITH_NCCL
  GTEST_SKIP() << "built without NCCL";
#endif
  const int gpus = ops::CudaDeviceCount();
  if (gpus == 0) GTEST_SKIP() << "needs a GPU, 0 visible";
  const int workers = std::min(gpus, 2);
  auto flags = [&](const std::string& metrics) {
    return "--model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=512 --num_servers=1 "
           "--compute_threads=1 --deterministic --progress_every_steps=1000 --train_files=" +
           dir_ + "/train.tsv --eval_files=" + dir_ + "/test.tsv --metrics_out=" + dir_ + "/" + metrics;
  };
  CommandResult mpi = RunMpi(2 + workers, flags("mpi.jsonl") + " --dense_sync=mpi");
  ASSERT_EQ(mpi.exit_code, 0) << mpi.output;
  CommandResult nccl = RunMpi(2 + workers, flags("nccl.jsonl") + " --dense_sync=nccl");
  ASSERT_EQ(nccl.exit_code, 0) << nccl.output;
  EXPECT_NE(nccl.output.find("worker 0: dense allreduce over NCCL, GPU 0"), std::string::npos) << nccl.output;
  const std::string line_mpi = FinalLine(dir_ + "/mpi.jsonl"), line_nccl = FinalLine(dir_ + "/nccl.jsonl");
  const std::vector<std::string> dense = JsonStringList(line_nccl, "dense_checksums");
  ASSERT_EQ(dense.size(), static_cast<size_t>(workers)) << line_nccl;
  EXPECT_EQ(dense.front(), dense.back());
  EXPECT_EQ(dense, JsonStringList(line_mpi, "dense_checksums")) << line_mpi << "\n" << line_nccl;
  EXPECT_EQ(JsonStringList(line_nccl, "sparse_checksums"), JsonStringList(line_mpi, "sparse_checksums"));
  StatusOr<double> auc_mpi = JsonNumberField(line_mpi, "test_auc"), auc_nccl = JsonNumberField(line_nccl, "test_auc");
  ASSERT_TRUE(auc_mpi.ok() && auc_nccl.ok()) << line_nccl;
  EXPECT_EQ(*auc_nccl, *auc_mpi);
  EXPECT_GT(*auc_nccl, 0.7);
}

// Checkpoints under mpirun: a deterministic job of 2 servers stopped at
// step 40 (with a checkpoint) and resumed under mpirun with 3 servers ends
// with exactly the rows and dense parameters of the same job run to step 80
// in one go.
TEST_F(MpiJobTest, CheckpointThenResumeOnThreeServersIsExact) {
  if (!MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  const std::string flags = TrainFlags("whole.jsonl") + " --deterministic --compute_threads=1";
  CommandResult whole = RunMpi(5, flags + " --max_steps=80");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  const std::string ckpt = " --checkpoint_dir=" + dir_ + "/ckpt";
  CommandResult first =
      RunMpi(5, TrainFlags("first.jsonl") + " --deterministic --compute_threads=1 --max_steps=40" + ckpt);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  CommandResult resumed =
      RunMpi(6, TrainFlags("resumed.jsonl") + " --deterministic --compute_threads=1 --max_steps=80 --num_servers=3" +
                    ckpt + " --resume=auto");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
  const std::string whole_final = FinalLine(dir_ + "/whole.jsonl");
  const std::string resumed_final = FinalLine(dir_ + "/resumed.jsonl");
  for (const char* field : {"table_checksums", "dense_checksums"}) {
    EXPECT_FALSE(JsonStringList(whole_final, field).empty()) << field << ": " << whole_final;
    EXPECT_EQ(JsonStringList(whole_final, field), JsonStringList(resumed_final, field)) << field;
  }
  EXPECT_EQ(JsonStringList(resumed_final, "sparse_checksums").size(), 3u) << resumed_final;
}

}  // namespace
}  // namespace ember
