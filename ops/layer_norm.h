// ops/layer_norm.h: layer normalization over the last dimension (Ba, Kiros
// and Hinton, "Layer Normalization", 2016), as BST's transformer block uses
// it, and its gradient.
//
//   x      [B, N]
//   mean_b = sum_n x[b, n] / N;  var_b = sum_n (x[b, n] - mean_b)^2 / N
//   rstd_b = 1 / sqrt(var_b + epsilon)
//   y[b, n] = (x[b, n] - mean_b) * rstd_b * gamma[n] + beta[n]
//
// The forward saves mean and rstd ([B] each) for the backward. Sums are in
// float, in column order, on every device (the CUDA kernel reduces a row in
// one block). All tensors on one device. Thread-compatible.
//
//   RETURN_IF_ERROR(LayerNormForward(x, gamma, beta, 1e-5f, &y, &mean, &rstd));
//   RETURN_IF_ERROR(LayerNormBackward(x, gamma, mean, rstd, dy, &dx, &dgamma, &dbeta));
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// Writes y [B, N], mean [B] and rstd [B]. InvalidArgument unless x is
// [B, N] (N > 0), gamma and beta hold N values, y has x's shape, mean and
// rstd hold B values, epsilon > 0, all on one device.
Status LayerNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon, Tensor* y,
                        Tensor* mean, Tensor* rstd);

// dx (overwritten, x's shape) = rstd * (g - mean_n(g) - xhat * mean_n(g * xhat)) with g = dy * gamma and
// xhat = (x - mean) * rstd; dgamma[n] += sum_b dy * xhat, dbeta[n] += sum_b dy (ACCUMULATED, like every
// parameter gradient). InvalidArgument on a shape or device mismatch.
Status LayerNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                         Tensor* dx, Tensor* dgamma, Tensor* dbeta);

}  // namespace ember::ops
