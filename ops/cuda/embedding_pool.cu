// CUDA implementation of ops/embedding_pool.h. Forward: one thread per
// (bag, column). Backward, without atomics: the occurrences are sorted by
// row id (cub's radix sort is stable, so each row keeps its occurrences in
// the CPU's order), then one thread per (row, column) adds its
// occurrences' gradients into drows one by one in that order: the same
// bits as the CPU reference, run after run. Ids outside [0, U) are skipped
// (the CPU implementation rejects them).
#include <cub/device/device_radix_sort.cuh>

#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void PoolForwardKernel(long long num_bags, long long dim, long long num_rows, long long out_cols,
                                  long long col_offset, bool mean, const float* rows, const int* ids,
                                  const int* offsets, float* out) {
  const long long n = num_bags * dim;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long bag = t / dim, d = t % dim;
    const int begin = offsets[bag], end = offsets[bag + 1];
    float sum = 0.f;
    for (int i = begin; i < end; ++i) {
      const int id = ids[i];
      if (id >= 0 && id < num_rows) sum += rows[id * dim + d];
    }
    if (mean && end > begin) sum /= static_cast<float>(end - begin);
    out[bag * out_cols + col_offset + d] = sum;
  }
}

// bag_of[i] = the bag of occurrence i, order[i] = i (the sort's values).
__global__ void OccurrencesKernel(long long num_bags, const int* offsets, int first, int* bag_of, int* order) {
  for (long long bag = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; bag < num_bags;
       bag += static_cast<long long>(gridDim.x) * blockDim.x) {
    for (int i = offsets[bag]; i < offsets[bag + 1]; ++i) {
      bag_of[i - first] = static_cast<int>(bag);
      order[i - first] = i - first;
    }
  }
}

// Thread (p, d) with p the first of a run of equal sorted ids adds the run's
// gradients, in occurrence order, to drows[id, d].
__global__ void PoolBackwardSortedKernel(long long count, long long dim, long long num_rows, long long out_cols,
                                         long long col_offset, bool mean, const float* dout, const int* offsets,
                                         const int* sorted_ids, const int* sorted_order, const int* bag_of,
                                         float* drows) {
  const long long n = count * dim;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long p = t / dim, d = t % dim;
    const int id = sorted_ids[p];
    if ((p > 0 && sorted_ids[p - 1] == id) || id < 0 || id >= num_rows) continue;
    float acc = drows[id * dim + d];
    for (long long q = p; q < count && sorted_ids[q] == id; ++q) {
      const int bag = bag_of[sorted_order[q]];
      const int length = offsets[bag + 1] - offsets[bag];
      const float scale = mean && length > 0 ? 1.f / static_cast<float>(length) : 1.f;
      acc += scale * dout[bag * out_cols + col_offset + d];
    }
    drows[id * dim + d] = acc;
  }
}

// Device scratch of one host thread, grown as needed and kept (freed at exit).
struct Scratch {
  void* ptr = nullptr;
  size_t bytes = 0;
  int device = -1;
  ~Scratch() {
    if (ptr != nullptr) (void)cudaFree(ptr);
  }
  Status Reserve(size_t want, int on_device) {
    if (want <= bytes && on_device == device) return Status::OK();
    if (ptr != nullptr) RETURN_IF_ERROR(internal::CudaStatus(cudaFree(ptr), "cudaFree(pool scratch)"));
    ptr = nullptr;
    bytes = 0;
    RETURN_IF_ERROR(internal::CudaStatus(cudaMalloc(&ptr, want), "cudaMalloc(pool scratch)"));
    bytes = want;
    device = on_device;
    return Status::OK();
  }
};

size_t Aligned(size_t bytes) { return (bytes + 255) / 256 * 256; }

}  // namespace

Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets, PoolMode mode,
                            int64_t col_offset, Tensor* out) {
  const long long num_bags = offsets.numel() - 1, dim = rows.dim(1);
  PoolForwardKernel<<<internal::GridSize(num_bags * dim, kThreads), kThreads>>>(
      num_bags, dim, rows.rows(), out->dim(1), col_offset, mode == PoolMode::kMean, rows.device_data(),
      ids.device_data(), offsets.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolForwardKernel");
}

Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids, const IndexTensor& offsets,
                             PoolMode mode, Tensor* drows) {
  const long long num_bags = offsets.numel() - 1, dim = drows->dim(1);
  // The occurrences the bags cover: ids[first, last).
  int first = 0, last = 0;
  RETURN_IF_ERROR(internal::CudaStatus(cudaMemcpy(&first, offsets.device_data(), sizeof(int), cudaMemcpyDeviceToHost),
                                       "cudaMemcpy(offsets[0])"));
  RETURN_IF_ERROR(
      internal::CudaStatus(cudaMemcpy(&last, offsets.device_data() + num_bags, sizeof(int), cudaMemcpyDeviceToHost),
                           "cudaMemcpy(offsets[B])"));
  const int count = last - first;
  if (count <= 0) return Status::OK();
  // Scratch: bag_of, order, sorted ids, sorted order, then cub's temporary storage.
  const size_t ints = Aligned(static_cast<size_t>(count) * sizeof(int));
  size_t sort_bytes = 0;
  RETURN_IF_ERROR(internal::CudaStatus(
      cub::DeviceRadixSort::SortPairs(nullptr, sort_bytes, static_cast<const int*>(nullptr), static_cast<int*>(nullptr),
                                      static_cast<const int*>(nullptr), static_cast<int*>(nullptr), count),
      "cub::DeviceRadixSort::SortPairs(size)"));
  thread_local Scratch scratch;
  RETURN_IF_ERROR(scratch.Reserve(4 * ints + sort_bytes, drows->device().index));
  char* base = static_cast<char*>(scratch.ptr);
  int* bag_of = reinterpret_cast<int*>(base);
  int* order = reinterpret_cast<int*>(base + ints);
  int* sorted_ids = reinterpret_cast<int*>(base + 2 * ints);
  int* sorted_order = reinterpret_cast<int*>(base + 3 * ints);
  void* sort_storage = base + 4 * ints;
  OccurrencesKernel<<<internal::GridSize(num_bags, kThreads), kThreads>>>(num_bags, offsets.device_data(), first,
                                                                          bag_of, order);
  RETURN_IF_ERROR(internal::CudaStatus(cudaGetLastError(), "OccurrencesKernel"));
  RETURN_IF_ERROR(
      internal::CudaStatus(cub::DeviceRadixSort::SortPairs(sort_storage, sort_bytes, ids.device_data() + first,
                                                           sorted_ids, order, sorted_order, count),
                           "cub::DeviceRadixSort::SortPairs"));
  PoolBackwardSortedKernel<<<internal::GridSize(static_cast<long long>(count) * dim, kThreads), kThreads>>>(
      count, dim, drows->rows(), dout.dim(1), col_offset, mode == PoolMode::kMean, dout.device_data(),
      offsets.device_data(), sorted_ids, sorted_order, bag_of, drows->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolBackwardSortedKernel");
}

}  // namespace ember::ops::cuda
