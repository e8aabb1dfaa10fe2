// ops/internal/cross_kernels.h: the per-device element-wise kernels behind
// ops/cross.h. Private to ops/. The dispatcher (ops/cross.cc) has checked the
// shapes and devices; x0, xl, pre, out, dout, dpre, dx0 are [B, d].
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_CROSS_KERNELS                                                                          \
  /* pre += b (row-wise); out = x0 * pre + xl. */                                                                \
  Status CrossForwardElementwise(const Tensor& x0, const Tensor& xl, const Tensor& b, Tensor* pre, Tensor* out); \
  /* dpre = dout * x0; dx0 += dout * pre. */                                                                     \
  Status CrossBackwardElementwise(const Tensor& x0, const Tensor& pre, const Tensor& dout, Tensor* dpre, Tensor* dx0);

namespace cpu {
EMBER_OPS_DECLARE_CROSS_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_CROSS_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_CROSS_KERNELS

}  // namespace ember::ops
