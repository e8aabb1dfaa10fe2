// CUDA implementation of ops/combine.h: one thread per output element,
// computed by the same functions as the CPU
// (ops/internal/combine_elements.h). No atomics.
#include "ops/internal/combine_kernels.h"
#include "ops/internal/device_memory.h"

namespace ember::ops::cuda {
namespace {

using internal::ColumnBlock;

constexpr int kThreads = 256;

#define EMBER_FOR_EACH_ELEMENT(i, n)                                                         \
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<long long>(gridDim.x) * blockDim.x)

__global__ void CopyColumnsKernel(ColumnBlock block, const float* src, bool add, float* dst) {
  EMBER_FOR_EACH_ELEMENT(i, block.rows * block.width) {
    internal::CopyColumnElement(block, src, dst, add, i / block.width, i % block.width);
  }
}

__global__ void MultiplyKernel(long long n, const float* a, const float* b, float* out) {
  EMBER_FOR_EACH_ELEMENT(i, n) { out[i] = a[i] * b[i]; }
}

__global__ void RowDotKernel(long long rows, long long cols, const float* a, const float* b, float* out) {
  EMBER_FOR_EACH_ELEMENT(r, rows) { out[r] = internal::RowDotElement(a, b, cols, r); }
}

__global__ void RowScaleKernel(long long n, long long cols, const float* x, const float* scale, float* out) {
  EMBER_FOR_EACH_ELEMENT(i, n) { out[i] = x[i] * scale[i / cols]; }
}

__global__ void AddRowSumsKernel(long long rows, long long cols, const float* x, float* out) {
  EMBER_FOR_EACH_ELEMENT(r, rows) { out[r] = internal::AddRowSumElement(x, cols, out[r], r); }
}

__global__ void BroadcastColumnsKernel(long long n, long long cols, const float* dout, float* dx) {
  EMBER_FOR_EACH_ELEMENT(i, n) { dx[i] = dout[i / cols]; }
}

long long MatrixCols(const Tensor& t) { return t.ndim() == 1 ? 1 : t.cols(); }

}  // namespace

Status CopyColumns(const ColumnBlock& block, const Tensor& src, bool add, Tensor* dst) {
  CopyColumnsKernel<<<internal::GridSize(block.rows * block.width, kThreads), kThreads>>>(block, src.device_data(), add,
                                                                                          dst->device_data());
  return internal::CudaStatus(cudaGetLastError(), "CopyColumnsKernel");
}

Status Multiply(const Tensor& a, const Tensor& b, Tensor* out) {
  const long long n = a.numel();
  MultiplyKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, a.device_data(), b.device_data(),
                                                                out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "MultiplyKernel");
}

Status RowDot(const Tensor& a, const Tensor& b, Tensor* out) {
  RowDotKernel<<<internal::GridSize(a.rows(), kThreads), kThreads>>>(a.rows(), MatrixCols(a), a.device_data(),
                                                                     b.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "RowDotKernel");
}

Status RowScale(const Tensor& x, const Tensor& scale, Tensor* out) {
  const long long n = x.numel();
  RowScaleKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, MatrixCols(x), x.device_data(), scale.device_data(),
                                                                out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "RowScaleKernel");
}

Status AddRowSums(const Tensor& x, Tensor* out) {
  AddRowSumsKernel<<<internal::GridSize(x.rows(), kThreads), kThreads>>>(x.rows(), MatrixCols(x), x.device_data(),
                                                                         out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "AddRowSumsKernel");
}

Status BroadcastColumns(const Tensor& dout, Tensor* dx) {
  const long long n = dx->numel();
  BroadcastColumnsKernel<<<internal::GridSize(n, kThreads), kThreads>>>(n, MatrixCols(*dx), dout.device_data(),
                                                                        dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "BroadcastColumnsKernel");
}

}  // namespace ember::ops::cuda
