// ops/internal/combine_elements.h: one output element of each op of
// ops/combine.h. The CPU reference loops over the elements and each CUDA
// thread computes one, so both devices do the same arithmetic in the same
// order. Private to ops/.
#pragma once

#include <cstdint>

#include "ops/internal/host_device.h"

namespace ember::ops::internal {

// The geometry of a column-block copy: row r, column k of the block.
struct ColumnBlock {
  int64_t rows, width, src_cols, src_col, dst_cols, dst_col;
};

EMBER_HOST_DEVICE inline void CopyColumnElement(const ColumnBlock& g, const float* src, float* dst, bool add, int64_t r,
                                                int64_t k) {
  const float v = src[r * g.src_cols + g.src_col + k];
  float* out = dst + r * g.dst_cols + g.dst_col + k;
  *out = add ? *out + v : v;
}

// sum_k a[r, k] * b[r, k] in k order.
EMBER_HOST_DEVICE inline float RowDotElement(const float* a, const float* b, int64_t cols, int64_t r) {
  float sum = 0.f;
  for (int64_t k = 0; k < cols; ++k) sum += a[r * cols + k] * b[r * cols + k];
  return sum;
}

// out[r] + x[r, 0] + x[r, 1] + ..., added in that order.
EMBER_HOST_DEVICE inline float AddRowSumElement(const float* x, int64_t cols, float out, int64_t r) {
  float sum = out;
  for (int64_t k = 0; k < cols; ++k) sum += x[r * cols + k];
  return sum;
}

}  // namespace ember::ops::internal
