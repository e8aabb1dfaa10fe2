// ops/attention.h: the attention layers of the sequence models, built on
// ops/sequence.h, ops/softmax.h and ops/layers.h. Like every layer (see
// ops/layers.h) they keep what Backward needs from Forward, ACCUMULATE into
// their parameters' gradients, and run on the device of their ParameterSet.
// Not thread-safe: a layer belongs to one worker thread.
//
//   TargetAttention din(&params, "din.attention", /*dim=*/16, {80, 40});
//   MultiHeadSelfAttention bst(&params, "bst.attention", /*seq_len=*/20, /*dim=*/16, /*heads=*/2);
//   params.Finalize(seed);
//   RETURN_IF_ERROR(din.Forward(history, target, lengths, &interest));   // [B, 16]
//   RETURN_IF_ERROR(din.Backward(dinterest, &dhistory, &dtarget));
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ops/layers.h"
#include "ops/parameters.h"
#include "ops/tensor.h"

namespace ember::ops {

// DIN's local activation unit (Zhou et al., KDD 2018): each behaviour e_j of
// a user's history is weighted by an MLP of [e_j, t, e_j - t, e_j * t] with
// the candidate t, and the history is pooled with those weights
// (unnormalized, as the paper: the sum keeps the intensity of the
// interest). Padding positions get no weight and no gradient. The MLP
// [4*dim -> hidden... -> 1] (ReLU hidden layers) is named "<name>.mlp".
class TargetAttention {
 public:
  TargetAttention(ParameterSet* params, const std::string& name, int64_t dim, std::vector<int64_t> hidden);

  // seq [B, L*dim] (position j of sample b in columns j*dim..), target
  // [B, dim], lengths [B] in [0, L] on the layer's device -> *out [B, dim]
  // ((re)allocated on a shape change). InvalidArgument on a mismatch.
  Status Forward(const Tensor& seq, const Tensor& target, const IndexTensor& lengths, Tensor* out);
  // dout [B, dim] -> *dseq [B, L*dim] and *dtarget [B, dim] (overwritten,
  // (re)allocated when needed). FailedPrecondition without a Forward.
  Status Backward(const Tensor& dout, Tensor* dseq, Tensor* dtarget);

 private:
  std::string name_;
  int64_t dim_;
  Mlp mlp_;
  Tensor seq_, target_;  // the last Forward's inputs (shallow)
  IndexTensor lengths_;
  Tensor features_, scores_, dweights_, dfeatures_;
};

// Multi-head self-attention over padded sequences (Vaswani et al. 2017) with
// learned position embeddings, as BST's transformer layer uses it (Chen et
// al., "Behavior Sequence Transformer", DLP-KDD 2019):
//   h = x + positions ([L*dim], "<name>.positions")
//   Q, K, V = h W_q, h W_k, h W_v per position ("<name>.q/.k/.v")
//   A = softmax over keys j < length_b of Q K^T / sqrt(dim / heads), per head
//   out = (A V) W_o ("<name>.o")
// Keys past a sample's length are masked; the outputs at padding positions
// (queries past the length) are computed but meaningless: mask them when
// pooling (ops/sequence.h).
class MultiHeadSelfAttention {
 public:
  // dim must be a multiple of heads (CHECKed: a model's configuration).
  MultiHeadSelfAttention(ParameterSet* params, const std::string& name, int64_t seq_len, int64_t dim, int64_t heads);

  // x [B, L*dim], lengths [B] in [0, L] -> *out [B, L*dim].
  Status Forward(const Tensor& x, const IndexTensor& lengths, Tensor* out);
  // dout [B, L*dim] -> *dx [B, L*dim] (overwritten; (re)allocated when needed).
  Status Backward(const Tensor& dout, Tensor* dx);

 private:
  std::string name_;
  int64_t seq_len_, dim_, heads_;
  ParameterSet* params_;
  int positions_id_;
  Linear q_, k_, v_, o_;
  Tensor x_;                 // the last Forward's input (shallow)
  IndexTensor key_lengths_;  // lengths[b] for every (b, head, query) row of the scores
  Tensor h_, query_, key_, value_, scores_, attention_, heads_out_;
  Tensor dheads_out_, dattention_, dscores_, dquery_, dkey_, dvalue_, dh_, dpart_;
};

}  // namespace ember::ops
