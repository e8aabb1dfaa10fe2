// CUDA implementation of ops/embedding_pool.h: one thread per (bag, column).
// Ids outside [0, U) are skipped (the CPU implementation rejects them). The
// backward scatters with atomicAdd, so with duplicate ids its float sums are
// not bit-reproducible run to run.
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

__global__ void PoolBackwardKernel(long long num_bags, long long dim, long long num_rows, long long out_cols,
                                   long long col_offset, bool mean, const float* dout, const int* ids,
                                   const int* offsets, float* drows) {
  const long long n = num_bags * dim;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long bag = t / dim, d = t % dim;
    const int begin = offsets[bag], end = offsets[bag + 1];
    if (end <= begin) continue;
    float g = dout[bag * out_cols + col_offset + d];
    if (mean) g /= static_cast<float>(end - begin);
    for (int i = begin; i < end; ++i) {
      const int id = ids[i];
      if (id >= 0 && id < num_rows) atomicAdd(&drows[id * dim + d], g);
    }
  }
}

}  // namespace

Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets,
                            PoolMode mode, int64_t col_offset, Tensor* out) {
  const long long num_bags = offsets.numel() - 1, dim = rows.dim(1);
  PoolForwardKernel<<<internal::GridSize(num_bags * dim, kThreads), kThreads>>>(
      num_bags, dim, rows.rows(), out->dim(1), col_offset, mode == PoolMode::kMean, rows.device_data(), ids.device_data(),
      offsets.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolForwardKernel");
}

Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids,
                             const IndexTensor& offsets, PoolMode mode, Tensor* drows) {
  const long long num_bags = offsets.numel() - 1, dim = drows->dim(1);
  PoolBackwardKernel<<<internal::GridSize(num_bags * dim, kThreads), kThreads>>>(
      num_bags, dim, drows->rows(), dout.dim(1), col_offset, mode == PoolMode::kMean, dout.device_data(), ids.device_data(),
      offsets.device_data(), drows->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolBackwardKernel");
}

}  // namespace ember::ops::cuda
