// CUDA implementation of ops/dot_interaction.h. Forward: one thread per
// (sample, pair), the pair decoded from its column. Backward: one thread per
// (sample, vector, column), summing over the other vectors in the CPU's
// order. No atomics: deterministic.
#include "ops/internal/device_memory.h"
#include "ops/internal/dot_interaction_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

// Column p of the output holds pair (i, j), i > j, p = i*(i-1)/2 + j.
__device__ void DecodePair(long long p, long long* i, long long* j) {
  long long row = static_cast<long long>((1.0 + sqrt(1.0 + 8.0 * static_cast<double>(p))) / 2.0);
  while (row * (row - 1) / 2 > p) --row;
  while ((row + 1) * row / 2 <= p) ++row;
  *i = row;
  *j = p - row * (row - 1) / 2;
}

__global__ void DotInteractionForwardKernel(long long batch, long long dim, long long cols, long long pairs,
                                            const float* x, float* out) {
  const long long n = batch * pairs;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long b = t / pairs, p = t % pairs;
    long long i = 0, j = 0;
    DecodePair(p, &i, &j);
    const float* vi = x + b * cols + i * dim;
    const float* vj = x + b * cols + j * dim;
    float dot = 0.f;
    for (long long d = 0; d < dim; ++d) dot += vi[d] * vj[d];
    out[t] = dot;
  }
}

__global__ void DotInteractionBackwardKernel(long long batch, long long num_vectors, long long dim, long long pairs,
                                             const float* x, const float* dout, float* dx) {
  const long long cols = num_vectors * dim;
  const long long n = batch * cols;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < n;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long b = t / cols, c = t % cols;
    const long long i = c / dim, d = c % dim;
    const float* row = x + b * cols;
    const float* g = dout + b * pairs;
    float sum = 0.f;
    for (long long j = 0; j < num_vectors; ++j) {
      if (j == i) continue;
      const float gij = i > j ? g[i * (i - 1) / 2 + j] : g[j * (j - 1) / 2 + i];
      sum += gij * row[j * dim + d];
    }
    dx[t] = sum;
  }
}

}  // namespace

Status DotInteractionForward(const Tensor& x, int64_t /*num_vectors*/, int64_t dim, Tensor* out) {
  const long long batch = x.rows(), pairs = out->dim(1);
  DotInteractionForwardKernel<<<internal::GridSize(batch * pairs, kThreads), kThreads>>>(
      batch, dim, x.dim(1), pairs, x.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DotInteractionForwardKernel");
}

Status DotInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_vectors, int64_t dim, Tensor* dx) {
  const long long batch = x.rows();
  DotInteractionBackwardKernel<<<internal::GridSize(batch * x.dim(1), kThreads), kThreads>>>(
      batch, num_vectors, dim, dout.dim(1), x.device_data(), dout.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DotInteractionBackwardKernel");
}

}  // namespace ember::ops::cuda
