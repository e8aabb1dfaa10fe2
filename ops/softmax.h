// ops/softmax.h: row softmax with a length mask (attention weights over
// padded sequences), and softmax cross-entropy with a log-Q correction
// (YouTube DNN's sampled softmax; in-batch negatives), with gradients.
//
//   MaskedSoftmax: x [B, N], lengths [B] (or empty: every row full):
//     y[b, n] = exp(x[b, n] - max) / sum_{n' < len_b} exp(x[b, n'] - max) for n < len_b,
//     0 for the padding n >= len_b (a row of length 0 is all 0).
//   SoftmaxCrossEntropy: logits [B, C], targets [B] (the class of each row),
//     log_q empty, [C] (one per class) or [B, C]: z = logits - log_q;
//     loss = sum_b (logsumexp(z_b) - z_b[target_b]) / B.
//     Sampled softmax puts the positive in a column and sampled negatives in
//     the others, with log_q = log(sampling probability) of each column's
//     item (Bengio and Senecal 2008; Yi et al., RecSys 2019, for in-batch
//     negatives: logits = user x item^T of the batch, target b = b).
//
// Reductions run over one row in column order on the CPU and in one block on
// CUDA (results agree to rounding). All tensors on one device.
// Thread-compatible.
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// y (x's shape). InvalidArgument unless x is [B, N], lengths is empty or
// holds B values in [0, N], all on one device.
Status MaskedSoftmaxForward(const Tensor& x, const IndexTensor& lengths, Tensor* y);
// dx = y * (dy - sum_n y * dy) per row (0 where y is 0); dx may alias dy.
Status MaskedSoftmaxBackward(const Tensor& y, const Tensor& dy, Tensor* dx);

// *mean_loss as above (accumulated in double). InvalidArgument on a shape or
// device mismatch or a target outside [0, C).
Status SoftmaxCrossEntropyForward(const Tensor& logits, const Tensor& log_q, const IndexTensor& targets,
                                  double* mean_loss);
// dlogits = (softmax(z) - onehot(target)) / B (overwritten; may alias logits).
Status SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& log_q, const IndexTensor& targets,
                                   Tensor* dlogits);

}  // namespace ember::ops
