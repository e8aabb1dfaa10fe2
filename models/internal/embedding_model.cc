#include "models/internal/embedding_model.h"

namespace ember::models::internal {

EmbeddingModel::EmbeddingModel(ModelOptions options) : LogisticModel(std::move(options)) {
  tables_.push_back(WidePart::Table(kWideTable, "wide", options_));
  tables_.push_back(FieldEmbeddings::Table(kDeepTable, "deep", options_));
}

void EmbeddingModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (auto& input : *inputs) input.Clear();
  WidePart::PrepareInputs(batch, options_.num_categorical, /*crosses=*/{}, &(*inputs)[kWideTable]);
  FieldEmbeddings::PrepareInputs(batch, options_.num_categorical, &(*inputs)[kDeepTable]);
}

Status EmbeddingModel::PrepareStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                   const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  return UploadInputs(inputs, device(), &index_);
}

}  // namespace ember::models::internal
