#include "models/youtube_dnn.h"

#include "models/internal/parts.h"
#include "models/internal/sequence_parts.h"
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
  params_.Finalize(options_.seed);
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
  const int64_t n = batch.size;
  ItemSequence::GatherHistory(inputs[kItemsTable], 0, rows[kItemsTable], dim_, 0, options_.max_seq_len, n, &seq_,
                              &lengths_);
  EnsureShape(&pooled_, {n, dim_});
  RETURN_IF_ERROR(ops::SequencePoolForward(seq_, internal::IndexView(lengths_), dim_, /*mean=*/true, &pooled_));
  RETURN_IF_ERROR(tower_->Forward(pooled_, &user_));
  EnsureShape(&item_, {n, out_dim_});
  RETURN_IF_ERROR(ItemSequence::Forward(inputs[kSoftmaxTable], 0, rows[kSoftmaxTable], 0, &item_));
  EnsureShape(&logits_, {n, 1});
  for (int64_t b = 0; b < n; ++b) {
    const float* u = user_.data() + b * out_dim_;
    const float* v = item_.data() + b * out_dim_;
    float dot = 0;
    for (int64_t k = 0; k < out_dim_; ++k) dot += u[k] * v[k];
    logits_.data()[b] = dot;
  }
  return Status::OK();
}

Status YouTubeRetrievalModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                        const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                                        StepResult* result) {
  ASSIGN_OR_RETURN(const int64_t group, GroupSize(batch.labels));
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size, groups = n / group;
  // Each group's softmax has its positive, column 0, as the class.
  const ops::Tensor grouped = logits_.Reshaped({groups, group});
  const std::vector<int32_t> classes(groups, 0);
  const ops::IndexTensor targets = internal::IndexView(classes);
  RETURN_IF_ERROR(ops::SoftmaxCrossEntropyForward(grouped, ops::Tensor(), targets, &result->mean_loss));
  EnsureShape(&dlogits_, {groups, group});
  RETURN_IF_ERROR(ops::SoftmaxCrossEntropyBackward(grouped, ops::Tensor(), targets, &dlogits_));
  internal::Probabilities(logits_, n, &result->probabilities);
  EnsureShape(&duser_, {n, out_dim_});
  EnsureShape(&ditem_, {n, out_dim_});
  for (int64_t b = 0; b < n; ++b) {
    const float g = dlogits_.data()[b];
    const float* u = user_.data() + b * out_dim_;
    const float* v = item_.data() + b * out_dim_;
    for (int64_t k = 0; k < out_dim_; ++k) {
      duser_.data()[b * out_dim_ + k] = g * v[k];
      ditem_.data()[b * out_dim_ + k] = g * u[k];
    }
  }
  RETURN_IF_ERROR(tower_->Backward(duser_, &dpooled_));
  EnsureShape(&dseq_, seq_.shape());
  RETURN_IF_ERROR(
      ops::SequencePoolBackward(dpooled_, internal::IndexView(lengths_), dim_, /*mean=*/true, &dseq_));
  row_grads->resize(tables_.size());
  (*row_grads)[kItemsTable] =
      ops::Tensor::Zeros({static_cast<int64_t>(inputs[kItemsTable].unique.keys.size()), dim_});
  ItemSequence::ScatterHistory(dseq_, inputs[kItemsTable], 0, dim_, 0, options_.max_seq_len,
                               &(*row_grads)[kItemsTable]);
  (*row_grads)[kSoftmaxTable] =
      ops::Tensor::Zeros({static_cast<int64_t>(inputs[kSoftmaxTable].unique.keys.size()), out_dim_});
  RETURN_IF_ERROR(ItemSequence::Backward(ditem_, 0, inputs[kSoftmaxTable], 0, &(*row_grads)[kSoftmaxTable]));
  // The loss is the mean over groups: the summed loss's gradient is `groups` times it.
  internal::ScaleToSummedLoss(groups, row_grads);
  return Status::OK();
}

Status YouTubeRetrievalModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                      const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  internal::Probabilities(logits_, batch.size, probabilities);
  return Status::OK();
}

YouTubeRankingModel::YouTubeRankingModel(ModelOptions options) : Model(std::move(options)) {
  tables_.push_back(internal::FieldEmbeddings::Table(0, "embeddings", options_));
  const int64_t width = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim + options_.num_dense;
  tower_ = std::make_unique<ops::Mlp>(&params_, "tower", width, options_.hidden, 1);
  params_.Finalize(options_.seed);
}

void YouTubeRankingModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(1);
  (*inputs)[0].Clear();
  internal::FieldEmbeddings::PrepareInputs(batch, options_.num_categorical, &(*inputs)[0]);
}

Status YouTubeRankingModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                    const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  const int64_t n = batch.size, embedded = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim;
  EnsureShape(&x_, {n, embedded + options_.num_dense});
  RETURN_IF_ERROR(internal::FieldEmbeddings::Forward(inputs[0], rows[0], options_.embedding_dim, &x_));
  internal::CopyDenseFeatures(batch, embedded, &x_);
  return tower_->Forward(x_, &logits_);
}

Status YouTubeRankingModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                      const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                                      StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  RETURN_IF_ERROR(internal::LogisticLoss(batch, logits_, &dlogits_, result));  // weighted by batch.weights
  RETURN_IF_ERROR(tower_->Backward(dlogits_, &dx_));
  row_grads->resize(1);
  RETURN_IF_ERROR(internal::FieldEmbeddings::Backward(dx_, inputs[0], options_.embedding_dim, &(*row_grads)[0]));
  internal::ScaleToSummedLoss(batch.size, row_grads);
  return Status::OK();
}

Status YouTubeRankingModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                    const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  internal::Probabilities(logits_, batch.size, probabilities);
  return Status::OK();
}

}  // namespace ember::models
