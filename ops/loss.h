// ops/loss.h: binary cross-entropy with logits, the CTR loss (with per-sample
// weights it is also YouTube's weighted logistic regression: positives
// weighted by watch time), and the mean squared error (rating regression).
//
// logits, labels (0/1 or soft targets in [0, 1]) and the optional per-sample
// weights hold B values each (any shape with B elements, e.g. [B] or
// [B, 1]). An empty weights Tensor means every weight is 1. The loss is the
// weighted SUM divided by B (not by the sum of the weights), so the gradient
// of the mean loss is w * (sigmoid(z) - y) / B. Computed in the stable form
//   l(z, y) = max(z, 0) - z * y + log1p(exp(-|z|)).
// All tensors on one device. Thread-compatible.
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// *mean_loss = sum_b w_b * l(z_b, y_b) / B (accumulated in double; 0 for
// B == 0). On CUDA this waits for the device. InvalidArgument on a mismatch.
Status BceWithLogitsForward(const Tensor& logits, const Tensor& labels, const Tensor& weights, double* mean_loss);

// dlogits = w * (sigmoid(z) - y) / B (overwritten; same numel as logits;
// may alias logits). InvalidArgument on a mismatch.
Status BceWithLogitsBackward(const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits);

// Mean squared error over B predictions p and targets y (same shapes and
// weights as above): *mean_loss = sum_b w_b * (p_b - y_b)^2 / B (accumulated
// in double; 0 for B == 0). InvalidArgument on a mismatch.
Status MseForward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, double* mean_loss);

// dpredictions = 2 * w * (p - y) / B (overwritten; may alias predictions).
Status MseBackward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, Tensor* dpredictions);

}  // namespace ember::ops
