// CPU reference of ops/loss.h, accumulated in double.
#include <algorithm>
#include <cmath>

#include "ops/internal/kernels.h"

namespace ember::ops::cpu {

Status BceWithLogitsForward(const Tensor& logits, const Tensor& labels, const Tensor& weights, double* mean_loss) {
  const int64_t n = logits.numel();
  const float* z = logits.data();
  const float* y = labels.data();
  const float* w = weights.empty() ? nullptr : weights.data();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double zi = z[i];
    const double loss = std::max(zi, 0.0) - zi * y[i] + std::log1p(std::exp(-std::abs(zi)));
    total += w ? w[i] * loss : loss;
  }
  *mean_loss = total / static_cast<double>(n);
  return Status::OK();
}

Status BceWithLogitsBackward(const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits) {
  const int64_t n = logits.numel();
  const float inv_batch = 1.f / static_cast<float>(n);
  const float* z = logits.data();
  const float* y = labels.data();
  const float* w = weights.empty() ? nullptr : weights.data();
  float* dz = dlogits->data();  // may alias z
  for (int64_t i = 0; i < n; ++i) {
    const float zi = z[i];
    const float p = zi >= 0.f ? 1.f / (1.f + std::exp(-zi)) : std::exp(zi) / (1.f + std::exp(zi));
    const float g = (p - y[i]) * inv_batch;
    dz[i] = w ? w[i] * g : g;
  }
  return Status::OK();
}

Status MseForward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, double* mean_loss) {
  const int64_t n = predictions.numel();
  const float* w = weights.empty() ? nullptr : weights.data();
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double diff = static_cast<double>(predictions.data()[i]) - targets.data()[i];
    total += w ? w[i] * diff * diff : diff * diff;
  }
  *mean_loss = total / static_cast<double>(n);
  return Status::OK();
}

Status MseBackward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, Tensor* dpredictions) {
  const int64_t n = predictions.numel();
  const float scale = 2.f / static_cast<float>(n);
  const float* w = weights.empty() ? nullptr : weights.data();
  for (int64_t i = 0; i < n; ++i) {
    const float g = (predictions.data()[i] - targets.data()[i]) * scale;
    dpredictions->data()[i] = w ? w[i] * g : g;  // may alias predictions: read before the write
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
