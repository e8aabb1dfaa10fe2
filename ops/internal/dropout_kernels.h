// ops/internal/dropout_kernels.h: the per-device implementations behind
// ops/dropout.cc, and the hash both use. Private to ops/.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/internal/host_device.h"
#include "ops/tensor.h"

namespace ember::ops {

// U(seed, i) in [0, 1): the top 24 bits of SplitMix64's finalizer of
// seed + (i + 1) * golden ratio, exactly representable in float.
EMBER_HOST_DEVICE inline float DropoutUniform(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<float>(z >> 40) * (1.0f / 16777216.0f);
}

#define EMBER_OPS_DECLARE_DROPOUT_KERNELS                                                     \
  Status DropoutForward(const Tensor& x, float rate, uint64_t seed, Tensor* y, Tensor* mask); \
  Status DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx);

namespace cpu {
EMBER_OPS_DECLARE_DROPOUT_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_DROPOUT_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_DROPOUT_KERNELS

}  // namespace ember::ops
