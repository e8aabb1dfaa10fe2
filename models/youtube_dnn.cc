#include "models/youtube_dnn.h"

#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"
#include "ops/combine.h"
#include "ops/sequence.h"
#include "ops/softmax.h"

namespace ember::models {

using internal::EnsureShape;
using internal::ItemSequence;

namespace {

constexpr int kItemsTable = 0;
constexpr int kSoftmaxTable = 1;

ModelOptions YouTubeLayout(ModelOptions options) {
  options.num_dense = 0;
  options.num_categorical = 3;
  return options;
}

// The size of the batch's groups (a positive, then its negatives), or
// InvalidArgument.
StatusOr<int64_t> GroupSize(const std::vector<float>& labels) {
  const auto n = static_cast<int64_t>(labels.size());
  int64_t group = 1;
  while (group < n && labels[group] <= 0.5f) ++group;
  bool whole = group > 1 && n % group == 0;
  for (int64_t i = 0; whole && i < n; ++i) whole = (labels[i] > 0.5f) == (i % group == 0);
  if (!whole) {
    return Status::InvalidArgument(
        "youtube_retrieval trains on groups of a positive and its sampled negatives "
        "(--data_format=interactions --neg_per_pos >= 1); this batch of ",
        n, " samples is not whole groups");
  }
  return group;
}

}  // namespace

YouTubeRetrievalModel::YouTubeRetrievalModel(ModelOptions options)
    : Model(YouTubeLayout(std::move(options))), dim_(options_.embedding_dim), out_dim_(options_.hidden.back()) {
  tables_.push_back(internal::FieldEmbeddings::Table(kItemsTable, "items", options_));
  sparse::TableConfig softmax = internal::FieldEmbeddings::Table(kSoftmaxTable, "softmax", options_);
  softmax.dim = static_cast<int>(out_dim_);
  tables_.push_back(softmax);
  std::vector<int64_t> hidden = options_.hidden;
  hidden.pop_back();
  tower_ = std::make_unique<ops::Mlp>(&params_, "tower", dim_, hidden, out_dim_);
}

void YouTubeRetrievalModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (SparseInput& input : *inputs) input.Clear();
  ItemSequence::PrepareInputs(batch, /*target=*/false, options_.max_seq_len, &(*inputs)[kItemsTable]);
  ItemSequence::PrepareInputs(batch, /*target=*/true, /*max_len=*/0, &(*inputs)[kSoftmaxTable]);
}

Status YouTubeRetrievalModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                      const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  RETURN_IF_ERROR(internal::CheckSequenceBatch(batch, options_.max_seq_len));
  RETURN_IF_ERROR(internal::UploadInputs(inputs, device(), &index_));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(history_.Build(inputs[kItemsTable], 0, 0, options_.max_seq_len, n, device()));
  RETURN_IF_ERROR(history_.Gather(rows[kItemsTable], dim_, &seq_));
  RETURN_IF_ERROR(EnsureShape(&pooled_, {n, dim_}, device()));
  RETURN_IF_ERROR(ops::SequencePoolForward(seq_, history_.lengths(), dim_, /*mean=*/true, &pooled_));
  RETURN_IF_ERROR(tower_->Forward(pooled_, &user_));
  RETURN_IF_ERROR(EnsureShape(&item_, {n, out_dim_}, device()));
  RETURN_IF_ERROR(ItemSequence::Forward(index_[kSoftmaxTable], 0, rows[kSoftmaxTable], 0, &item_));
  RETURN_IF_ERROR(EnsureShape(&logits_, {n, 1}, device()));
  return ops::RowDot(user_, item_, &logits_);
}

