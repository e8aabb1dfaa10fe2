#include "models/dlrm.h"

#include "ops/combine.h"
#include "ops/dot_interaction.h"

namespace ember::models {

using internal::EnsureShape;
using internal::FieldEmbeddings;
using internal::WidePart;

DlrmModel::DlrmModel(ModelOptions options) : EmbeddingModel(std::move(options)) {
  dim_ = options_.embedding_dim;
  bottom_width_ = options_.num_dense > 0 ? dim_ : 0;
  num_vectors_ = static_cast<int64_t>(options_.num_categorical) + (options_.num_dense > 0 ? 1 : 0);
  num_pairs_ = ops::DotInteractionPairs(num_vectors_);
  if (options_.num_dense > 0) {
    bottom_ = std::make_unique<ops::Mlp>(&params_, "bottom", options_.num_dense, options_.bottom_hidden, dim_,
                                         ops::Activation::kRelu, /*output_activation=*/ops::Activation::kRelu);
  }
  top_ = std::make_unique<ops::Mlp>(&params_, "top", bottom_width_ + num_pairs_, options_.hidden, 1);
}

Status DlrmModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                          const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(PrepareStep(batch, inputs, rows));
  const int64_t n = batch.size;
  const int64_t fields_width = static_cast<int64_t>(options_.num_categorical) * dim_;
  RETURN_IF_ERROR(EnsureShape(&embeddings_, {n, fields_width}, device()));
  RETURN_IF_ERROR(FieldEmbeddings::Forward(index_[kDeepTable], rows[kDeepTable], dim_, &embeddings_));
  // The interaction's vectors: the bottom output (with dense features),
  // then the fields; the top MLP's input: the bottom output, then the dot
  // products.
  RETURN_IF_ERROR(EnsureShape(&vectors_, {n, num_vectors_ * dim_}, device()));
  RETURN_IF_ERROR(EnsureShape(&top_input_, {n, bottom_width_ + num_pairs_}, device()));
  if (bottom_ != nullptr) {
    RETURN_IF_ERROR(EnsureShape(&dense_, {n, options_.num_dense}, device()));
    RETURN_IF_ERROR(internal::CopyDenseFeatures(batch, 0, &dense_features_, &dense_));
    RETURN_IF_ERROR(bottom_->Forward(dense_, &bottom_out_));
    RETURN_IF_ERROR(ops::CopyColumns(bottom_out_, 0, dim_, &vectors_, 0));
    RETURN_IF_ERROR(ops::CopyColumns(bottom_out_, 0, dim_, &top_input_, 0));
  }
  RETURN_IF_ERROR(ops::CopyColumns(embeddings_, 0, fields_width, &vectors_, bottom_width_));
  RETURN_IF_ERROR(EnsureShape(&pairs_, {n, num_pairs_}, device()));
  RETURN_IF_ERROR(ops::DotInteractionForward(vectors_, num_vectors_, dim_, &pairs_));
  RETURN_IF_ERROR(ops::CopyColumns(pairs_, 0, num_pairs_, &top_input_, bottom_width_));
  RETURN_IF_ERROR(top_->Forward(top_input_, &top_out_));
  RETURN_IF_ERROR(EnsureShape(&logits_, {n, 1}, device()));
  RETURN_IF_ERROR(ops::CopyInto(top_out_, &logits_));
  return first_order_.AddLogits(index_[kWideTable], rows[kWideTable], &logits_);
}

Status DlrmModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  const int64_t fields_width = static_cast<int64_t>(options_.num_categorical) * dim_;

  RETURN_IF_ERROR(EnsureShape(&dtop_input_, {n, bottom_width_ + num_pairs_}, device()));
  RETURN_IF_ERROR(top_->Backward(dlogits_, &dtop_input_));
  RETURN_IF_ERROR(EnsureShape(&dpairs_, {n, num_pairs_}, device()));
  RETURN_IF_ERROR(ops::CopyColumns(dtop_input_, bottom_width_, num_pairs_, &dpairs_, 0));
  RETURN_IF_ERROR(EnsureShape(&dvectors_, {n, num_vectors_ * dim_}, device()));
  RETURN_IF_ERROR(ops::DotInteractionBackward(vectors_, dpairs_, num_vectors_, dim_, &dvectors_));
  if (bottom_ != nullptr) {
    // The bottom output feeds both the top MLP directly and the interaction.
    RETURN_IF_ERROR(EnsureShape(&dbottom_out_, {n, dim_}, device()));
    RETURN_IF_ERROR(ops::CopyColumns(dtop_input_, 0, dim_, &dbottom_out_, 0));
    RETURN_IF_ERROR(ops::AddColumns(dvectors_, 0, dim_, &dbottom_out_, 0));
    RETURN_IF_ERROR(bottom_->Backward(dbottom_out_, /*dx=*/nullptr));
  }
  RETURN_IF_ERROR(EnsureShape(&dembeddings_, {n, fields_width}, device()));
  RETURN_IF_ERROR(ops::CopyColumns(dvectors_, bottom_width_, fields_width, &dembeddings_, 0));
  RETURN_IF_ERROR(FieldEmbeddings::Backward(dembeddings_, index_[kDeepTable], dim_, &(*row_grads)[kDeepTable]));
  RETURN_IF_ERROR(first_order_.Backward(dlogits_, index_[kWideTable], &(*row_grads)[kWideTable]));
  return Status::OK();
}

}  // namespace ember::models
