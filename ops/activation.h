// ops/activation.h: element-wise activations (ReLU, sigmoid), their
// gradients, and the fused bias + activation pair that the Linear layer uses
// so that a layer makes one pass over its output instead of two.
//
// Backward functions take the activation's OUTPUT y (not its input): ReLU's
// mask is y > 0 and sigmoid's derivative is y * (1 - y). Outputs may alias
// inputs (x == *y, dy == *dx): every op is a pure element-wise map. All
// tensors on one device, with equal element counts. Thread-compatible.
//
//   RETURN_IF_ERROR(Relu(h, &h));                  // in place
//   RETURN_IF_ERROR(ReluBackward(h, dh, &dh));     // in place
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

enum class Activation { kNone, kRelu, kSigmoid };

// "none", "relu", "sigmoid".
const char* ActivationName(Activation activation);

// y = max(x, 0). InvalidArgument unless x and *y have equal numel and device.
Status Relu(const Tensor& x, Tensor* y);
// dx = dy * (y > 0).
Status ReluBackward(const Tensor& y, const Tensor& dy, Tensor* dx);
// y = 1 / (1 + exp(-x)), computed without overflow for large |x|.
Status Sigmoid(const Tensor& x, Tensor* y);
// dx = dy * y * (1 - y).
Status SigmoidBackward(const Tensor& y, const Tensor& dy, Tensor* dx);

// y = act(x) for any Activation (kNone copies unless x aliases *y).
Status ActivationForward(Activation activation, const Tensor& x, Tensor* y);
// dx = dy * act'(.) expressed through the output y.
Status ActivationBackward(Activation activation, const Tensor& y, const Tensor& dy, Tensor* dx);

// Fused, in place: y[b, j] = act(y[b, j] + bias[j]). One pass over y.
// InvalidArgument unless bias is [y->cols()] on y's device.
Status BiasActivation(const Tensor& bias, Activation activation, Tensor* y);

// Fused backward of BiasActivation, one pass over dy:
//   dpre = dy * act'(.) (from the output y; dpre may alias dy),
//   dbias[j] += sum_b dpre[b, j] (ACCUMULATES).
// y, dy, dpre are [B, n] matrices with equal shapes; dbias is [n].
Status ActivationBiasBackward(const Tensor& y, const Tensor& dy, Activation activation, Tensor* dpre, Tensor* dbias);

}  // namespace ember::ops
