// CPU reference of ops/prelu.h. Dice's statistics and sums run over the rows
// of one column, in row order.
#include <cmath>

#include "ops/internal/prelu_kernels.h"

namespace ember::ops::cpu {
namespace {

float Sigmoid(float z) { return z >= 0.f ? 1.f / (1.f + std::exp(-z)) : std::exp(z) / (1.f + std::exp(z)); }

}  // namespace

Status PreluForward(const Tensor& x, const Tensor& alpha, Tensor* y) {
  const int64_t n = x.dim(1);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data()[i];
    y->data()[i] = v > 0.f ? v : alpha.data()[i % n] * v;
  }
  return Status::OK();
}

Status PreluBackward(const Tensor& x, const Tensor& alpha, const Tensor& dy, Tensor* dx, Tensor* dalpha) {
  const int64_t n = x.dim(1);
  for (int64_t c = 0; c < n; ++c) {
    float sum = 0.f;
    for (int64_t b = 0; b < x.rows(); ++b) {
      const int64_t i = b * n + c;
      const float v = x.data()[i], up = dy.data()[i];
      if (v > 0.f) {
        dx->data()[i] = up;
      } else {
        dx->data()[i] = up * alpha.data()[c];
        sum += up * v;
      }
    }
    dalpha->data()[c] += sum;
  }
  return Status::OK();
}

Status DiceForward(const Tensor& x, const Tensor& alpha, float epsilon, bool batch_stats, Tensor* mean, Tensor* rstd,
                   Tensor* y) {
  const int64_t n = x.dim(1), rows = x.rows();
  for (int64_t c = 0; c < n; ++c) {
    if (batch_stats) {
      float sum = 0.f;
      for (int64_t b = 0; b < rows; ++b) sum += x.data()[b * n + c];
      const float mu = sum / static_cast<float>(rows);
      float sum_sq = 0.f;
      for (int64_t b = 0; b < rows; ++b) sum_sq += (x.data()[b * n + c] - mu) * (x.data()[b * n + c] - mu);
      mean->data()[c] = mu;
      rstd->data()[c] = 1.f / std::sqrt(sum_sq / static_cast<float>(rows) + epsilon);
    }
    const float mu = mean->data()[c], r = rstd->data()[c], a = alpha.data()[c];
    for (int64_t b = 0; b < rows; ++b) {
      const float v = x.data()[b * n + c];
      const float p = Sigmoid((v - mu) * r);
      y->data()[b * n + c] = v * (a + p * (1.f - a));
    }
  }
  return Status::OK();
}

Status DiceBackward(const Tensor& x, const Tensor& alpha, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                    Tensor* dx, Tensor* dalpha) {
  const int64_t n = x.dim(1), rows = x.rows();
  const float inv_rows = 1.f / static_cast<float>(rows);
  for (int64_t c = 0; c < n; ++c) {
    const float mu = mean.data()[c], r = rstd.data()[c], a = alpha.data()[c];
    // g: the gradient with respect to xhat = (x - mu) * r.
    float sum_g = 0.f, sum_g_xhat = 0.f, sum_dalpha = 0.f;
    for (int64_t b = 0; b < rows; ++b) {
      const int64_t i = b * n + c;
      const float v = x.data()[i], up = dy.data()[i], xhat = (v - mu) * r;
      const float p = Sigmoid(xhat);
      const float g = up * v * (1.f - a) * p * (1.f - p);
      sum_g += g;
      sum_g_xhat += g * xhat;
      sum_dalpha += up * v * (1.f - p);
    }
    const float mean_g = sum_g * inv_rows, mean_g_xhat = sum_g_xhat * inv_rows;
    for (int64_t b = 0; b < rows; ++b) {
      const int64_t i = b * n + c;
      const float v = x.data()[i], up = dy.data()[i], xhat = (v - mu) * r;
      const float p = Sigmoid(xhat);
      const float g = up * v * (1.f - a) * p * (1.f - p);
      dx->data()[i] = up * (a + p * (1.f - a)) + r * (g - mean_g - xhat * mean_g_xhat);
    }
    dalpha->data()[c] += sum_dalpha;
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
