// CUDA implementation of ops/fm.h. Forward: one thread per sample, summing
// over the fields and columns in the CPU's order. Backward: one thread per
// (sample, column), which computes the column's field sum and writes every
// field's gradient of that column. No atomics: deterministic.
#include "ops/internal/device_memory.h"
#include "ops/internal/fm_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void FmForwardKernel(long long batch, long long num_fields, long long dim, long long cols, const float* x,
                                float* out) {
  for (long long b = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; b < batch;
       b += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float* row = x + b * cols;
    float interaction = 0.f;
    for (long long d = 0; d < dim; ++d) {
      float sum = 0.f, sum_sq = 0.f;
      for (long long f = 0; f < num_fields; ++f) {
        const float e = row[f * dim + d];
        sum += e;
        sum_sq += e * e;
      }
      interaction += sum * sum - sum_sq;
    }
    out[b] = 0.5f * interaction;
  }
}

__global__ void FmBackwardKernel(long long batch, long long num_fields, long long dim, long long cols, const float* x,
                                 const float* dout, float* dx) {
  const long long n = batch * dim;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long b = t / dim, d = t % dim;
    const float* row = x + b * cols;
    float sum = 0.f;
    for (long long f = 0; f < num_fields; ++f) sum += row[f * dim + d];
    const float g = dout[b];
    float* drow = dx + b * cols;
    for (long long f = 0; f < num_fields; ++f) drow[f * dim + d] += g * (sum - row[f * dim + d]);
  }
}

}  // namespace

Status FmInteractionForward(const Tensor& x, int64_t num_fields, int64_t dim, Tensor* out) {
  const long long batch = x.rows();
  FmForwardKernel<<<internal::GridSize(batch, kThreads), kThreads>>>(batch, num_fields, dim, x.dim(1), x.device_data(),
                                                                     out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "FmForwardKernel");
}

Status FmInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_fields, int64_t dim, Tensor* dx) {
  const long long batch = x.rows();
  FmBackwardKernel<<<internal::GridSize(batch * dim, kThreads), kThreads>>>(
      batch, num_fields, dim, x.dim(1), x.device_data(), dout.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "FmBackwardKernel");
}

}  // namespace ember::ops::cuda
