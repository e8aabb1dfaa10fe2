// CPU reference of ops/layer_norm.h: one pass per row for the statistics,
// one for the output; the backward's parameter gradients are summed over the
// rows in row order.
#include <cmath>

#include "ops/internal/layer_norm_kernels.h"

namespace ember::ops::cpu {

Status LayerNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon, Tensor* y,
                        Tensor* mean, Tensor* rstd) {
  const int64_t n = x.dim(1);
  const float inv_n = 1.f / static_cast<float>(n);
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * n;
    float sum = 0.f;
    for (int64_t i = 0; i < n; ++i) sum += row[i];
    const float mu = sum * inv_n;
    float sum_sq = 0.f;
    for (int64_t i = 0; i < n; ++i) sum_sq += (row[i] - mu) * (row[i] - mu);
    const float r = 1.f / std::sqrt(sum_sq * inv_n + epsilon);
    float* __restrict out = y->data() + b * n;
    for (int64_t i = 0; i < n; ++i) out[i] = (row[i] - mu) * r * gamma.data()[i] + beta.data()[i];
    mean->data()[b] = mu;
    rstd->data()[b] = r;
  }
  return Status::OK();
}

Status LayerNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                         Tensor* dx, Tensor* dgamma, Tensor* dbeta) {
  const int64_t n = x.dim(1);
  const float inv_n = 1.f / static_cast<float>(n);
  for (int64_t b = 0; b < x.rows(); ++b) {
    const float* __restrict row = x.data() + b * n;
    const float* __restrict up = dy.data() + b * n;
    const float mu = mean.data()[b], r = rstd.data()[b];
    float sum_g = 0.f, sum_g_xhat = 0.f;
    for (int64_t i = 0; i < n; ++i) {
      const float g = up[i] * gamma.data()[i];
      sum_g += g;
      sum_g_xhat += g * (row[i] - mu) * r;
    }
    const float mean_g = sum_g * inv_n, mean_g_xhat = sum_g_xhat * inv_n;
    float* __restrict down = dx->data() + b * n;
    for (int64_t i = 0; i < n; ++i) {
      const float xhat = (row[i] - mu) * r;
      down[i] = r * (up[i] * gamma.data()[i] - mean_g - xhat * mean_g_xhat);
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    float sum_dy_xhat = 0.f, sum_dy = 0.f;
    for (int64_t b = 0; b < x.rows(); ++b) {
      const float up = dy.data()[b * n + i];
      sum_dy_xhat += up * (x.data()[b * n + i] - mean.data()[b]) * rstd.data()[b];
      sum_dy += up;
    }
    dgamma->data()[i] += sum_dy_xhat;
    dbeta->data()[i] += sum_dy;
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
