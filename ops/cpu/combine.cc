// CPU reference of ops/combine.h: every output element through the
// functions of ops/internal/combine_elements.h (the CUDA kernels call the
// same ones).
#include "ops/internal/combine_kernels.h"

namespace ember::ops::cpu {

using internal::ColumnBlock;

Status CopyColumns(const ColumnBlock& block, const Tensor& src, bool add, Tensor* dst) {
  const float* from = src.data();
  float* to = dst->data();
  for (int64_t r = 0; r < block.rows; ++r) {
    for (int64_t k = 0; k < block.width; ++k) internal::CopyColumnElement(block, from, to, add, r, k);
  }
  return Status::OK();
}

Status Multiply(const Tensor& a, const Tensor& b, Tensor* out) {
  const float* x = a.data();
  const float* y = b.data();
  float* z = out->data();
  for (int64_t i = 0; i < a.numel(); ++i) z[i] = x[i] * y[i];
  return Status::OK();
}

Status RowDot(const Tensor& a, const Tensor& b, Tensor* out) {
  const int64_t cols = a.cols();
  for (int64_t r = 0; r < a.rows(); ++r) out->data()[r] = internal::RowDotElement(a.data(), b.data(), cols, r);
  return Status::OK();
}

Status RowScale(const Tensor& x, const Tensor& scale, Tensor* out) {
  const int64_t cols = x.cols();
  for (int64_t i = 0; i < x.numel(); ++i) out->data()[i] = x.data()[i] * scale.data()[i / cols];
  return Status::OK();
}

Status AddRowSums(const Tensor& x, Tensor* out) {
  const int64_t cols = x.ndim() == 1 ? 1 : x.cols();
  for (int64_t r = 0; r < x.rows(); ++r) out->data()[r] = internal::AddRowSumElement(x.data(), cols, out->data()[r], r);
  return Status::OK();
}

Status BroadcastColumns(const Tensor& dout, Tensor* dx) {
  const int64_t cols = dx->ndim() == 1 ? 1 : dx->cols();
  for (int64_t i = 0; i < dx->numel(); ++i) dx->data()[i] = dout.data()[i / cols];
  return Status::OK();
}

}  // namespace ember::ops::cpu
