// NcclDenseSync (worker/nccl_dense_sync.h).
//   - In one process, MPI started as a singleton (no mpirun), so the
//     workers' communicator is MPI_COMM_WORLD with one worker. Without a GPU
//     Create must refuse naming the worker and its host (this runs in CI);
//     with one, the allreduce goes through the GPU and must give back the
//     buffer bit for bit, and Abort must end every later call.
//   - With 2 GPUs, this binary under `mpirun -np 2` (TwoRankChild, started by
//     TwoWorkersSumBitForBitAndAbortEndsAWait): the sum of two buffers must
//     be the float sum of each pair, on both ranks, and Abort from another
//     thread must end a call that waits for a peer that never joins.
// Each case runs in its own process under ctest (gtest_discover_tests).
#include <gtest/gtest.h>
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "ops/tensor.h"
#include "tests/util/command.h"
#include "worker/nccl_dense_sync.h"

namespace ember::worker {
namespace {

// MPI_Init once per process, on first use (gtest's test listing runs none).
MPI_Comm Workers() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) std::abort();
    std::atexit([] { MPI_Finalize(); });
  }
  return MPI_COMM_WORLD;
}

// A 1-D host view of *values.
ops::Tensor HostView(std::vector<float>* values) {
  return ops::Tensor::View(values->data(), {static_cast<int64_t>(values->size())});
}

TEST(NcclDenseSyncTest, WithoutAGpuCreateNamesTheWorkerAndItsHost) {
  if (ops::CudaDeviceCount() > 0) GTEST_SKIP() << "this host has a GPU";
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA", false);
  ASSERT_FALSE(sync.ok());
  EXPECT_EQ(sync.status().code(), StatusCode::kFailedPrecondition) << sync.status();
  const std::string why = "--dense_sync=nccl: worker 0 on host hostA has no GPU (0 visible";
  EXPECT_NE(sync.status().message().find(why), std::string::npos) << sync.status();
}

// Values of every kind a gradient holds: signs, tiny, huge, zero, NaN.
std::vector<float> Gradients(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i] = std::ldexp(static_cast<float>(i % 1013) - 506.25f, static_cast<int>(i % 61) - 40);
  }
  v[0] = 0.0f;
  v[1] = -0.0f;
  v[2] = std::numeric_limits<float>::denorm_min();
  v[3] = std::numeric_limits<float>::quiet_NaN();
  return v;
}

TEST(NcclDenseSyncTest, OneWorkersSumIsItsBufferBitForBit) {
  if (ops::CudaDeviceCount() == 0) GTEST_SKIP() << "needs a GPU, 0 visible";
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA", false);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*sync)->num_workers(), 1);
  EXPECT_EQ((*sync)->device(), 0);
  // A small buffer, then a larger one (the buffers grow), then the small one
  // again.
  for (size_t n : {size_t{1000}, size_t{(1 << 20) + 3}, size_t{17}}) {
    const std::vector<float> expected = Gradients(n);
    std::vector<float> buffer = expected;
    ops::Tensor host = HostView(&buffer);
    ASSERT_TRUE((*sync)->AllreduceSum(&host).ok()) << n;
    EXPECT_EQ(std::memcmp(buffer.data(), expected.data(), n * sizeof(float)), 0) << n;
    // The same sum of a buffer in GPU memory, with no host copy.
    StatusOr<ops::Tensor> on_gpu = ops::Tensor::View(const_cast<float*>(expected.data()), {static_cast<int64_t>(n)})
                                       .To(ops::Device::Cuda((*sync)->device()));
    ASSERT_TRUE(on_gpu.ok()) << on_gpu.status();
    ASSERT_TRUE((*sync)->AllreduceSum(&*on_gpu).ok()) << n;
    StatusOr<ops::Tensor> back = on_gpu->To(ops::Device::Cpu());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(std::memcmp(back->data(), expected.data(), n * sizeof(float)), 0) << "device buffer of " << n;
  }
  ops::Tensor empty;
  EXPECT_TRUE((*sync)->AllreduceSum(&empty).ok());
  float one = 1.0f;
  ops::Tensor other_gpu = ops::Tensor::View(&one, {1}, ops::Device::Cuda((*sync)->device() + 1));
  EXPECT_EQ((*sync)->AllreduceSum(&other_gpu).code(), StatusCode::kInvalidArgument);
}

