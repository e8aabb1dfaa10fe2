// ops/linear.h: the matrix product of a dense layer, y = x @ w, and its
// gradients (OpenBLAS sgemm on the CPU, cuBLAS on CUDA; transposes are never
// materialised).
//
// x is read as a matrix [B, in] (rows() x cols(), so a [B, F, D] tensor is
// [B, F*D]); w is [in, out]; y, dy are [B, out]. All tensors must be on one
// device. Thread-compatible: concurrent calls on disjoint outputs are safe on
// the CPU (OpenBLAS threads are set by the caller, never here).
//
//   RETURN_IF_ERROR(LinearForward(x, w, &y));
//   RETURN_IF_ERROR(LinearBackward(x, w, dy, &dx, &dw));   // dw accumulates
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// y[B,out] = x[B,in] @ w[in,out]; *y must already have that shape.
// InvalidArgument (with the shapes) on a shape or device mismatch.
Status LinearForward(const Tensor& x, const Tensor& w, Tensor* y);

// dx[B,in] = dy @ w^T (overwritten; skipped when dx == nullptr; any shape
// with B*in elements and B rows) and dw[in,out] += x^T @ dy (ACCUMULATES).
// InvalidArgument on a shape or device mismatch.
Status LinearBackward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor* dx, Tensor* dw);

}  // namespace ember::ops
