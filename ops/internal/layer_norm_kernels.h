// ops/internal/layer_norm_kernels.h: the per-device implementations behind
// ops/layer_norm.cc. Private to ops/. The dispatcher has checked shapes and
// devices.
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_LAYER_NORM_KERNELS                                                                  \
  Status LayerNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon, Tensor* y, \
                          Tensor* mean, Tensor* rstd);                                                        \
  Status LayerNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd,      \
                           const Tensor& dy, Tensor* dx, Tensor* dgamma, Tensor* dbeta);

namespace cpu {
EMBER_OPS_DECLARE_LAYER_NORM_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_LAYER_NORM_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_LAYER_NORM_KERNELS

}  // namespace ember::ops
