// CUDA implementation of the element-wise part of ops/cross.h: grid-stride
// kernels, one pass over the [B, d] matrices each, no atomics (deterministic).
#include "ops/internal/cross_kernels.h"
#include "ops/internal/device_memory.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void CrossForwardKernel(long long n, long long cols, const float* x0, const float* xl, const float* b,
                                   float* pre, float* out) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float p = pre[i] + b[i % cols];
    pre[i] = p;
    out[i] = x0[i] * p + xl[i];
  }
}

__global__ void CrossBackwardKernel(long long n, const float* x0, const float* pre, const float* dout, float* dpre,
                                    float* dx0) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float g = dout[i];
    dpre[i] = g * x0[i];
    dx0[i] += g * pre[i];
  }
}

}  // namespace

Status CrossForwardElementwise(const Tensor& x0, const Tensor& xl, const Tensor& b, Tensor* pre, Tensor* out) {
  const long long n = x0.numel();
  if (n == 0) return Status::OK();
  CrossForwardKernel<<<internal::GridSize(n, kThreads), kThreads>>>(
      n, x0.cols(), x0.device_data(), xl.device_data(), b.device_data(), pre->device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "CrossForwardKernel");
}

Status CrossBackwardElementwise(const Tensor& x0, const Tensor& pre, const Tensor& dout, Tensor* dpre, Tensor* dx0) {
  const long long n = x0.numel();
  if (n == 0) return Status::OK();
  CrossBackwardKernel<<<internal::GridSize(n, kThreads), kThreads>>>(
      n, x0.device_data(), pre.device_data(), dout.device_data(), dpre->device_data(), dx0->device_data());
  return internal::CudaStatus(cudaGetLastError(), "CrossBackwardKernel");
}

}  // namespace ember::ops::cuda
