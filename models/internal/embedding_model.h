// models/internal/embedding_model.h: what deepfm, dcn and dlrm share.
//
// Each has a first-order table "wide" (id 0, dim 1: a bias key and the raw
// categorical keys, no crosses) and one field-embedding table "deep" (id 1,
// dim --embedding_dim) and prepares its keys the same way; TrainStep and
// Predict are LogisticModel's. A subclass builds its layers in its
// constructor and implements Forward (PrepareStep first) and Backward.
#pragma once

#include <vector>

#include "models/internal/logistic_model.h"
#include "models/internal/parts.h"
#include "models/model.h"

namespace ember::models::internal {

class EmbeddingModel : public LogisticModel {
 public:
  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const final;

 protected:
  static constexpr int kWideTable = 0;
  static constexpr int kDeepTable = 1;
  // Adds the two tables; the subclass adds its layers and finalizes params_.
  explicit EmbeddingModel(ModelOptions options);

  // CheckStepInputs, then every table's index into index_.
  Status PrepareStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                     const std::vector<ops::Tensor>& rows);

  WidePart first_order_;
  std::vector<TableIndex> index_;  // the step's inputs on device()
  ops::Tensor dense_features_;     // the batch's dense features on device()
};

}  // namespace ember::models::internal
