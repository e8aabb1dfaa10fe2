// ops/internal/fm_kernels.h: the per-device implementations behind
// ops/fm.cc. Private to ops/. The dispatcher has checked shapes and devices.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_FM_KERNELS                                                          \
  Status FmInteractionForward(const Tensor& x, int64_t num_fields, int64_t dim, Tensor* out); \
  Status FmInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_fields, int64_t dim, Tensor* dx);

namespace cpu {
EMBER_OPS_DECLARE_FM_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_FM_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_FM_KERNELS

}  // namespace ember::ops
