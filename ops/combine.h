// ops/combine.h: the ops a model wires its layers together with: column
// blocks of row-major matrices copied or added into another matrix, the
// element-wise product of two matrices, row-wise dot products and row sums,
// each with its gradient (a copy's gradient is the copy the other way).
// They replace the host loops a model would otherwise run over its
// tensors, so the same model code runs on the CPU and on a CUDA device.
//
//   x   [B, C]  a matrix; "columns [c, c + w)" is the block of w columns
//               from c in every row
//
// Both devices compute every output element by the same function
// (ops/internal/combine_elements.h), in the same order, with no atomics:
// the results are deterministic and the same on the CPU and CUDA up to the
// contraction of a*b+c into fused multiply-adds. All tensors on one device.
// Thread-compatible.
//
//   // the deep input of DLRM's top MLP: the bottom output, then the pairs
//   RETURN_IF_ERROR(CopyColumns(bottom_out, 0, dim, &top_input, 0));
//   RETURN_IF_ERROR(CopyColumns(pairs, 0, num_pairs, &top_input, dim));
//   // and back: the bottom output's gradient from both of its paths
//   RETURN_IF_ERROR(CopyColumns(dtop_input, 0, dim, &dbottom_out, 0));
//   RETURN_IF_ERROR(AddColumns(dvectors, 0, dim, &dbottom_out, 0));
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// dst[b, dst_col + k] = src[b, src_col + k] for k < width and every row b;
// the other columns of *dst are untouched. InvalidArgument unless src and
// dst are matrices ([B, *], 1-D counts as [B, 1]) with the same rows, both
// blocks lie inside their matrix, and both are on one device. src and dst
// must not be the same tensor.
Status CopyColumns(const Tensor& src, int64_t src_col, int64_t width, Tensor* dst, int64_t dst_col);
// As CopyColumns, but dst[b, dst_col + k] += src[b, src_col + k] (a gradient
// reaching a block by a second path).
Status AddColumns(const Tensor& src, int64_t src_col, int64_t width, Tensor* dst, int64_t dst_col);

// out = a * b element-wise. InvalidArgument unless the three have one shape
// and one device.
Status Multiply(const Tensor& a, const Tensor& b, Tensor* out);
// da = dout * b and db = dout * a (both overwritten; either may be null).
Status MultiplyBackward(const Tensor& a, const Tensor& b, const Tensor& dout, Tensor* da, Tensor* db);

// out[r] = sum_k a[r, k] * b[r, k]: a, b [R, K], out [R, 1] (or [R]).
Status RowDot(const Tensor& a, const Tensor& b, Tensor* out);
// da[r, k] = dout[r] * b[r, k] and db[r, k] = dout[r] * a[r, k] (overwritten;
// either may be null).
Status RowDotBackward(const Tensor& a, const Tensor& b, const Tensor& dout, Tensor* da, Tensor* db);

// out[r] += x[r, 0] + ... + x[r, K-1], added to out[r] one by one in k
// order: x [R, K], out [R, 1] (or [R]). ACCUMULATES, so a logit can collect
// several parts.
Status AddRowSums(const Tensor& x, Tensor* out);
// dx[r, k] = dout[r] for every k (overwritten): the gradient of AddRowSums.
Status BroadcastColumns(const Tensor& dout, Tensor* dx);

}  // namespace ember::ops
