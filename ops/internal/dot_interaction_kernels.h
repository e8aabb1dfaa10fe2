// ops/internal/dot_interaction_kernels.h: the per-device implementations
// behind ops/dot_interaction.cc. Private to ops/. The dispatcher has checked
// shapes and devices.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_DOT_INTERACTION_KERNELS                                               \
  Status DotInteractionForward(const Tensor& x, int64_t num_vectors, int64_t dim, Tensor* out); \
  Status DotInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_vectors, int64_t dim, Tensor* dx);

namespace cpu {
EMBER_OPS_DECLARE_DOT_INTERACTION_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_DOT_INTERACTION_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_DOT_INTERACTION_KERNELS

}  // namespace ember::ops
