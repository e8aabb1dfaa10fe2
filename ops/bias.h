// ops/bias.h: adding a bias row to every row of a matrix, and its gradient.
//
// y, dy are read as matrices [B, n] (rows() x cols()); bias, dbias are 1-D
// [n]. All tensors on one device. Thread-compatible.
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// y[b, j] += bias[j]. InvalidArgument unless bias is [y->cols()] on y's device.
Status BiasAdd(const Tensor& bias, Tensor* y);

// dbias[j] += sum_b dy[b, j] (ACCUMULATES). InvalidArgument on a mismatch.
Status BiasBackward(const Tensor& dy, Tensor* dbias);

}  // namespace ember::ops
