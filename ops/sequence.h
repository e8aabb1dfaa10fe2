// ops/sequence.h: the ops on padded sequences that DIN, BST and YouTube DNN
// build their layers from, with their gradients.
//
// A batch of sequences is a [B, L*D] matrix: row b holds positions 0..L-1
// of sample b, D floats each (position j in columns j*D .. j*D+D-1), and
// lengths[b] (an IndexTensor of B values in [0, L]) says how many positions
// are real; the rest is padding, which no op reads into an output and every
// backward gives a zero gradient. Multi-head tensors are [B*L, H*dh]: row
// b*L + i is position i of sample b, head h in columns h*dh .. h*dh+dh-1;
// per-head score matrices are [B*H*L, L]: row (b*H + h)*L + i holds query
// i's scores against keys 0..L-1.
//
// Every op runs on the CPU (the reference) and CUDA (one thread per output
// element, summing in the CPU's order: no atomics). All tensors on one
// device. Thread-compatible.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// out[b] = sum (mean when `mean`) of x's first lengths[b] positions; a
// sample of length 0 gives zeros. out is [B, D].
Status SequencePoolForward(const Tensor& x, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* out);
// dx (overwritten, x's shape) = dout[b] (/ lengths[b] when mean) at the real
// positions, 0 at the padding.
Status SequencePoolBackward(const Tensor& dout, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* dx);

// out[b] = sum_{j < len_b} weights[b, j] * x[b, j] (DIN's attention-weighted
// pooling; weights [B, L], not normalized).
Status WeightedSequencePoolForward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths, int64_t dim,
                                   Tensor* out);
// dx[b, j] = weights[b, j] * dout[b] and dweights[b, j] = <x[b, j], dout[b]>
// at the real positions, 0 at the padding (both overwritten).
Status WeightedSequencePoolBackward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths,
                                    const Tensor& dout, int64_t dim, Tensor* dx, Tensor* dweights);

// DIN's activation-unit input: features [B*L, 4D], row b*L + j =
// [e, t, e - t, e * t] with e = position j of sample b and t = target[b]
// ([B, D]). Padding rows are computed too (their scores are masked later).
Status TargetAttentionFeaturesForward(const Tensor& seq, const Tensor& target, int64_t dim, Tensor* features);
// ACCUMULATES: dseq[b, j] += dfeatures' gradient with respect to e, and
// dtarget[b] += the sum over j of its gradient with respect to t.
Status TargetAttentionFeaturesBackward(const Tensor& seq, const Tensor& target, const Tensor& dfeatures, int64_t dim,
                                       Tensor* dseq, Tensor* dtarget);

// scores = scale * Q_bh K_bh^T per sample b and head h: q, k [B*L, H*dh] ->
// scores [B*H*L, L].
Status HeadScoresForward(const Tensor& q, const Tensor& k, int64_t seq_len, int64_t heads, float scale, Tensor* scores);
// dq, dk (overwritten) from dscores.
Status HeadScoresBackward(const Tensor& q, const Tensor& k, const Tensor& dscores, int64_t seq_len, int64_t heads,
                          float scale, Tensor* dq, Tensor* dk);

// out_bh = A_bh V_bh: attention [B*H*L, L], v [B*L, H*dh] -> out [B*L, H*dh].
Status HeadApplyForward(const Tensor& attention, const Tensor& v, int64_t seq_len, int64_t heads, Tensor* out);
// dattention, dv (overwritten) from dout.
Status HeadApplyBackward(const Tensor& attention, const Tensor& v, const Tensor& dout, int64_t seq_len, int64_t heads,
                         Tensor* dattention, Tensor* dv);

}  // namespace ember::ops
