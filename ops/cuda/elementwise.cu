// CUDA implementation of ops/bias.h, ops/activation.h, Fill and AddInto: grid-stride
// element-wise kernels and a deterministic column reduction for bias
// gradients (one block per 32 columns, no atomics).
#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kReduceRows = 8;  // blockDim.y of the column reduction

__device__ __forceinline__ float SigmoidOf(float x) {
  if (x >= 0.f) return 1.f / (1.f + expf(-x));
  const float e = expf(x);
  return e / (1.f + e);
}

__device__ __forceinline__ float Activate(int activation, float x) {
  switch (activation) {
    case static_cast<int>(Activation::kRelu):
      return fmaxf(x, 0.f);
    case static_cast<int>(Activation::kSigmoid):
      return SigmoidOf(x);
    default:
      return x;
  }
}

// Derivative expressed through the activation's output y.
__device__ __forceinline__ float ActivateGrad(int activation, float y, float g) {
  switch (activation) {
    case static_cast<int>(Activation::kRelu):
      return y > 0.f ? g : 0.f;
    case static_cast<int>(Activation::kSigmoid):
      return g * y * (1.f - y);
    default:
      return g;
  }
}

__global__ void FillKernel(long long n, float value, float* out) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    out[i] = value;
  }
}

__global__ void AddIntoKernel(long long n, const float* x, float* sum) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    sum[i] += x[i];
  }
}

__global__ void ScaleKernel(long long n, float factor, float* values) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    values[i] *= factor;
  }
}

__global__ void ActivationKernel(long long n, int activation, const float* x, float* y) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    y[i] = Activate(activation, x[i]);
  }
}

__global__ void ActivationGradKernel(long long n, int activation, const float* y, const float* dy, float* dx) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    dx[i] = ActivateGrad(activation, y[i], dy[i]);
  }
}

__global__ void BiasActivationKernel(long long n, long long cols, int activation, const float* bias, float* y) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    y[i] = Activate(activation, y[i] + bias[i % cols]);
  }
}

// dbias[j] += sum_r act'(y[r, j]) * dy[r, j]; also writes dpre when non-null.
// Block (32, kReduceRows) covers 32 columns; threads stride over the rows in a
// fixed order, so the result is deterministic. y may be null (no activation).
__global__ void ColumnGradKernel(long long rows, long long cols, int activation, const float* y, const float* dy,
                                 float* dpre, float* dbias) {
  __shared__ float partial[kReduceRows][33];
  const long long col = blockIdx.x * 32LL + threadIdx.x;
  float sum = 0.f;
  if (col < cols) {
    for (long long r = threadIdx.y; r < rows; r += kReduceRows) {
      const long long i = r * cols + col;
      const float g = y == nullptr ? dy[i] : ActivateGrad(activation, y[i], dy[i]);
      if (dpre != nullptr) dpre[i] = g;
      sum += g;
    }
  }
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y == 0 && col < cols) {
    float total = 0.f;
    for (int k = 0; k < kReduceRows; ++k) total += partial[k][threadIdx.x];
    dbias[col] += total;
  }
}

Status LaunchColumnGrad(long long rows, long long cols, int activation, const float* y, const float* dy, float* dpre,
                        float* dbias) {
  if (rows == 0 || cols == 0) return Status::OK();
  const dim3 block(32, kReduceRows);
  const dim3 grid(static_cast<unsigned int>((cols + 31) / 32));
  ColumnGradKernel<<<grid, block>>>(rows, cols, activation, y, dy, dpre, dbias);
  return internal::CudaStatus(cudaGetLastError(), "ColumnGradKernel");
}

}  // namespace

Status Fill(float value, Tensor* t) {
  const long long n = t->numel();
  if (n == 0) return Status::OK();
  RETURN_IF_ERROR(internal::SetCudaDevice(t->device().index));
  FillKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, value, t->device_data());
  return internal::CudaStatus(cudaGetLastError(), "FillKernel");
}

Status BiasAdd(const Tensor& bias, Tensor* y) { return cuda::BiasActivation(bias, Activation::kNone, y); }

Status BiasBackward(const Tensor& dy, Tensor* dbias) {
  return LaunchColumnGrad(dy.rows(), dy.cols(), static_cast<int>(Activation::kNone), nullptr, dy.device_data(), nullptr,
                          dbias->device_data());
}

Status ActivationForward(Activation activation, const Tensor& x, Tensor* y) {
  const long long n = x.numel();
  if (n == 0) return Status::OK();
  if (activation == Activation::kNone) {
    if (x.device_data() == y->device_data()) return Status::OK();
    return internal::CudaStatus(
        cudaMemcpyAsync(y->device_data(), x.device_data(), n * sizeof(float), cudaMemcpyDeviceToDevice, /*stream=*/0),
        "cudaMemcpyAsync(ActivationForward)");
  }
  ActivationKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, static_cast<int>(activation), x.device_data(),
                                                                  y->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ActivationKernel");
}

Status ActivationBackward(Activation activation, const Tensor& y, const Tensor& dy, Tensor* dx) {
  const long long n = y.numel();
  if (n == 0) return Status::OK();
  ActivationGradKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, static_cast<int>(activation), y.device_data(),
                                                                      dy.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ActivationGradKernel");
}

Status BiasActivation(const Tensor& bias, Activation activation, Tensor* y) {
  const long long n = y->numel();
  if (n == 0) return Status::OK();
  BiasActivationKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, y->cols(), static_cast<int>(activation),
                                                                      bias.device_data(), y->device_data());
  return internal::CudaStatus(cudaGetLastError(), "BiasActivationKernel");
}

Status ActivationBiasBackward(const Tensor& y, const Tensor& dy, Activation activation, Tensor* dpre, Tensor* dbias) {
  return LaunchColumnGrad(y.rows(), y.cols(), static_cast<int>(activation), y.device_data(), dy.device_data(),
                          dpre->device_data(), dbias->device_data());
}

Status AddInto(const Tensor& x, Tensor* sum) {
  const long long n = x.numel();
  AddIntoKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, x.device_data(), sum->device_data());
  return internal::CudaStatus(cudaGetLastError(), "AddIntoKernel");
}

Status Scale(float factor, Tensor* t) {
  const long long n = t->numel();
  ScaleKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, factor, t->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ScaleKernel");
}

}  // namespace ember::ops::cuda
