// models/bst.h: Behavior Sequence Transformer (Chen et al., "Behavior
// Sequence Transformer for E-commerce Recommendation in Alibaba", DLP-KDD
// 2019).
//
// Input (data/interactions.h with --max_seq_len > 0): a user, a candidate
// item and the user's history (the latest --max_seq_len items).
//  - embeddings: table `items` (id 0) for the candidate and the history
//    items alike, table `users` (id 1); both --embedding_dim (D).
//  - sequence: P = max_seq_len + 1 positions: the candidate at position 0,
//    then the history from the latest item back (positions past a sample's
//    history are padding, masked).
//  - one transformer block "transformer" (post-norm, as the paper):
//      a = LayerNorm(s + MultiHeadSelfAttention(s))   (learned position
//          embeddings, --attention_heads heads, padding keys masked)
//      o = LayerNorm(a + FFN(a)),  FFN: D -> 4D (ReLU) -> D, per position
//  - top: ops::Mlp "mlp" over [o at the candidate's position | the masked
//    mean of o over the real positions | user] with ReLU hidden layers
//    --hidden -> 1 logit; BCE with logits. (The paper concatenates every
//    position's output; with padded sequences of different lengths this
//    reads the candidate's output and a masked mean instead.)
// With --max_seq_len=0 the block sees the candidate alone: the same network
// without the sequence.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/sequence_parts.h"
#include "models/model.h"
#include "ops/attention.h"
#include "ops/layers.h"

namespace ember::models {

class BstModel : public internal::UserItemHistoryModel {
 public:
  // Sizes must be positive, embedding_dim a multiple of attention_heads
  // (CreateModel checks them).
  explicit BstModel(ModelOptions options);

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  int64_t dim_, positions_;
  ops::MultiHeadSelfAttention attention_;
  ops::LayerNorm norm1_, norm2_;
  ops::Mlp ffn_, top_;
  internal::HistoryIndex history_;
  // [B, P*D] unless noted; the transformer's row-wise parts see [B*P, D] views.
  ops::Tensor seq_, attended_, sum1_ /*s + attention(s)*/, a_, ffn_out_, sum2_ /*a + FFN(a)*/, o_, pooled_ /*[B, D]*/,
      user_ /*[B, D]*/, x_ /*[B, 3D]*/;
  ops::Tensor dx_, dpooled_, duser_, do_, dsum2_, da_, dsum1_, dseq_;
};

}  // namespace ember::models
