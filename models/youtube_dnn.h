// models/youtube_dnn.h: the two models of YouTube DNN (Covington, Adams and
// Sargin, "Deep Neural Networks for YouTube Recommendations", RecSys 2016):
// candidate generation (`--model=youtube_retrieval`) and ranking
// (`--model=youtube_ranking`).
//
// youtube_retrieval:
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
//
// youtube_ranking: any batch of dense and categorical fields (Criteo TSV or
// --data_format=schema), one embedding per categorical field (table
// `embeddings`, id 0, --embedding_dim, sum-pooled) concatenated with the
// dense features, through ops::Mlp "tower" (--hidden, ReLU) to one logit.
// Trained with weighted logistic regression: the batch's sample weights
// (Batch::weights; the paper weights a click by its watch time and an
// impression without a click by 1) scale each example's cross-entropy. The
// learned odds exp(logit) are then sum(T) / #negatives per context, about
// the expected watch time E[T] when clicks are rare: the paper serves
// exp(logit). Predict returns sigmoid(logit), so exp(logit) = p / (1 - p).
//
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/logistic_model.h"
#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"
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
  Status Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows,
                 std::vector<float>* probabilities) override;

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows);

  int64_t dim_, out_dim_;
  std::unique_ptr<ops::Mlp> tower_;
  std::vector<internal::TableIndex> index_;  // the step's inputs on device()
  internal::HistoryIndex history_;
  std::vector<int32_t> classes_;  // every group's class: its positive, 0
  ops::IndexTensor targets_;      // classes_ on device()
  ops::Tensor seq_, pooled_, user_, item_, logits_;
  ops::Tensor dlogits_, duser_, ditem_, dpooled_, dseq_;
};

class YouTubeRankingModel : public internal::LogisticModel {
 public:
  // Sizes must be positive (CreateModel checks them).
  explicit YouTubeRankingModel(ModelOptions options);

  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const override;

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  std::unique_ptr<ops::Mlp> tower_;
  std::vector<internal::TableIndex> index_;  // the step's inputs on device()
  ops::Tensor dense_features_;               // the batch's dense features on device()
  ops::Tensor x_, dx_;
};

}  // namespace ember::models
