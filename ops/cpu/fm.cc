// CPU reference of ops/fm.h: per sample, per embedding column, the sum and
// the sum of squares over the fields.
#include <algorithm>
#include <vector>

#include "ops/internal/fm_kernels.h"

namespace ember::ops::cpu {

Status FmInteractionForward(const Tensor& x, int64_t num_fields, int64_t dim, Tensor* out) {
  const int64_t cols = x.dim(1);
  std::vector<float> sum(static_cast<size_t>(dim)), sum_sq(static_cast<size_t>(dim));
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * cols;
    std::fill(sum.begin(), sum.end(), 0.f);
    std::fill(sum_sq.begin(), sum_sq.end(), 0.f);
    for (int64_t f = 0; f < num_fields; ++f) {
      const float* __restrict e = row + f * dim;
      for (int64_t d = 0; d < dim; ++d) {
        sum[d] += e[d];
        sum_sq[d] += e[d] * e[d];
      }
    }
    float interaction = 0.f;
    for (int64_t d = 0; d < dim; ++d) interaction += sum[d] * sum[d] - sum_sq[d];
    out->data()[b] = 0.5f * interaction;
  }
  return Status::OK();
}

Status FmInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_fields, int64_t dim, Tensor* dx) {
  const int64_t cols = x.dim(1);
  std::vector<float> sum(static_cast<size_t>(dim));
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * cols;
    float* __restrict drow = dx->data() + b * cols;
    const float g = dout.data()[b];
    std::fill(sum.begin(), sum.end(), 0.f);
    for (int64_t f = 0; f < num_fields; ++f) {
      for (int64_t d = 0; d < dim; ++d) sum[d] += row[f * dim + d];
    }
    for (int64_t f = 0; f < num_fields; ++f) {
      for (int64_t d = 0; d < dim; ++d) drow[f * dim + d] += g * (sum[d] - row[f * dim + d]);
    }
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
