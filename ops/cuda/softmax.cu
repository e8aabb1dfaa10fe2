// CUDA implementation of ops/softmax.h: one block per row, reducing the max
// and the sum of exponentials in shared memory (a different order of float
// additions than the CPU's; results agree to rounding). The cross-entropy's
// batch sum runs in one block in a fixed order (deterministic).
#include <cfloat>

#include "ops/internal/device_memory.h"
#include "ops/internal/softmax_kernels.h"

namespace ember::ops::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T, typename Op>
__device__ T BlockReduce(T value, T* shared, Op op) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] = op(shared[threadIdx.x], shared[threadIdx.x + stride]);
    __syncthreads();
  }
  const T result = shared[0];
  __syncthreads();
  return result;
}

struct Max {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};
struct Sum {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

__device__ float AdjustedAt(const float* logits, const float* log_q, bool per_row, long long cols, long long b,
                            long long c) {
  const float z = logits[b * cols + c];
  return log_q == nullptr ? z : z - log_q[per_row ? b * cols + c : c];
}

__global__ void MaskedSoftmaxKernel(long long n, const int* lengths, const float* x, float* y) {
  __shared__ float shared[kThreads];
  const long long b = blockIdx.x;
  const long long len = lengths == nullptr ? n : lengths[b];
  const float* row = x + b * n;
  float partial = -FLT_MAX;
  for (long long i = threadIdx.x; i < len; i += blockDim.x) partial = fmaxf(partial, row[i]);
  const float max = BlockReduce(partial, shared, Max());
  float partial_sum = 0.f;
  for (long long i = threadIdx.x; i < len; i += blockDim.x) partial_sum += expf(row[i] - max);
  const float sum = BlockReduce(partial_sum, shared, Sum());
  for (long long i = threadIdx.x; i < n; i += blockDim.x) y[b * n + i] = i < len ? expf(row[i] - max) / sum : 0.f;
}

__global__ void MaskedSoftmaxBackwardKernel(long long n, const float* y, const float* dy, float* dx) {
  __shared__ float shared[kThreads];
  const long long b = blockIdx.x;
  float partial = 0.f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) partial += y[b * n + i] * dy[b * n + i];
  const float dot = BlockReduce(partial, shared, Sum());
  for (long long i = threadIdx.x; i < n; i += blockDim.x) dx[b * n + i] = y[b * n + i] * (dy[b * n + i] - dot);
}

// Per row: loss_b into row_loss[b]; with dlogits, the gradient too.
__global__ void CrossEntropyKernel(long long cols, float inv_batch, const float* logits, const float* log_q,
                                   bool per_row, const int* targets, double* row_loss, float* dlogits) {
  __shared__ float shared[kThreads];
  const long long b = blockIdx.x;
  float partial = -FLT_MAX;
  for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
    partial = fmaxf(partial, AdjustedAt(logits, log_q, per_row, cols, b, c));
  }
  const float max = BlockReduce(partial, shared, Max());
  float partial_sum = 0.f;
  for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
    partial_sum += expf(AdjustedAt(logits, log_q, per_row, cols, b, c) - max);
  }
  const float sum = BlockReduce(partial_sum, shared, Sum());
  const int target = targets[b];
  if (row_loss != nullptr && threadIdx.x == 0) {
    row_loss[b] =
        static_cast<double>(max) + log(static_cast<double>(sum)) - AdjustedAt(logits, log_q, per_row, cols, b, target);
  }
  if (dlogits != nullptr) {
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      const float p = expf(AdjustedAt(logits, log_q, per_row, cols, b, c) - max) / sum;
      dlogits[b * cols + c] = (p - (c == target ? 1.f : 0.f)) * inv_batch;
    }
  }
}

__global__ void SumRowsKernel(long long rows, const double* row_loss, double* total) {
  __shared__ double shared[kThreads];
  double partial = 0;
  for (long long b = threadIdx.x; b < rows; b += blockDim.x) partial += row_loss[b];
  const double sum = BlockReduce(partial, shared, Sum());
  if (threadIdx.x == 0) *total = sum;
}

}  // namespace

Status MaskedSoftmaxForward(const Tensor& x, const IndexTensor& lengths, Tensor* y) {
  MaskedSoftmaxKernel<<<static_cast<unsigned>(x.rows()), kThreads>>>(
      x.dim(1), lengths.numel() == 0 ? nullptr : lengths.device_data(), x.device_data(), y->device_data());
  return internal::CudaStatus(cudaGetLastError(), "MaskedSoftmaxKernel");
}

Status MaskedSoftmaxBackward(const Tensor& y, const Tensor& dy, Tensor* dx) {
  MaskedSoftmaxBackwardKernel<<<static_cast<unsigned>(y.rows()), kThreads>>>(y.dim(1), y.device_data(),
                                                                             dy.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "MaskedSoftmaxBackwardKernel");
}

Status SoftmaxCrossEntropyForward(const Tensor& logits, const Tensor& log_q, bool per_row, const IndexTensor& targets,
                                  double* mean_loss) {
  const long long rows = logits.rows();
  double* device_scratch = nullptr;  // [rows] row losses, then the total
  EMBER_CUDA_RETURN_IF_ERROR(cudaMalloc(&device_scratch, sizeof(double) * static_cast<size_t>(rows + 1)));
  CrossEntropyKernel<<<static_cast<unsigned>(rows), kThreads>>>(logits.dim(1), 0.f, logits.device_data(),
                                                                log_q.empty() ? nullptr : log_q.device_data(), per_row,
                                                                targets.device_data(), device_scratch, nullptr);
  Status status = internal::CudaStatus(cudaGetLastError(), "CrossEntropyKernel");
  if (status.ok()) {
    SumRowsKernel<<<1, kThreads>>>(rows, device_scratch, device_scratch + rows);
    status = internal::CudaStatus(cudaGetLastError(), "SumRowsKernel");
  }
  double total = 0;
  if (status.ok()) {
    status = internal::CudaStatus(cudaMemcpy(&total, device_scratch + rows, sizeof(double), cudaMemcpyDeviceToHost),
                                  "cudaMemcpy(cross-entropy total)");
  }
  cudaFree(device_scratch);
  RETURN_IF_ERROR(status);
  *mean_loss = total / static_cast<double>(rows);
  return Status::OK();
}

Status SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& log_q, bool per_row, const IndexTensor& targets,
                                   Tensor* dlogits) {
  // dlogits may alias logits: BlockReduce's barriers order every read of the
  // row for its max and sum before the first write, and after them each
  // thread reads only the elements it writes.
  CrossEntropyKernel<<<static_cast<unsigned>(logits.rows()), kThreads>>>(
      logits.dim(1), 1.f / static_cast<float>(logits.rows()), logits.device_data(),
      log_q.empty() ? nullptr : log_q.device_data(), per_row, targets.device_data(), nullptr, dlogits->device_data());
  return internal::CudaStatus(cudaGetLastError(), "CrossEntropyKernel");
}

}  // namespace ember::ops::cuda
