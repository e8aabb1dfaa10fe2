// models/youtube_dnn.h: YouTube DNN candidate generation (Covington, Adams
// and Sargin, "Deep Neural Networks for YouTube Recommendations", RecSys
// 2016), `--model=youtube_retrieval`.
//
// Input (data/interactions.h with --max_seq_len > 0 and --neg_per_pos >= 1):
// the user's history (the latest --max_seq_len items) and a target item.
//  - user tower: the mean of the history's embeddings (table `items`, id 0,
//    --embedding_dim) through ops::Mlp "tower" with ReLU hidden layers
//    --hidden; the last size K is the user vector u's width (no activation).
//  - items: output embeddings v_i of width K (table `softmax`, id 1), the
//    paper's softmax weights.
//  - logit(u, i) = u . v_i.
//  - training: sampled softmax. The reader's batches are groups of a
//    positive and its neg_per_pos negatives drawn uniformly from the items
//    the user never touched; each group's softmax cross-entropy has the
//    positive as its class. The proposal is uniform, so the log-Q correction
//    (ops/softmax.h) is a constant and drops out.
//  - serving and evaluation: the candidates are ranked by u . v_i, which is
//    what an exact top-K inner-product search over all item embeddings
//    returns; with --eval_negatives=-1 every item the user never touched is
//    a candidate, and HR@K is recall@K over the catalogue. Predict returns
//    sigmoid(u . v_i), a monotone score.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/model.h"
#include "ops/layers.h"

namespace ember::models {

class YouTubeRetrievalModel : public Model {
 public:
  // Sizes must be positive, max_seq_len >= 1 (CreateModel checks them).
  explicit YouTubeRetrievalModel(ModelOptions options);

  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const override;
  // InvalidArgument unless the batch is whole groups of one positive (label
  // 1) followed by the same number (>= 1) of negatives.
  Status TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                   const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                   StepResult* result) override;
  Status Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) override;

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows);

  int64_t dim_, out_dim_;
  std::unique_ptr<ops::Mlp> tower_;
  std::vector<int32_t> lengths_;
  ops::Tensor seq_, pooled_, user_, item_, logits_;
  ops::Tensor dlogits_, duser_, ditem_, dpooled_, dseq_;
};

}  // namespace ember::models
