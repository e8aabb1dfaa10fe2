// CUDA implementation of ops/loss.h. The forward reduction runs in one block
// in a fixed order (deterministic) and accumulates in double.
#include <vector>

#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kReduceThreads = 512;

// The per-sample losses, in double.
struct BceLoss {
  __device__ double operator()(double z, double y) const { return fmax(z, 0.0) - z * y + log1p(exp(-fabs(z))); }
};
struct SquaredError {
  __device__ double operator()(double p, double y) const { return (p - y) * (p - y); }
};

template <typename Loss>
__global__ void LossKernel(long long n, const float* z, const float* y, const float* w, double* total) {
  __shared__ double partial[kReduceThreads];
  double sum = 0;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) {
    const double loss = Loss()(z[i], y[i]);
    sum += w == nullptr ? loss : w[i] * loss;
  }
  partial[threadIdx.x] = sum;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) *total = partial[0];
}

__global__ void MseGradKernel(long long n, float scale, const float* p, const float* y, const float* w, float* dp) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float g = (p[i] - y[i]) * scale;
    dp[i] = w == nullptr ? g : w[i] * g;
  }
}

__global__ void BceGradKernel(long long n, float inv_batch, const float* z, const float* y, const float* w, float* dz) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const float zi = z[i];
    const float p = zi >= 0.f ? 1.f / (1.f + expf(-zi)) : expf(zi) / (1.f + expf(zi));
    const float g = (p - y[i]) * inv_batch;
    dz[i] = w == nullptr ? g : w[i] * g;
  }
}

// One double of device scratch per host thread and device.
StatusOr<double*> Scratch() {
  struct Cache {
    std::vector<double*> buffers;
    ~Cache() {
      for (double* p : buffers) {
        if (p != nullptr) cudaFree(p);
      }
    }
  };
  thread_local Cache cache;
  int device = 0;
  EMBER_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  if (cache.buffers.size() <= static_cast<size_t>(device)) cache.buffers.resize(static_cast<size_t>(device) + 1);
  double*& buffer = cache.buffers[static_cast<size_t>(device)];
  if (buffer == nullptr) EMBER_CUDA_RETURN_IF_ERROR(cudaMalloc(&buffer, sizeof(double)));
  return buffer;
}

// *mean_loss = the weighted sum of Loss over the samples / n.
template <typename Loss>
Status MeanLoss(const char* kernel, const Tensor& z, const Tensor& y, const Tensor& weights, double* mean_loss) {
  const long long n = z.numel();
  ASSIGN_OR_RETURN(double* total, Scratch());
  LossKernel<Loss><<<1, kReduceThreads>>>(n, z.device_data(), y.device_data(),
                                          weights.empty() ? nullptr : weights.device_data(), total);
  RETURN_IF_ERROR(internal::CudaStatus(cudaGetLastError(), kernel));
  double host_total = 0;
  EMBER_CUDA_RETURN_IF_ERROR(cudaMemcpy(&host_total, total, sizeof(double), cudaMemcpyDeviceToHost));
  *mean_loss = host_total / static_cast<double>(n);
  return Status::OK();
}

}  // namespace

Status BceWithLogitsForward(const Tensor& logits, const Tensor& labels, const Tensor& weights, double* mean_loss) {
  return MeanLoss<BceLoss>("BceLossKernel", logits, labels, weights, mean_loss);
}

Status MseForward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, double* mean_loss) {
  return MeanLoss<SquaredError>("MseLossKernel", predictions, targets, weights, mean_loss);
}

Status MseBackward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, Tensor* dpredictions) {
  const long long n = predictions.numel();
  constexpr int kThreads = 256;
  MseGradKernel<<<internal::GridSize(n, kThreads), kThreads>>>(
      n, 2.f / static_cast<float>(n), predictions.device_data(), targets.device_data(),
      weights.empty() ? nullptr : weights.device_data(), dpredictions->device_data());
  return internal::CudaStatus(cudaGetLastError(), "MseGradKernel");
}

Status BceWithLogitsBackward(const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits) {
  const long long n = logits.numel();
  constexpr int kThreads = 256;
  BceGradKernel<<<internal::GridSize(n, kThreads), kThreads>>>(
      n, 1.f / static_cast<float>(n), logits.device_data(), labels.device_data(),
      weights.empty() ? nullptr : weights.device_data(), dlogits->device_data());
  return internal::CudaStatus(cudaGetLastError(), "BceGradKernel");
}

}  // namespace ember::ops::cuda
