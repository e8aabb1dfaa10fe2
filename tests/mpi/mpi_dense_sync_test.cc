// MpiDenseSync (worker/mpi_dense_sync.h): the ring allreduce sums each
// chunk in the order its header documents, so every worker gets the same
// bits, exactly those of the documented order. The binary runs itself under
// `mpirun -np W` (W = 2, 3, 4): the Child case does the work on every rank
// and fails its rank (so mpirun exits non-zero) on any wrong bit; then
// Create refuses a communicator that MPI refuses (Internal, not one worker).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/util/command.h"
#include "worker/mpi_dense_sync.h"

namespace ember::worker {
namespace {

constexpr const char* kChildVariable = "EMBER_MPI_DENSE_SYNC_TEST_CHILD";

// Worker r's value i: of both signs and magnitudes far apart, so that the
// order of the additions shows in the bits.
float Value(int64_t i, int r) {
  return std::ldexp(static_cast<float>((i * 31 + r * 17) % 1999) - 999.25f,
                    static_cast<int>((i * 7 + r * 11) % 41) - 20);
}

// The sum of element i of a buffer of n over w workers, in the documented
// order: chunk c = the c with c n / w <= i < (c + 1) n / w; start at worker
// c, then c + 1, ... (mod w), each added to the running sum.
float Expected(int64_t i, int64_t n, int w) {
  int64_t c = 0;
  while ((c + 1) * n / w <= i) ++c;
  float sum = Value(i, static_cast<int>(c));
  for (int k = 1; k < w; ++k) sum = sum + Value(i, static_cast<int>((c + k) % w));
  return sum;
}

TEST(MpiDenseSyncTest, Child) {
  if (std::getenv(kChildVariable) == nullptr) GTEST_SKIP() << "runs under mpirun, started by SumsInTheDocumentedOrder";
  int provided = 0;
  ASSERT_EQ(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), MPI_SUCCESS);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  StatusOr<std::unique_ptr<MpiDenseSync>> created = MpiDenseSync::Create(MPI_COMM_WORLD);
  ASSERT_TRUE(created.ok()) << created.status();
  MpiDenseSync& sync = **created;
  EXPECT_EQ(sync.num_workers(), size);
  // Empty, shorter than the worker count, uneven chunks, and a large buffer;
  // then a small one again (the scratch chunk only grows).
  for (int64_t n : std::vector<int64_t>{0, 1, 2, 5, 1000, (1 << 20) + 7, 3}) {
    std::vector<float> buffer(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) buffer[static_cast<size_t>(i)] = Value(i, rank);
    ops::Tensor view = ops::Tensor::View(buffer.data(), {n});
    ASSERT_TRUE(sync.AllreduceSum(&view).ok()) << n;
    int64_t wrong = 0, first_wrong = -1;
    for (int64_t i = 0; i < n; ++i) {
      const float expected = Expected(i, n, size);
      if (std::memcmp(&buffer[static_cast<size_t>(i)], &expected, sizeof(float)) != 0) {
        if (wrong++ == 0) first_wrong = i;
      }
    }
    EXPECT_EQ(wrong, 0) << "rank " << rank << " of " << size << ", n " << n << ", first at " << first_wrong;
  }
  float x = 1.0f;
  // MPI sums host memory: a (never touched) view that says it is on a GPU is refused.
  ops::Tensor on_gpu = ops::Tensor::View(&x, {1}, ops::Device::Cuda(0));
  EXPECT_EQ(sync.AllreduceSum(&on_gpu).code(), StatusCode::kInvalidArgument);
  sync.Abort(Status::Unavailable("server 0 is dead"));
  ops::Tensor one = ops::Tensor::View(&x, {1});
  const Status aborted = sync.AllreduceSum(&one);
  EXPECT_EQ(aborted.code(), StatusCode::kAborted) << aborted;
  // A communicator MPI refuses: Create fails, naming the call, instead of
  // making a sync of one worker.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN);
  StatusOr<std::unique_ptr<MpiDenseSync>> refused = MpiDenseSync::Create(MPI_COMM_NULL);
  EXPECT_EQ(refused.status().code(), StatusCode::kInternal) << refused.status();
  EXPECT_NE(refused.status().message().find("MPI_Comm_size(workers)"), std::string::npos) << refused.status();
  MPI_Finalize();
}

TEST(MpiDenseSyncTest, SumsInTheDocumentedOrderOnEveryWorker) {
  if (!testing_util::MpirunOnPath()) GTEST_SKIP() << "mpirun is not on PATH";
  for (int workers : {2, 3, 4}) {
    const testing_util::CommandResult child = testing_util::RunThisTestUnderMpirun(
        workers, "MpiDenseSyncTest.Child", std::string(kChildVariable) + "=1 ", /*timeout_seconds=*/60);
    EXPECT_EQ(child.exit_code, 0) << workers << " workers\n" << child.output;
    EXPECT_EQ(child.output.find("SKIPPED"), std::string::npos) << child.output;
  }
}

}  // namespace
}  // namespace ember::worker