TEST(NcclDenseSyncTest, AbortEndsEveryLaterCall) {
  if (ops::CudaDeviceCount() == 0) GTEST_SKIP() << "needs a GPU, 0 visible";
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA", false);
  ASSERT_TRUE(sync.ok()) << sync.status();
  std::vector<float> buffer = Gradients(4096);
  ops::Tensor view = HostView(&buffer);
  ASSERT_TRUE((*sync)->AllreduceSum(&view).ok());
  (*sync)->Abort(Status::Unavailable("server 1 is dead"));
  for (int call = 0; call < 2; ++call) {
    const Status status = (*sync)->AllreduceSum(&view);
    EXPECT_EQ(status.code(), StatusCode::kAborted) << status;
    EXPECT_NE(status.message().find("server 1 is dead"), std::string::npos) << status;
  }
}

// Rank r's gradient i: finite, of both signs and many magnitudes.
float RankValue(size_t i, int r) {
  return std::ldexp(static_cast<float>((i * 7 + static_cast<size_t>(r) * 13) % 2003) - 1001.5f,
                    static_cast<int>((i + 3 * static_cast<size_t>(r)) % 50) - 25);
}

constexpr const char* kChildVariable = "EMBER_NCCL_TEST_CHILD";

TEST(NcclDenseSyncTest, TwoRankChild) {
  if (std::getenv(kChildVariable) == nullptr) {
    GTEST_SKIP() << "runs under mpirun, started by TwoWorkersSumBitForBitAndAbortEndsAWait";
  }
  NcclDenseSync::PrepareEnvironment(/*deterministic=*/true);  // before MPI starts its threads
  MPI_Comm world = Workers();
  int rank = 0, size = 0;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  ASSERT_EQ(size, 2);
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(world, "child", /*deterministic=*/true);
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*sync)->device(), rank);
  const size_t n = (size_t{1} << 20) + 5;
  std::vector<float> buffer(n);
  for (size_t i = 0; i < n; ++i) buffer[i] = RankValue(i, rank);
  ops::Tensor view = HostView(&buffer);
  ASSERT_TRUE((*sync)->AllreduceSum(&view).ok());
  size_t wrong = 0;
  for (size_t i = 0; i < n; ++i) {
    const float expected = RankValue(i, 0) + RankValue(i, 1);  // one rounding, whatever the order
    if (std::memcmp(&buffer[i], &expected, sizeof(float)) != 0) ++wrong;
  }
  EXPECT_EQ(wrong, 0u) << "rank " << rank;

  // Rank 0 waits for a peer that never joins; Abort from another thread
  // must end the wait. Rank 1 stays out, then aborts its own communicator.
  MPI_Barrier(world);
  if (rank == 0) {
    std::thread aborter([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      (*sync)->Abort(Status::Unavailable("worker 1 is gone"));
    });
    const auto start = std::chrono::steady_clock::now();
    const Status waited = (*sync)->AllreduceSum(&view);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    aborter.join();
    EXPECT_EQ(waited.code(), StatusCode::kAborted) << waited;
    EXPECT_NE(waited.message().find("worker 1 is gone"), std::string::npos) << waited;
    EXPECT_LT(seconds, 10.0);
  } else {
    (*sync)->Abort(Status::Cancelled("this rank stays out of the last allreduce"));
  }
  MPI_Barrier(world);
}

TEST(NcclDenseSyncTest, TwoWorkersSumBitForBitAndAbortEndsAWait) {
  const int gpus = ops::CudaDeviceCount();
  if (gpus < 2) GTEST_SKIP() << "needs 2 GPUs, " << gpus << " visible";
  if (!testing_util::MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  const testing_util::CommandResult child = testing_util::RunThisTestUnderMpirun(
      2, "NcclDenseSyncTest.TwoRankChild", std::string(kChildVariable) + "=1 ", /*timeout_seconds=*/120);
  EXPECT_EQ(child.exit_code, 0) << child.output;
  EXPECT_EQ(child.output.find("SKIPPED"), std::string::npos) << child.output;
  EXPECT_NE(child.output.find("[  PASSED  ] 1 test"), std::string::npos) << child.output;
}

}  // namespace
}  // namespace ember::worker
