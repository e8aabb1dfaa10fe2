// ops/prelu.h: the learned per-channel activations of DIN (Zhou et al.,
// "Deep Interest Network for Click-Through Rate Prediction", KDD 2018):
// PReLU and Dice, with their gradients.
//
//   x [B, N], alpha [N] (one learned slope per column)
//   PReLU: y = x if x > 0 else alpha[n] * x
//   Dice:  p = sigmoid((x - mean_n) * rstd_n), y = p * x + (1 - p) * alpha[n] * x
//          with mean_n and rstd_n = 1 / sqrt(var_n + epsilon) over the batch
//          (column n's mean and variance over the B rows) in training, or
//          given (running statistics) at inference.
//
// All tensors on one device. Thread-compatible.
//
//   RETURN_IF_ERROR(PreluForward(h, alpha, &out));
//   RETURN_IF_ERROR(PreluBackward(h, alpha, dout, &dh, &dalpha));
//   RETURN_IF_ERROR(DiceForward(h, alpha, 1e-8f, /*batch_stats=*/true, &mean, &rstd, &out));
//   RETURN_IF_ERROR(DiceBackward(h, alpha, mean, rstd, dout, &dh, &dalpha));
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// y (x's shape, may not alias x) as above. InvalidArgument unless x is
// [B, N], alpha holds N values, all on one device.
Status PreluForward(const Tensor& x, const Tensor& alpha, Tensor* y);
// dx = dy * (x > 0 ? 1 : alpha) (overwritten); dalpha[n] += the sum, over
// the rows where x <= 0, of dy * x (ACCUMULATED).
Status PreluBackward(const Tensor& x, const Tensor& alpha, const Tensor& dy, Tensor* dx, Tensor* dalpha);

// With batch_stats, computes every column's mean and rstd over the B rows
// into *mean and *rstd ([N] each); otherwise reads them. Then y as above.
// InvalidArgument on a shape or device mismatch, epsilon <= 0, or
// batch_stats with B == 0.
Status DiceForward(const Tensor& x, const Tensor& alpha, float epsilon, bool batch_stats, Tensor* mean, Tensor* rstd,
                   Tensor* y);
// The gradient of a training forward (batch statistics, so it flows through
// the mean and variance too): dx overwritten; dalpha[n] += sum_b dy * (1 - p) * x.
Status DiceBackward(const Tensor& x, const Tensor& alpha, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                    Tensor* dx, Tensor* dalpha);

}  // namespace ember::ops
