// dense_sync_bench: the workers' dense allreduce against the raw library
// summing the same buffer, measured by the same program under mpirun.
//
//   - mpi:  MpiDenseSync::AllreduceSum (a ring allreduce that adds in a
//           fixed order: the same bits on every worker) against
//           MPI_Allreduce(MPI_IN_PLACE) of the same host buffer (whose order
//           of additions MPI does not fix). The ratio is the price of the
//           fixed order.
//   - nccl (built with NCCL, one GPU per rank): NcclDenseSync::AllreduceSum
//           of a buffer in GPU memory (a --device=cuda worker's gradients:
//           an event on the default stream, then ncclAllReduce in place and
//           a polled wait) against ncclAllReduce of a buffer on the GPU
//           with cudaStreamSynchronize. The ratio is the price of the
//           wrapper.
// Every rank of MPI_COMM_WORLD is a worker. Sizes: 10^4 .. max_floats
// floats, x10. Each figure is the median over `reps` timed calls (after 3
// warm-up calls) of the slowest rank's time; GB/s counts the buffer's bytes
// once per call. Rank 0 prints.
//
// Reproduce: mpirun --oversubscribe -np 2 build/bench/net/dense_sync_bench [reps=20] [max_floats=10000000] [nccl]
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "worker/mpi_dense_sync.h"
#if EMBER_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>

#include "worker/nccl_dense_sync.h"
#endif

namespace ember::worker {
namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 == 1 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Seconds of one call of `fn` on the slowest rank, median over `reps`.
double MedianSeconds(int reps, const std::function<bool()>& fn) {
  std::vector<double> times;
  for (int rep = -3; rep < reps; ++rep) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto start = Clock::now();
    if (!fn()) {
      std::fprintf(stderr, "dense_sync_bench: a call failed\n");
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    MPI_Allreduce(MPI_IN_PLACE, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (rep >= 0) times.push_back(seconds);
  }
  return Median(times);
}

void PrintRow(int rank, const char* kind, int64_t n, double ember_seconds, double raw_seconds) {
  if (rank != 0) return;
  const double bytes = static_cast<double>(n) * sizeof(float);
  std::printf("%-5s %10lld %12.3f %10.3f %12.3f %10.3f %9.0f%%\n", kind, static_cast<long long>(n), ember_seconds * 1e3,
              bytes / ember_seconds / 1e9, raw_seconds * 1e3, bytes / raw_seconds / 1e9,
              100.0 * raw_seconds / ember_seconds);
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 20;
  const int64_t max_floats = argc > 2 ? std::max<int64_t>(10'000, std::atoll(argv[2])) : 10'000'000;
  const bool nccl = argc > 3 && std::string(argv[3]) == "nccl";
  if (rank == 0) {
    std::printf("dense_sync_bench: %d workers, %d reps (median of the slowest rank)\n", size, reps);
    std::printf("%-5s %10s %12s %10s %12s %10s %10s\n", "sync", "floats", "ember ms", "ember GB/s", "raw ms",
                "raw GB/s", "ember/raw");
  }
  StatusOr<std::unique_ptr<MpiDenseSync>> mpi_sync = MpiDenseSync::Create(MPI_COMM_WORLD);
  if (!mpi_sync.ok()) {
    std::fprintf(stderr, "dense_sync_bench: %s\n", mpi_sync.status().ToString().c_str());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  for (int64_t n = 10'000; n <= max_floats; n *= 10) {
    std::vector<float> buffer(static_cast<size_t>(n), 1.0f / static_cast<float>(size));
    const int count = static_cast<int>(n);
    ops::Tensor view = ops::Tensor::View(buffer.data(), {n});
    const double ember = MedianSeconds(reps, [&] { return (*mpi_sync)->AllreduceSum(&view).ok(); });
    const double raw = MedianSeconds(reps, [&] {
      return MPI_Allreduce(MPI_IN_PLACE, buffer.data(), count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) == MPI_SUCCESS;
    });
    PrintRow(rank, "mpi", n, ember, raw);
  }
  if (nccl) {
#if EMBER_WITH_NCCL
    StatusOr<std::unique_ptr<NcclDenseSync>> sync = NcclDenseSync::Create(MPI_COMM_WORLD, "bench", false);
    if (!sync.ok()) {
      std::fprintf(stderr, "dense_sync_bench: %s\n", sync.status().ToString().c_str());
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    // The raw side: its own communicator on the same GPU, a device buffer.
    ncclUniqueId id;
    if (rank == 0) ncclGetUniqueId(&id);
    MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
    cudaSetDevice((*sync)->device());
    ncclComm_t comm = nullptr;
    cudaStream_t stream = nullptr;
    cudaStreamCreate(&stream);
    if (ncclCommInitRank(&comm, size, id, rank) != ncclSuccess) MPI_Abort(MPI_COMM_WORLD, 1);
    for (int64_t n = 10'000; n <= max_floats; n *= 10) {
      std::vector<float> buffer(static_cast<size_t>(n), 1.0f / static_cast<float>(size));
      float* device = nullptr;
      cudaMalloc(&device, static_cast<size_t>(n) * sizeof(float));
      // ember's side: the same kind of buffer, in GPU memory (a --device=cuda worker's gradients).
      float* ember_device = nullptr;
      cudaMalloc(&ember_device, static_cast<size_t>(n) * sizeof(float));
      ops::Tensor gradients = ops::Tensor::View(ember_device, {n}, ops::Device::Cuda((*sync)->device()));
      const double ember = MedianSeconds(reps, [&] { return (*sync)->AllreduceSum(&gradients).ok(); });
      const double raw = MedianSeconds(reps, [&] {
        return ncclAllReduce(device, device, static_cast<size_t>(n), ncclFloat32, ncclSum, comm, stream) ==
                   ncclSuccess &&
               cudaStreamSynchronize(stream) == cudaSuccess;
      });
      cudaFree(device);
      cudaFree(ember_device);
      PrintRow(rank, "nccl", n, ember, raw);
    }
    ncclCommDestroy(comm);
    cudaStreamDestroy(stream);
#else
    if (rank == 0) std::printf("nccl: this build has no NCCL (EMBER_WITH_NCCL=OFF)\n");
#endif
  }
  if (rank == 0) {
    std::printf("reproduce: mpirun --oversubscribe -np %d %s %d %lld%s\n", size, argv[0], reps,
                static_cast<long long>(max_floats), nccl ? " nccl" : "");
  }
  MPI_Finalize();
  return 0;
}

}  // namespace
}  // namespace ember::worker

int main(int argc, char** argv) { return ember::worker::Main(argc, argv); }
