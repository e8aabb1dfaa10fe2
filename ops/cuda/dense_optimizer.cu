// CUDA implementation of the dense optimizer updates; the same arithmetic as
// ops/cpu/dense_optimizer.cc, one grid-stride pass.
#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void SgdKernel(DenseStepParams p, long long n, float* values, const float* grads) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    values[i] -= p.learning_rate * (grads[i] + p.weight_decay * values[i]);
  }
}

__global__ void AdagradKernel(DenseStepParams p, long long n, float* values, const float* grads, float* acc) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float g = grads[i] + p.weight_decay * values[i];
    const float a = acc[i] + g * g;
    acc[i] = a;
    values[i] -= p.learning_rate * g / (sqrtf(a) + p.epsilon);
  }
}

__global__ void AdamKernel(DenseStepParams p, long long n, float* values, const float* grads, float* m, float* v) {
  const float step_size = p.learning_rate / p.bias_correction1;
  const float inv_sqrt_bc2 = 1.f / sqrtf(p.bias_correction2);
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float g = grads[i] + p.weight_decay * values[i];
    const float mi = p.beta1 * m[i] + (1.f - p.beta1) * g;
    const float vi = p.beta2 * v[i] + (1.f - p.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    values[i] -= step_size * mi / (sqrtf(vi) * inv_sqrt_bc2 + p.epsilon);
  }
}

}  // namespace

Status SgdStep(const DenseStepParams& p, int64_t n, float* values, const float* grads) {
  SgdKernel<<<internal::GridSize(n, kThreads), kThreads>>>(p, n, values, grads);
  return internal::CudaStatus(cudaGetLastError(), "SgdKernel");
}

Status AdagradStep(const DenseStepParams& p, int64_t n, float* values, const float* grads, float* accumulators) {
  AdagradKernel<<<internal::GridSize(n, kThreads), kThreads>>>(p, n, values, grads, accumulators);
  return internal::CudaStatus(cudaGetLastError(), "AdagradKernel");
}

Status AdamStep(const DenseStepParams& p, int64_t n, float* values, const float* grads, float* m, float* v) {
  AdamKernel<<<internal::GridSize(n, kThreads), kThreads>>>(p, n, values, grads, m, v);
  return internal::CudaStatus(cudaGetLastError(), "AdamKernel");
}

}  // namespace ember::ops::cuda
