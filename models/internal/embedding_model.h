// models/internal/embedding_model.h: what deepfm, dcn and dlrm share.
//
// Each has a first-order table "wide" (id 0, dim 1: a bias key and the raw
// categorical keys, no crosses) and one field-embedding table "deep" (id 1,
// dim --embedding_dim), prepares its keys the same way, and predicts with the
// sigmoid of the logits its Forward computes. A subclass builds its layers in
// its constructor, implements Forward (filling logits_) and TrainStep.
#pragma once

#include <vector>

#include "models/internal/parts.h"
#include "models/model.h"

namespace ember::models::internal {

class EmbeddingModel : public Model {
 public:
  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const final;
  Status Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows,
                 std::vector<float>* probabilities) final;

 protected:
  static constexpr int kWideTable = 0;
  static constexpr int kDeepTable = 1;
  // Adds the two tables; the subclass adds its layers and finalizes params_.
  explicit EmbeddingModel(ModelOptions options);
  // Computes logits_ [B, 1] for the batch; caches what TrainStep's backward needs.
  virtual Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) = 0;

  // CheckStepInputs, then every table's index into index_.
  Status PrepareStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                     const std::vector<ops::Tensor>& rows);

  WidePart first_order_;
  std::vector<TableIndex> index_;  // the step's inputs on device()
  LogisticLoss loss_;
  ops::Tensor dense_features_;  // the batch's dense features on device()
  ops::Tensor logits_;          // [B, 1]
  ops::Tensor dlogits_;         // [B, 1]
};

}  // namespace ember::models::internal
