// CPU reference of the element-wise part of ops/cross.h: contiguous loops
// that the compiler vectorises.
#include "ops/internal/cross_kernels.h"

namespace ember::ops::cpu {

Status CrossForwardElementwise(const Tensor& x0, const Tensor& xl, const Tensor& b, Tensor* pre, Tensor* out) {
  const int64_t rows = x0.rows(), cols = x0.cols();
  const float* __restrict bias = b.data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict x0_row = x0.data() + r * cols;
    const float* __restrict xl_row = xl.data() + r * cols;
    float* __restrict pre_row = pre->data() + r * cols;
    float* __restrict out_row = out->data() + r * cols;
    for (int64_t j = 0; j < cols; ++j) {
      const float p = pre_row[j] + bias[j];
      pre_row[j] = p;
      out_row[j] = x0_row[j] * p + xl_row[j];
    }
  }
  return Status::OK();
}

Status CrossBackwardElementwise(const Tensor& x0, const Tensor& pre, const Tensor& dout, Tensor* dpre, Tensor* dx0) {
  const int64_t n = x0.numel();
  const float* __restrict x = x0.data();
  const float* __restrict p = pre.data();
  const float* __restrict g = dout.data();
  float* __restrict dp = dpre->data();
  float* __restrict dx = dx0->data();
  for (int64_t i = 0; i < n; ++i) {
    dp[i] = g[i] * x[i];
    dx[i] += g[i] * p[i];
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
