// NcclDenseSync (worker/nccl_dense_sync.h) in one process: MPI is started
// as a singleton (no mpirun), so the workers' communicator is
// MPI_COMM_WORLD with one worker. Without a GPU, Create must refuse naming
// the worker and its host (this runs in CI); with one, the allreduce goes
// through the GPU and must give back the buffer bit for bit, and Abort must
// end every later call. The sums over several GPUs are checked by the job
// test MpiJobTest.NcclSumsAsMpiDoesBitForBit.
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "ops/tensor.h"
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

TEST(NcclDenseSyncTest, WithoutAGpuCreateNamesTheWorkerAndItsHost) {
  if (ops::CudaDeviceCount() > 0) GTEST_SKIP() << "this host has a GPU";
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA");
  ASSERT_FALSE(sync.ok());
  EXPECT_EQ(sync.status().code(), StatusCode::kFailedPrecondition) << sync.status();
  const std::string why = "worker 0 on host hostA has no GPU: its local rank 0 needs GPU 0, 0 visible";
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
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA");
  ASSERT_TRUE(sync.ok()) << sync.status();
  EXPECT_EQ((*sync)->num_workers(), 1);
  EXPECT_EQ((*sync)->device(), 0);
  // A small buffer, then a larger one (the device buffer grows), then the
  // small one again.
  for (size_t n : {size_t{1000}, size_t{(1 << 20) + 3}, size_t{17}}) {
    const std::vector<float> expected = Gradients(n);
    std::vector<float> buffer = expected;
    ASSERT_TRUE((*sync)->AllreduceSum(buffer.data(), static_cast<int64_t>(n)).ok()) << n;
    EXPECT_EQ(std::memcmp(buffer.data(), expected.data(), n * sizeof(float)), 0) << n;
  }
  EXPECT_TRUE((*sync)->AllreduceSum(nullptr, 0).ok());
  float one = 1.0f;
  EXPECT_EQ((*sync)->AllreduceSum(&one, -1).code(), StatusCode::kInvalidArgument);
}

TEST(NcclDenseSyncTest, AbortEndsEveryLaterCall) {
  if (ops::CudaDeviceCount() == 0) GTEST_SKIP() << "needs a GPU, 0 visible";
  StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(Workers(), "hostA");
  ASSERT_TRUE(sync.ok()) << sync.status();
  std::vector<float> buffer = Gradients(4096);
  ASSERT_TRUE((*sync)->AllreduceSum(buffer.data(), 4096).ok());
  (*sync)->Abort(Status::Unavailable("server 1 is dead"));
  for (int call = 0; call < 2; ++call) {
    const Status status = (*sync)->AllreduceSum(buffer.data(), 4096);
    EXPECT_EQ(status.code(), StatusCode::kAborted) << status;
    EXPECT_NE(status.message().find("server 1 is dead"), std::string::npos) << status;
  }
}

}  // namespace
}  // namespace ember::worker