Status YouTubeRetrievalModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                        const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                                        StepResult* result) {
  ASSIGN_OR_RETURN(const int64_t group, GroupSize(batch.labels));
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size, groups = n / group;
  // Each group's softmax has its positive, column 0, as the class.
  const ops::Tensor grouped = logits_.Reshaped({groups, group});
  classes_.assign(static_cast<size_t>(groups), 0);
  RETURN_IF_ERROR(internal::HostIndex(classes_, device(), &targets_));
  RETURN_IF_ERROR(ops::SoftmaxCrossEntropyForward(grouped, ops::Tensor(), targets_, &result->mean_loss));
  RETURN_IF_ERROR(EnsureShape(&dlogits_, {groups, group}, device()));
  RETURN_IF_ERROR(ops::SoftmaxCrossEntropyBackward(grouped, ops::Tensor(), targets_, &dlogits_));
  RETURN_IF_ERROR(internal::Probabilities(logits_, &result->probabilities));
  RETURN_IF_ERROR(EnsureShape(&duser_, {n, out_dim_}, device()));
  RETURN_IF_ERROR(EnsureShape(&ditem_, {n, out_dim_}, device()));
  RETURN_IF_ERROR(ops::RowDotBackward(user_, item_, dlogits_.Reshaped({n, 1}), &duser_, &ditem_));
  RETURN_IF_ERROR(tower_->Backward(duser_, &dpooled_));
  RETURN_IF_ERROR(EnsureShape(&dseq_, seq_.shape(), device()));
  RETURN_IF_ERROR(ops::SequencePoolBackward(dpooled_, history_.lengths(), dim_, /*mean=*/true, &dseq_));
  row_grads->resize(tables_.size());
  ASSIGN_OR_RETURN((*row_grads)[kItemsTable],
                   ops::Tensor::AllocateZeros({index_[kItemsTable].num_unique, dim_}, device()));
  RETURN_IF_ERROR(history_.Scatter(dseq_, dim_, &(*row_grads)[kItemsTable]));
  ASSIGN_OR_RETURN((*row_grads)[kSoftmaxTable],
                   ops::Tensor::AllocateZeros({index_[kSoftmaxTable].num_unique, out_dim_}, device()));
  RETURN_IF_ERROR(ItemSequence::Backward(ditem_, 0, index_[kSoftmaxTable], 0, &(*row_grads)[kSoftmaxTable]));
  // The loss is the mean over groups: the summed loss's gradient is `groups` times it.
  return internal::ScaleToSummedLoss(groups, row_grads);
}

Status YouTubeRetrievalModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                      const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  return internal::Probabilities(logits_, probabilities);
}

YouTubeRankingModel::YouTubeRankingModel(ModelOptions options) : LogisticModel(std::move(options)) {
  tables_.push_back(internal::FieldEmbeddings::Table(0, "embeddings", options_));
  const int64_t width = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim + options_.num_dense;
  tower_ = std::make_unique<ops::Mlp>(&params_, "tower", width, options_.hidden, 1);
}

void YouTubeRankingModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(1);
  (*inputs)[0].Clear();
  internal::FieldEmbeddings::PrepareInputs(batch, options_.num_categorical, &(*inputs)[0]);
}

Status YouTubeRankingModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                    const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  RETURN_IF_ERROR(internal::UploadInputs(inputs, device(), &index_));
  const int64_t n = batch.size, embedded = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim;
  RETURN_IF_ERROR(EnsureShape(&x_, {n, embedded + options_.num_dense}, device()));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Forward(index_[0], rows[0], options_.embedding_dim, &x_));
  RETURN_IF_ERROR(internal::CopyDenseFeatures(batch, embedded, &dense_features_, &x_));
  return tower_->Forward(x_, &logits_);
}

Status YouTubeRankingModel::Backward(const data::Batch& /*batch*/, std::vector<ops::Tensor>* row_grads) {
  RETURN_IF_ERROR(tower_->Backward(dlogits_, &dx_));
  RETURN_IF_ERROR(internal::FieldEmbeddings::Backward(dx_, index_[0], options_.embedding_dim, &(*row_grads)[0]));
  return Status::OK();
}

}  // namespace ember::models
