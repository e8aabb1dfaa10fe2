// CPU reference of the dense optimizer updates (ops/dense_optimizer.h), one
// contiguous pass over the flat buffers. Weight decay is L2 added to the
// gradient, as in torch.optim.
#include <cmath>

#include "ops/internal/kernels.h"

namespace ember::ops::cpu {

Status SgdStep(const DenseStepParams& p, int64_t n, float* __restrict values, const float* __restrict grads) {
  const float lr = p.learning_rate, wd = p.weight_decay;
  for (int64_t i = 0; i < n; ++i) values[i] -= lr * (grads[i] + wd * values[i]);
  return Status::OK();
}

Status AdagradStep(const DenseStepParams& p, int64_t n, float* __restrict values, const float* __restrict grads,
                   float* __restrict accumulators) {
  const float lr = p.learning_rate, wd = p.weight_decay, eps = p.epsilon;
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads[i] + wd * values[i];
    const float acc = accumulators[i] + g * g;
    accumulators[i] = acc;
    values[i] -= lr * g / (std::sqrt(acc) + eps);
  }
  return Status::OK();
}

Status AdamStep(const DenseStepParams& p, int64_t n, float* __restrict values, const float* __restrict grads,
                float* __restrict m, float* __restrict v) {
  const float lr = p.learning_rate, wd = p.weight_decay, eps = p.epsilon, b1 = p.beta1, b2 = p.beta2;
  const float step_size = lr / p.bias_correction1;
  const float inv_sqrt_bc2 = 1.f / std::sqrt(p.bias_correction2);
  for (int64_t i = 0; i < n; ++i) {
    const float g = grads[i] + wd * values[i];
    const float mi = b1 * m[i] + (1.f - b1) * g;
    const float vi = b2 * v[i] + (1.f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    values[i] -= step_size * mi / (std::sqrt(vi) * inv_sqrt_bc2 + eps);
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
