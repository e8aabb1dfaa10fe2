// CUDA implementation of ops/prelu.h. PReLU forward: one thread per element.
// Every per-column computation (PReLU's dalpha, Dice's statistics, forward
// and backward): one thread per column, looping over the rows in row order
// like the CPU. No atomics: deterministic.
#include "ops/internal/device_memory.h"
#include "ops/internal/prelu_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

__device__ float SigmoidOf(float z) { return z >= 0.f ? 1.f / (1.f + expf(-z)) : expf(z) / (1.f + expf(z)); }

__global__ void PreluForwardKernel(long long total, long long n, const float* x, const float* alpha, float* y) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float v = x[i];
    y[i] = v > 0.f ? v : alpha[i % n] * v;
  }
}

__global__ void PreluBackwardKernel(long long rows, long long n, const float* x, const float* alpha, const float* dy,
                                    float* dx, float* dalpha) {
  for (long long c = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<long long>(gridDim.x) * blockDim.x) {
    float sum = 0.f;
    for (long long b = 0; b < rows; ++b) {
      const long long i = b * n + c;
      const float v = x[i], up = dy[i];
      if (v > 0.f) {
        dx[i] = up;
      } else {
        dx[i] = up * alpha[c];
        sum += up * v;
      }
    }
    dalpha[c] += sum;
  }
}

__global__ void DiceForwardKernel(long long rows, long long n, float epsilon, bool batch_stats, const float* x,
                                  const float* alpha, float* mean, float* rstd, float* y) {
  for (long long c = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<long long>(gridDim.x) * blockDim.x) {
    if (batch_stats) {
      float sum = 0.f;
      for (long long b = 0; b < rows; ++b) sum += x[b * n + c];
      const float mu = sum / static_cast<float>(rows);
      float sum_sq = 0.f;
      for (long long b = 0; b < rows; ++b) sum_sq += (x[b * n + c] - mu) * (x[b * n + c] - mu);
      mean[c] = mu;
      rstd[c] = 1.f / sqrtf(sum_sq / static_cast<float>(rows) + epsilon);
    }
    const float mu = mean[c], r = rstd[c], a = alpha[c];
    for (long long b = 0; b < rows; ++b) {
      const float v = x[b * n + c];
      const float p = SigmoidOf((v - mu) * r);
      y[b * n + c] = v * (a + p * (1.f - a));
    }
  }
}

__global__ void DiceBackwardKernel(long long rows, long long n, const float* x, const float* alpha, const float* mean,
                                   const float* rstd, const float* dy, float* dx, float* dalpha) {
  const float inv_rows = 1.f / static_cast<float>(rows);
  for (long long c = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; c < n;
       c += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float mu = mean[c], r = rstd[c], a = alpha[c];
    float sum_g = 0.f, sum_g_xhat = 0.f, sum_dalpha = 0.f;
    for (long long b = 0; b < rows; ++b) {
      const long long i = b * n + c;
      const float v = x[i], up = dy[i], xhat = (v - mu) * r;
      const float p = SigmoidOf(xhat);
      const float g = up * v * (1.f - a) * p * (1.f - p);
      sum_g += g;
      sum_g_xhat += g * xhat;
      sum_dalpha += up * v * (1.f - p);
    }
    const float mean_g = sum_g * inv_rows, mean_g_xhat = sum_g_xhat * inv_rows;
    for (long long b = 0; b < rows; ++b) {
      const long long i = b * n + c;
      const float v = x[i], up = dy[i], xhat = (v - mu) * r;
      const float p = SigmoidOf(xhat);
      const float g = up * v * (1.f - a) * p * (1.f - p);
      dx[i] = up * (a + p * (1.f - a)) + r * (g - mean_g - xhat * mean_g_xhat);
    }
    dalpha[c] += sum_dalpha;
  }
}

}  // namespace

Status PreluForward(const Tensor& x, const Tensor& alpha, Tensor* y) {
  PreluForwardKernel<<<internal::GridSize(x.numel(), kThreads), kThreads>>>(x.numel(), x.dim(1), x.device_data(),
                                                                            alpha.device_data(), y->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PreluForwardKernel");
}

Status PreluBackward(const Tensor& x, const Tensor& alpha, const Tensor& dy, Tensor* dx, Tensor* dalpha) {
  PreluBackwardKernel<<<internal::GridSize(x.dim(1), kThreads), kThreads>>>(x.rows(), x.dim(1), x.device_data(),
                                                                            alpha.device_data(), dy.device_data(),
                                                                            dx->device_data(), dalpha->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PreluBackwardKernel");
}

Status DiceForward(const Tensor& x, const Tensor& alpha, float epsilon, bool batch_stats, Tensor* mean, Tensor* rstd,
                   Tensor* y) {
  DiceForwardKernel<<<internal::GridSize(x.dim(1), kThreads), kThreads>>>(
      x.rows(), x.dim(1), epsilon, batch_stats, x.device_data(), alpha.device_data(), mean->device_data(),
      rstd->device_data(), y->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DiceForwardKernel");
}

Status DiceBackward(const Tensor& x, const Tensor& alpha, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                    Tensor* dx, Tensor* dalpha) {
  DiceBackwardKernel<<<internal::GridSize(x.dim(1), kThreads), kThreads>>>(
      x.rows(), x.dim(1), x.device_data(), alpha.device_data(), mean.device_data(), rstd.device_data(),
      dy.device_data(), dx->device_data(), dalpha->device_data());
  return internal::CudaStatus(cudaGetLastError(), "DiceBackwardKernel");
}

}  // namespace ember::ops::cuda
