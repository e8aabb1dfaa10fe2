#include "models/internal/sequence_parts.h"

#include <algorithm>
#include <cstring>

#include "models/internal/parts.h"
#include "ops/embedding_pool.h"
#include "sparse/dedup.h"

namespace ember::models::internal {
namespace {

ops::IndexTensor OneKeyGroupIds(const SparseInput& input, int group) {
  return IndexView(input.unique.inverse, input.group_begin[group], input.offsets[group].back());
}

}  // namespace

void ItemSequence::PrepareInputs(const data::Batch& batch, bool target, int max_len, SparseInput* input) {
  const int64_t n = batch.size;
  if (target) {
    const data::SparseField& items = batch.fields[kSequenceItemField];
    input->group_begin.push_back(static_cast<int32_t>(input->keys.size()));
    input->keys.insert(input->keys.end(), items.keys.begin(), items.keys.begin() + items.offsets[n]);
    input->offsets.emplace_back(items.offsets.begin(), items.offsets.begin() + n + 1);
  }
  if (max_len > 0) {
    const data::SparseField& history = batch.fields[kSequenceHistoryField];
    const size_t begin = input->keys.size();
    input->group_begin.push_back(static_cast<int32_t>(begin));
    std::vector<int32_t> offsets = {0};
    for (int64_t b = 0; b < n; ++b) {
      const int32_t end = history.offsets[b + 1];
      const int32_t start = std::max(history.offsets[b], end - max_len);
      input->keys.insert(input->keys.end(), history.keys.begin() + start, history.keys.begin() + end);
      offsets.push_back(static_cast<int32_t>(input->keys.size() - begin));
    }
    input->offsets.push_back(std::move(offsets));
  }
  sparse::Dedup(input->keys, &input->unique);
}

Status ItemSequence::Forward(const SparseInput& input, int group, const ops::Tensor& rows, int64_t col,
                             ops::Tensor* out) {
  return ops::EmbeddingPoolForward(rows, OneKeyGroupIds(input, group), IndexView(input.offsets[group]),
                                   ops::PoolMode::kSum, col, out);
}

Status ItemSequence::Backward(const ops::Tensor& dout, int64_t col, const SparseInput& input, int group,
                              ops::Tensor* grads) {
  return ops::EmbeddingPoolBackward(dout, col, OneKeyGroupIds(input, group), IndexView(input.offsets[group]),
                                    ops::PoolMode::kSum, grads);
}

void ItemSequence::GatherHistory(const SparseInput& input, int group, const ops::Tensor& rows, int64_t dim,
                                 int64_t first, int64_t positions, int64_t batch_size, ops::Tensor* seq,
                                 std::vector<int32_t>* lengths) {
  const int64_t n = batch_size;
  EnsureShape(seq, {n, positions * dim});
  std::memset(seq->data(), 0, sizeof(float) * seq->numel());
  lengths->assign(n, static_cast<int32_t>(first));
  if (group >= static_cast<int>(input.offsets.size())) return;
  const std::vector<int32_t>& offsets = input.offsets[group];
  const int32_t* ids = input.unique.inverse.data() + input.group_begin[group];
  for (int64_t b = 0; b < n; ++b) {
    const int64_t count = std::min<int64_t>(offsets[b + 1] - offsets[b], positions - first);
    float* out = seq->data() + b * positions * dim;
    for (int64_t j = 0; j < count; ++j) {
      const int32_t id = ids[offsets[b + 1] - 1 - j];
      std::memcpy(out + (first + j) * dim, rows.data() + id * dim, sizeof(float) * dim);
    }
    (*lengths)[b] = static_cast<int32_t>(first + count);
  }
}

void ItemSequence::ScatterHistory(const ops::Tensor& dseq, const SparseInput& input, int group, int64_t dim,
                                  int64_t first, int64_t positions, ops::Tensor* grads) {
  if (group >= static_cast<int>(input.offsets.size())) return;
  const std::vector<int32_t>& offsets = input.offsets[group];
  const auto n = static_cast<int64_t>(offsets.size()) - 1;
  const int32_t* ids = input.unique.inverse.data() + input.group_begin[group];
  for (int64_t b = 0; b < n; ++b) {
    const int64_t count = std::min<int64_t>(offsets[b + 1] - offsets[b], positions - first);
    const float* in = dseq.data() + b * positions * dim;
    for (int64_t j = 0; j < count; ++j) {
      float* g = grads->data() + ids[offsets[b + 1] - 1 - j] * dim;
      const float* d = in + (first + j) * dim;
      for (int64_t k = 0; k < dim; ++k) g[k] += d[k];
    }
  }
}

namespace {

ModelOptions UserItemHistoryLayout(ModelOptions options) {
  options.num_dense = 0;
  options.num_categorical = options.max_seq_len > 0 ? 3 : 2;
  return options;
}

}  // namespace

UserItemHistoryModel::UserItemHistoryModel(ModelOptions options) : Model(UserItemHistoryLayout(std::move(options))) {
  tables_.push_back(FieldEmbeddings::Table(kItemsTable, "items", options_));
  tables_.push_back(FieldEmbeddings::Table(kUsersTable, "users", options_));
}

void UserItemHistoryModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (SparseInput& input : *inputs) input.Clear();
  ItemSequence::PrepareInputs(batch, /*target=*/true, options_.max_seq_len, &(*inputs)[kItemsTable]);
  FieldEmbeddings::PrepareInputs(batch, /*num_categorical=*/1, &(*inputs)[kUsersTable]);
}

Status UserItemHistoryModel::CheckInputs(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                         const std::vector<ops::Tensor>& rows) const {
  RETURN_IF_ERROR(CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  return CheckSequenceBatch(batch, options_.max_seq_len);
}

Status UserItemHistoryModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                     const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  Probabilities(logits_, batch.size, probabilities);
  return Status::OK();
}

Status CheckSequenceBatch(const data::Batch& batch, int max_seq_len) {
  const size_t want = max_seq_len > 0 ? 3 : 2;
  if (batch.num_dense != 0 || batch.fields.size() != want) {
    return Status::InvalidArgument("the sequence models read a user, a target item",
                                   max_seq_len > 0 ? " and a history" : "",
                                   " (--data_format=interactions); the batch has ", batch.num_dense, " dense and ",
                                   batch.fields.size(), " categorical fields");
  }
  const data::SparseField& items = batch.fields[kSequenceItemField];
  for (int64_t b = 0; b < batch.size; ++b) {
    if (items.NumKeys(b) != 1 || batch.fields[kSequenceUserField].NumKeys(b) != 1) {
      return Status::InvalidArgument("sample ", b, " has not exactly one user and one target item");
    }
  }
  return Status::OK();
}

}  // namespace ember::models::internal
