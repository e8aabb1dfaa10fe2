#include "models/internal/sequence_parts.h"

#include <algorithm>
#include <cstring>

#include "models/internal/parts.h"
#include "ops/embedding_pool.h"
#include "sparse/dedup.h"

namespace ember::models::internal {

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

Status ItemSequence::Forward(const TableIndex& index, int group, const ops::Tensor& rows, int64_t col,
                             ops::Tensor* out) {
  const GroupIndex& g = index.groups[group];
  return ops::EmbeddingPoolForward(rows, g.ids, g.offsets, ops::PoolMode::kSum, col, out);
}

Status ItemSequence::Backward(const ops::Tensor& dout, int64_t col, const TableIndex& index, int group,
                              ops::Tensor* grads) {
  const GroupIndex& g = index.groups[group];
  return ops::EmbeddingPoolBackward(dout, col, g.ids, g.offsets, ops::PoolMode::kSum, grads);
}

Status HistoryIndex::Build(const SparseInput& input, int group, int64_t first, int64_t positions, int64_t batch_size,
                           ops::Device device) {
  batch_size_ = batch_size;
  positions_ = positions;
  host_ids_.clear();
  host_offsets_.assign(1, 0);
  host_offsets_.reserve(static_cast<size_t>(batch_size * positions + 1));
  host_lengths_.assign(static_cast<size_t>(batch_size), static_cast<int32_t>(first));
  const bool has_group = group < static_cast<int>(input.offsets.size());
  for (int64_t b = 0; b < batch_size; ++b) {
    int64_t count = 0;
    if (has_group) {
      const std::vector<int32_t>& offsets = input.offsets[group];
      const int32_t* ids = input.unique.inverse.data() + input.group_begin[group];
      count = std::min<int64_t>(offsets[b + 1] - offsets[b], positions - first);
      for (int64_t j = 0; j < count; ++j) host_ids_.push_back(ids[offsets[b + 1] - 1 - j]);
    }
    // Slots [0, first) and [first + count, positions) are empty bags.
    for (int64_t s = 0; s < positions; ++s) {
      const bool filled = s >= first && s < first + count;
      host_offsets_.push_back(host_offsets_.back() + (filled ? 1 : 0));
    }
    host_lengths_[b] = static_cast<int32_t>(first + count);
  }
  RETURN_IF_ERROR(HostIndex(host_ids_, device, &ids_));
  RETURN_IF_ERROR(HostIndex(host_offsets_, device, &offsets_));
  return HostIndex(host_lengths_, device, &lengths_);
}

Status HistoryIndex::Gather(const ops::Tensor& rows, int64_t dim, ops::Tensor* seq) const {
  RETURN_IF_ERROR(EnsureShape(seq, {batch_size_, positions_ * dim}, rows.device()));
  ops::Tensor slots = seq->Reshaped({batch_size_ * positions_, dim});
  return ops::EmbeddingPoolForward(rows, ids_, offsets_, ops::PoolMode::kSum, 0, &slots);
}

Status HistoryIndex::Scatter(const ops::Tensor& dseq, int64_t dim, ops::Tensor* grads) const {
  const ops::Tensor slots = dseq.Reshaped({batch_size_ * positions_, dim});
  return ops::EmbeddingPoolBackward(slots, 0, ids_, offsets_, ops::PoolMode::kSum, grads);
}

namespace {

ModelOptions UserItemHistoryLayout(ModelOptions options) {
  options.num_dense = 0;
  options.num_categorical = options.max_seq_len > 0 ? 3 : 2;
  return options;
}

}  // namespace

UserItemHistoryModel::UserItemHistoryModel(ModelOptions options)
    : LogisticModel(UserItemHistoryLayout(std::move(options))) {
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
                                         const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  RETURN_IF_ERROR(CheckSequenceBatch(batch, options_.max_seq_len));
  return UploadInputs(inputs, options_.device, &index_);
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
