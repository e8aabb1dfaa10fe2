// CPU reference of ops/dot_interaction.h: per sample, the dot product of
// every pair i > j; the backward sums over j != i in increasing j.
#include "ops/internal/dot_interaction_kernels.h"

namespace ember::ops::cpu {

Status DotInteractionForward(const Tensor& x, int64_t num_vectors, int64_t dim, Tensor* out) {
  const int64_t cols = x.dim(1), pairs = out->dim(1);
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * cols;
    float* __restrict out_row = out->data() + b * pairs;
    for (int64_t i = 1; i < num_vectors; ++i) {
      const float* __restrict vi = row + i * dim;
      for (int64_t j = 0; j < i; ++j) {
        const float* __restrict vj = row + j * dim;
        float dot = 0.f;
        for (int64_t d = 0; d < dim; ++d) dot += vi[d] * vj[d];
        out_row[i * (i - 1) / 2 + j] = dot;
      }
    }
  }
  return Status::OK();
}

Status DotInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_vectors, int64_t dim, Tensor* dx) {
  const int64_t cols = x.dim(1), pairs = dout.dim(1);
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * cols;
    const float* __restrict g = dout.data() + b * pairs;
    float* __restrict drow = dx->data() + b * cols;
    for (int64_t i = 0; i < num_vectors; ++i) {
      float* __restrict dvi = drow + i * dim;
      for (int64_t d = 0; d < dim; ++d) dvi[d] = 0.f;
      for (int64_t j = 0; j < num_vectors; ++j) {
        if (j == i) continue;
        const float gij = i > j ? g[i * (i - 1) / 2 + j] : g[j * (j - 1) / 2 + i];
        const float* __restrict vj = row + j * dim;
        for (int64_t d = 0; d < dim; ++d) dvi[d] += gij * vj[d];
      }
    }
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
