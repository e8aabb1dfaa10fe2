#include "models/dlrm.h"

#include <cstring>

#include "ops/dot_interaction.h"

namespace ember::models {

using internal::EnsureShape;
using internal::FieldEmbeddings;
using internal::WidePart;

DlrmModel::DlrmModel(ModelOptions options) : EmbeddingModel(std::move(options)) {
  dim_ = options_.embedding_dim;
  num_vectors_ = static_cast<int64_t>(options_.num_categorical) + 1;
  num_pairs_ = ops::DotInteractionPairs(num_vectors_);
  bottom_ = std::make_unique<ops::Mlp>(&params_, "bottom", options_.num_dense, options_.bottom_hidden, dim_,
                                       ops::Activation::kRelu, /*output_activation=*/ops::Activation::kRelu);
  top_ = std::make_unique<ops::Mlp>(&params_, "top", dim_ + num_pairs_, options_.hidden, 1);
  params_.Finalize(options_.seed);
}

namespace {

// Copies columns [src_col, src_col + width) of src into columns
// [dst_col, dst_col + width) of *dst, row by row (both [B, *]).
void CopyColumns(const ops::Tensor& src, int64_t src_col, int64_t width, int64_t dst_col, ops::Tensor* dst) {
  const int64_t src_width = src.dim(1), dst_width = dst->dim(1);
  for (int64_t b = 0; b < src.rows(); ++b) {
    std::memcpy(dst->data() + b * dst_width + dst_col, src.data() + b * src_width + src_col, sizeof(float) * width);
  }
}

}  // namespace

Status DlrmModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                          const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  const int64_t n = batch.size;
  const int64_t fields_width = static_cast<int64_t>(options_.num_categorical) * dim_;
  EnsureShape(&dense_, {n, options_.num_dense});
  internal::CopyDenseFeatures(batch, 0, &dense_);
  RETURN_IF_ERROR(bottom_->Forward(dense_, &bottom_out_));
  EnsureShape(&embeddings_, {n, fields_width});
  RETURN_IF_ERROR(FieldEmbeddings::Forward(inputs[kDeepTable], rows[kDeepTable], dim_, &embeddings_));
  // The interaction's vectors: 0 is the bottom output, 1..F the fields.
  EnsureShape(&vectors_, {n, num_vectors_ * dim_});
  CopyColumns(bottom_out_, 0, dim_, 0, &vectors_);
  CopyColumns(embeddings_, 0, fields_width, dim_, &vectors_);
  // The top MLP's input: the bottom output, then the dot products in place.
  EnsureShape(&top_input_, {n, dim_ + num_pairs_});
  CopyColumns(bottom_out_, 0, dim_, 0, &top_input_);
  EnsureShape(&pairs_, {n, num_pairs_});
  RETURN_IF_ERROR(ops::DotInteractionForward(vectors_, num_vectors_, dim_, &pairs_));
  CopyColumns(pairs_, 0, num_pairs_, dim_, &top_input_);
  RETURN_IF_ERROR(top_->Forward(top_input_, &top_out_));
  EnsureShape(&logits_, {n, 1});
  for (int64_t b = 0; b < n; ++b) logits_.data()[b] = top_out_.data()[b];
  return first_order_.AddLogits(inputs[kWideTable], rows[kWideTable], &logits_);
}

Status DlrmModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                            const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                            StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size;
  const int64_t fields_width = static_cast<int64_t>(options_.num_categorical) * dim_;
  RETURN_IF_ERROR(internal::LogisticLoss(batch, logits_, &dlogits_, result));

  row_grads->resize(tables_.size());
  EnsureShape(&dtop_input_, {n, dim_ + num_pairs_});
  RETURN_IF_ERROR(top_->Backward(dlogits_, &dtop_input_));
  EnsureShape(&dpairs_, {n, num_pairs_});
  CopyColumns(dtop_input_, dim_, num_pairs_, 0, &dpairs_);
  EnsureShape(&dvectors_, {n, num_vectors_ * dim_});
  RETURN_IF_ERROR(ops::DotInteractionBackward(vectors_, dpairs_, num_vectors_, dim_, &dvectors_));
  // The bottom output feeds both the top MLP directly and the interaction.
  EnsureShape(&dbottom_out_, {n, dim_});
  for (int64_t b = 0; b < n; ++b) {
    const float* direct = dtop_input_.data() + b * (dim_ + num_pairs_);
    const float* via_pairs = dvectors_.data() + b * num_vectors_ * dim_;
    float* d = dbottom_out_.data() + b * dim_;
    for (int64_t k = 0; k < dim_; ++k) d[k] = direct[k] + via_pairs[k];
  }
  RETURN_IF_ERROR(bottom_->Backward(dbottom_out_, /*dx=*/nullptr));
  EnsureShape(&dembeddings_, {n, fields_width});
  CopyColumns(dvectors_, dim_, fields_width, 0, &dembeddings_);
  RETURN_IF_ERROR(FieldEmbeddings::Backward(dembeddings_, inputs[kDeepTable], dim_, &(*row_grads)[kDeepTable]));
  RETURN_IF_ERROR(first_order_.Backward(dlogits_, inputs[kWideTable], &(*row_grads)[kWideTable]));
  internal::ScaleToSummedLoss(n, row_grads);
  return Status::OK();
}

}  // namespace ember::models
