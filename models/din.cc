#include "models/din.h"

#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"

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
  params_.Finalize(options_.seed);
}

Status DinModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(CheckInputs(batch, inputs, rows));
  const int64_t n = batch.size;
  EnsureShape(&x_, {n, top_->layer(0).in()});
  EnsureShape(&target_, {n, dim_});
  RETURN_IF_ERROR(internal::FieldEmbeddings::Forward(inputs[kUsersTable], rows[kUsersTable], dim_, &x_));
  RETURN_IF_ERROR(ItemSequence::Forward(inputs[kItemsTable], 0, rows[kItemsTable], 0, &target_));
  internal::CopyColumns(target_, 0, dim_, &x_, dim_);
  if (has_history()) {
    ItemSequence::GatherHistory(inputs[kItemsTable], kHistoryGroup, rows[kItemsTable], dim_, 0, options_.max_seq_len, n, &seq_,
                                &lengths_);
    RETURN_IF_ERROR(attention_->Forward(seq_, target_, internal::IndexView(lengths_), &interest_));
    internal::CopyColumns(interest_, 0, dim_, &x_, 2 * dim_);
  }
  return top_->Forward(x_, &logits_);
}

Status DinModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                           const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                           StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(internal::LogisticLoss(batch, logits_, &dlogits_, result));
  RETURN_IF_ERROR(top_->Backward(dlogits_, &dx_));
  row_grads->resize(tables_.size());
  ops::Tensor& item_grads = (*row_grads)[kItemsTable];
  item_grads = ops::Tensor::Zeros({static_cast<int64_t>(inputs[kItemsTable].unique.keys.size()), dim_});
  RETURN_IF_ERROR(internal::FieldEmbeddings::Backward(dx_, inputs[kUsersTable], dim_, &(*row_grads)[kUsersTable]));
  RETURN_IF_ERROR(ItemSequence::Backward(dx_, dim_, inputs[kItemsTable], 0, &item_grads));
  if (has_history()) {
    EnsureShape(&dinterest_, {n, dim_});
    internal::CopyColumns(dx_, 2 * dim_, dim_, &dinterest_, 0);
    RETURN_IF_ERROR(attention_->Backward(dinterest_, &dseq_, &dtarget_));
    RETURN_IF_ERROR(ItemSequence::Backward(dtarget_, 0, inputs[kItemsTable], 0, &item_grads));
    ItemSequence::ScatterHistory(dseq_, inputs[kItemsTable], kHistoryGroup, dim_, 0, options_.max_seq_len, &item_grads);
  }
  internal::ScaleToSummedLoss(n, row_grads);
  return Status::OK();
}

}  // namespace ember::models
