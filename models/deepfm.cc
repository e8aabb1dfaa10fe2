#include "models/deepfm.h"

#include "ops/fm.h"
#include "ops/tensor.h"

namespace ember::models {

using internal::FieldEmbeddings;
using internal::WidePart;

DeepFmModel::DeepFmModel(ModelOptions options) : EmbeddingModel(std::move(options)) {
  input_width_ = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim + options_.num_dense;
  deep_ = std::make_unique<ops::Mlp>(&params_, "deep", input_width_, options_.hidden, 1);
}

Status DeepFmModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                            const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(PrepareStep(batch, inputs, rows));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(internal::EnsureShape(&input_, {n, input_width_}, device()));
  RETURN_IF_ERROR(FieldEmbeddings::Forward(index_[kDeepTable], rows[kDeepTable], options_.embedding_dim, &input_));
  RETURN_IF_ERROR(internal::CopyDenseFeatures(batch, input_width_ - options_.num_dense, &dense_features_, &input_));
  RETURN_IF_ERROR(deep_->Forward(input_, &mlp_out_));
  RETURN_IF_ERROR(internal::EnsureShape(&fm_out_, {n, 1}, device()));
  RETURN_IF_ERROR(ops::FmInteractionForward(input_, options_.num_categorical, options_.embedding_dim, &fm_out_));
  RETURN_IF_ERROR(internal::EnsureShape(&logits_, {n, 1}, device()));
  RETURN_IF_ERROR(ops::CopyInto(mlp_out_, &logits_));
  RETURN_IF_ERROR(ops::AddInto(fm_out_, &logits_));
  return first_order_.AddLogits(index_[kWideTable], rows[kWideTable], &logits_);
}

Status DeepFmModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  // The MLP writes d input; the FM adds its gradient of the shared embeddings.
  RETURN_IF_ERROR(internal::EnsureShape(&dinput_, {n, input_width_}, device()));
  RETURN_IF_ERROR(deep_->Backward(dlogits_, &dinput_));
  RETURN_IF_ERROR(
      ops::FmInteractionBackward(input_, dlogits_, options_.num_categorical, options_.embedding_dim, &dinput_));
  RETURN_IF_ERROR(
      FieldEmbeddings::Backward(dinput_, index_[kDeepTable], options_.embedding_dim, &(*row_grads)[kDeepTable]));
  RETURN_IF_ERROR(first_order_.Backward(dlogits_, index_[kWideTable], &(*row_grads)[kWideTable]));
  return Status::OK();
}

}  // namespace ember::models
