// CPU reference of ops/dropout.h.
#include "ops/internal/dropout_kernels.h"

namespace ember::ops::cpu {

Status DropoutForward(const Tensor& x, float rate, uint64_t seed, Tensor* y, Tensor* mask) {
  const float scale = 1.f / (1.f - rate);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float m = DropoutUniform(seed, static_cast<uint64_t>(i)) >= rate ? scale : 0.f;
    mask->data()[i] = m;
    y->data()[i] = x.data()[i] * m;
  }
  return Status::OK();
}

Status DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  for (int64_t i = 0; i < dy.numel(); ++i) dx->data()[i] = dy.data()[i] * mask.data()[i];
  return Status::OK();
}

}  // namespace ember::ops::cpu
