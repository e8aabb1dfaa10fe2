// CUDA implementation of ops/layer_norm.h. Forward and the input gradient:
// one block per row, its threads striding over the columns and reducing in
// shared memory (a different order of float additions than the CPU's, so
// results agree to rounding). Parameter gradients: one thread per column,
// summing over the rows in row order. No atomics: deterministic.
#include "ops/internal/device_memory.h"
#include "ops/internal/layer_norm_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

// The sum of `value` over the block (every thread gets it).
__device__ float BlockSum(float value, float* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  const float sum = shared[0];
  __syncthreads();
  return sum;
}

__global__ void LayerNormForwardKernel(long long n, float epsilon, const float* x, const float* gamma,
                                       const float* beta, float* y, float* mean, float* rstd) {
  __shared__ float shared[kThreads];
  const long long b = blockIdx.x;
  const float* row = x + b * n;
  float partial = 0.f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) partial += row[i];
  const float mu = BlockSum(partial, shared) / static_cast<float>(n);
  partial = 0.f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) partial += (row[i] - mu) * (row[i] - mu);
  const float r = rsqrtf(BlockSum(partial, shared) / static_cast<float>(n) + epsilon);
  for (long long i = threadIdx.x; i < n; i += blockDim.x) y[b * n + i] = (row[i] - mu) * r * gamma[i] + beta[i];
  if (threadIdx.x == 0) {
    mean[b] = mu;
    rstd[b] = r;
  }
}

__global__ void LayerNormInputGradKernel(long long n, const float* x, const float* gamma, const float* mean,
                                         const float* rstd, const float* dy, float* dx) {
  __shared__ float shared[kThreads];
  const long long b = blockIdx.x;
  const float mu = mean[b], r = rstd[b];
  float partial_g = 0.f, partial_g_xhat = 0.f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) {
    const float g = dy[b * n + i] * gamma[i];
    partial_g += g;
    partial_g_xhat += g * (x[b * n + i] - mu) * r;
  }
  const float mean_g = BlockSum(partial_g, shared) / static_cast<float>(n);
  const float mean_g_xhat = BlockSum(partial_g_xhat, shared) / static_cast<float>(n);
  for (long long i = threadIdx.x; i < n; i += blockDim.x) {
    const float xhat = (x[b * n + i] - mu) * r;
    dx[b * n + i] = r * (dy[b * n + i] * gamma[i] - mean_g - xhat * mean_g_xhat);
  }
}

__global__ void LayerNormParamGradKernel(long long rows, long long n, const float* x, const float* mean,
                                         const float* rstd, const float* dy, float* dgamma, float* dbeta) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    float sum_dy_xhat = 0.f, sum_dy = 0.f;
    for (long long b = 0; b < rows; ++b) {
      const float up = dy[b * n + i];
      sum_dy_xhat += up * (x[b * n + i] - mean[b]) * rstd[b];
      sum_dy += up;
    }
    dgamma[i] += sum_dy_xhat;
    dbeta[i] += sum_dy;
  }
}

}  // namespace

Status LayerNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon, Tensor* y,
                        Tensor* mean, Tensor* rstd) {
  LayerNormForwardKernel<<<static_cast<unsigned>(x.rows()), kThreads>>>(
      x.dim(1), epsilon, x.device_data(), gamma.device_data(), beta.device_data(), y->device_data(),
      mean->device_data(), rstd->device_data());
  return internal::CudaStatus(cudaGetLastError(), "LayerNormForwardKernel");
}

Status LayerNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                         Tensor* dx, Tensor* dgamma, Tensor* dbeta) {
  LayerNormInputGradKernel<<<static_cast<unsigned>(x.rows()), kThreads>>>(
      x.dim(1), x.device_data(), gamma.device_data(), mean.device_data(), rstd.device_data(), dy.device_data(),
      dx->device_data());
  RETURN_IF_ERROR(internal::CudaStatus(cudaGetLastError(), "LayerNormInputGradKernel"));
  LayerNormParamGradKernel<<<internal::GridSize(x.dim(1), kThreads), kThreads>>>(
      x.rows(), x.dim(1), x.device_data(), mean.device_data(), rstd.device_data(), dy.device_data(),
      dgamma->device_data(), dbeta->device_data());
  return internal::CudaStatus(cudaGetLastError(), "LayerNormParamGradKernel");
}

}  // namespace ember::ops::cuda
