#include "models/internal/logistic_model.h"

namespace ember::models::internal {

Status LogisticModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                                StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  RETURN_IF_ERROR(loss_.Compute(batch, logits_, &dlogits_, result));  // weighted by batch.weights
  row_grads->resize(tables_.size());
  RETURN_IF_ERROR(Backward(batch, row_grads));
  return ScaleToSummedLoss(batch.size, row_grads);
}

Status LogisticModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                              const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  return Probabilities(logits_, probabilities);
}

}  // namespace ember::models::internal
