// ops/internal/prelu_kernels.h: the per-device implementations behind
// ops/prelu.cc. Private to ops/. The dispatcher has checked shapes and
// devices.
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_PRELU_KERNELS                                                                               \
  Status PreluForward(const Tensor& x, const Tensor& alpha, Tensor* y);                                               \
  Status PreluBackward(const Tensor& x, const Tensor& alpha, const Tensor& dy, Tensor* dx, Tensor* dalpha);           \
  Status DiceForward(const Tensor& x, const Tensor& alpha, float epsilon, bool batch_stats, Tensor* mean,             \
                     Tensor* rstd, Tensor* y);                                                                        \
  Status DiceBackward(const Tensor& x, const Tensor& alpha, const Tensor& mean, const Tensor& rstd, const Tensor& dy, \
                      Tensor* dx, Tensor* dalpha);

namespace cpu {
EMBER_OPS_DECLARE_PRELU_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_PRELU_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_PRELU_KERNELS

}  // namespace ember::ops
