// models/internal/logistic_model.h: the base of every model whose output is
// one logit per sample trained with the logistic loss (all but
// youtube_retrieval, whose loss is a softmax over candidates).
//
// TrainStep is the same for all of them: Forward (logits_), the loss
// (dlogits_, the StepResult), Backward (row_grads sized one per table, the
// dense gradients into params_), then the row gradients scaled to the summed
// loss (ScaleToSummedLoss). Predict is the sigmoid of Forward's logits. A
// subclass builds its layers in its constructor and implements Forward and
// Backward.
#pragma once

#include <vector>

#include "models/internal/parts.h"
#include "models/model.h"

namespace ember::models::internal {

class LogisticModel : public Model {
 public:
  Status TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                   const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads, StepResult* result) final;
  Status Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows,
                 std::vector<float>* probabilities) final;

 protected:
  explicit LogisticModel(ModelOptions options) : Model(std::move(options)) {}

  // Checks the step's inputs and computes logits_ [B, 1]; caches what
  // Backward needs.
  virtual Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) = 0;
  // From dlogits_ (the mean loss's gradient of the logits of the batch the
  // last Forward saw): each table's row gradients into (*row_grads)[t]
  // (sized tables_.size(); each entry is the subclass's to shape) and the
  // dense gradients into params_, both of the mean loss.
  virtual Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) = 0;

  LogisticLoss loss_;
  ops::Tensor logits_;   // [B, 1]
  ops::Tensor dlogits_;  // [B, 1]
};

}  // namespace ember::models::internal
