// ops/dropout.h: inverted dropout (Srivastava et al. 2014) with a mask that
// depends only on (seed, element index), so the CPU and CUDA draw the same
// mask and a step can be replayed (resume, tests).
//
//   keep[i] = U(seed, i) >= rate, with U uniform in [0, 1) from a
//             SplitMix64 hash of seed and i (24 bits)
//   mask[i] = keep[i] / (1 - rate), y = x * mask
//
// The caller picks a new seed per step (e.g. Mix64(model seed, step,
// layer)). rate = 0 keeps everything (mask 1). All tensors on one device.
// Thread-compatible.
//
//   RETURN_IF_ERROR(DropoutForward(h, 0.1f, step_seed, &h, &mask));   // in place
//   RETURN_IF_ERROR(DropoutBackward(dh, mask, &dh));
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// Writes mask and y (y may alias x). InvalidArgument unless 0 <= rate < 1
// and x, y and mask have equal element counts on one device.
Status DropoutForward(const Tensor& x, float rate, uint64_t seed, Tensor* y, Tensor* mask);

// dx = dy * mask (dx may alias dy). InvalidArgument on a mismatch.
Status DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx);

}  // namespace ember::ops
