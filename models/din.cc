#include "models/din.h"

#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"
#include "ops/combine.h"

namespace ember::models {

using internal::EnsureShape;
using internal::ItemSequence;

namespace {

const std::vector<int64_t> kActivationUnitHidden = {36};

}  // namespace

DinModel::DinModel(ModelOptions options) : UserItemHistoryModel(std::move(options)), dim_(options_.embedding_dim) {
  if (has_history()) {
    attention_ = std::make_unique<ops::TargetAttention>(&params_, "attention", dim_, kActivationUnitHidden);
  }
  const int64_t width = (has_history() ? 3 : 2) * dim_;
  top_ = std::make_unique<ops::Mlp>(&params_, "mlp", width, options_.hidden, 1);
}

Status DinModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(CheckInputs(batch, inputs, rows));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(EnsureShape(&x_, {n, top_->layer(0).in()}, device()));
  RETURN_IF_ERROR(EnsureShape(&target_, {n, dim_}, device()));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Forward(index_[kUsersTable], rows[kUsersTable], dim_, &x_));
  RETURN_IF_ERROR(ItemSequence::Forward(index_[kItemsTable], 0, rows[kItemsTable], 0, &target_));
  RETURN_IF_ERROR(ops::CopyColumns(target_, 0, dim_, &x_, dim_));
  if (has_history()) {
    RETURN_IF_ERROR(history_.Build(inputs[kItemsTable], kHistoryGroup, 0, options_.max_seq_len, n, device()));
    RETURN_IF_ERROR(history_.Gather(rows[kItemsTable], dim_, &seq_));
    RETURN_IF_ERROR(attention_->Forward(seq_, target_, history_.lengths(), &interest_));
    RETURN_IF_ERROR(ops::CopyColumns(interest_, 0, dim_, &x_, 2 * dim_));
  }
  return top_->Forward(x_, &logits_);
}

Status DinModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  RETURN_IF_ERROR(top_->Backward(dlogits_, &dx_));
  ops::Tensor& item_grads = (*row_grads)[kItemsTable];
  ASSIGN_OR_RETURN(item_grads, ops::Tensor::AllocateZeros({index_[kItemsTable].num_unique, dim_}, device()));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Backward(dx_, index_[kUsersTable], dim_, &(*row_grads)[kUsersTable]));
  RETURN_IF_ERROR(ItemSequence::Backward(dx_, dim_, index_[kItemsTable], 0, &item_grads));
  if (has_history()) {
    RETURN_IF_ERROR(EnsureShape(&dinterest_, {n, dim_}, device()));
    RETURN_IF_ERROR(ops::CopyColumns(dx_, 2 * dim_, dim_, &dinterest_, 0));
    RETURN_IF_ERROR(attention_->Backward(dinterest_, &dseq_, &dtarget_));
    RETURN_IF_ERROR(ItemSequence::Backward(dtarget_, 0, index_[kItemsTable], 0, &item_grads));
    RETURN_IF_ERROR(history_.Scatter(dseq_, dim_, &item_grads));
  }
  return Status::OK();
}

}  // namespace ember::models
