// models/din.h: Deep Interest Network (Zhou et al., "Deep Interest Network
// for Click-Through Rate Prediction", KDD 2018).
//
// Input (data/interactions.h with --max_seq_len > 0): a user, a candidate
// item and the user's history (the latest --max_seq_len items).
//  - embeddings: table `items` (id 0) for the candidate and the history
//    items alike, table `users` (id 1); both --embedding_dim, normal init,
//    the deep optimizer.
//  - interest: ops::TargetAttention "attention": each history item is
//    weighted by an activation unit MLP [e, t, e - t, e * t] -> 36 -> 1
//    (ReLU; the paper's PReLU/Dice is in ops/prelu.h but not used here) and
//    the weighted embeddings are summed, not normalised, as the paper.
//  - top: ops::Mlp "mlp" over [user | candidate | interest] with ReLU hidden
//    layers --hidden -> 1 logit; BCE with logits.
// With --max_seq_len=0 the interest is left out: the same network without
// the sequence, the baseline the paper compares with.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/sequence_parts.h"
#include "models/model.h"
#include "ops/attention.h"
#include "ops/layers.h"

namespace ember::models {

class DinModel : public internal::UserItemHistoryModel {
 public:
  // Sizes must be positive and max_seq_len >= 0 (CreateModel checks them).
  explicit DinModel(ModelOptions options);

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;
  bool has_history() const { return options_.max_seq_len > 0; }

  int64_t dim_;
  std::unique_ptr<ops::TargetAttention> attention_;  // null without history
  std::unique_ptr<ops::Mlp> top_;
  internal::HistoryIndex history_;
  ops::Tensor target_, seq_, interest_, x_;
  ops::Tensor dx_, dinterest_, dseq_, dtarget_;
};

}  // namespace ember::models
