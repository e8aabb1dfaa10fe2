// CUDA implementation of ops/dropout.h: one thread per element, the same
// hash as the CPU, so the masks are identical.
#include "ops/internal/device_memory.h"
#include "ops/internal/dropout_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void DropoutForwardKernel(long long n, float rate, float scale, unsigned long long seed, const float* x,
                                     float* y, float* mask) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float m = DropoutUniform(seed, static_cast<unsigned long long>(i)) >= rate ? scale : 0.f;
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

__global__ void DropoutBackwardKernel(long long n, const float* dy, const float* mask, float* dx) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    dx[i] = dy[i] * mask[i];
  }
}

}  // namespace

Status DropoutForward(const Tensor& x, float rate, uint64_t seed, Tensor* y, Tensor* mask) {
  DropoutForwardKernel<<<internal::GridSize(x.numel(), kThreads), kThreads>>>(
      x.numel(), rate, 1.f / (1.f - rate), seed, x.device_data(), y->device_data(), mask->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DropoutForwardKernel");
}

Status DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  DropoutBackwardKernel<<<internal::GridSize(dy.numel(), kThreads), kThreads>>>(dy.numel(), dy.device_data(),
                                                                                mask.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DropoutBackwardKernel");
}

}  // namespace ember::ops::cuda
