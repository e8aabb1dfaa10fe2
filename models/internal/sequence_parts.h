// models/internal/sequence_parts.h: what DIN, BST and YouTube DNN share.
// Private to models/.
//
// Their batches come from data::InteractionReader: field 0 the user, field
// 1 the target item and, with max_seq_len > 0, field 2 the user's history
// (item keys, oldest first). History and target items share one embedding
// table, so the history's keys and the targets' keys go in one SparseInput
// as two groups. A history enters the dense ops as a padded [B, P*dim]
// matrix (ops/sequence.h, HistoryIndex below). ItemSequence's functions are
// static and thread-safe; a HistoryIndex belongs to one model.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "models/internal/logistic_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/tensor.h"

namespace ember::models::internal {

inline constexpr int kSequenceUserField = 0;
inline constexpr int kSequenceItemField = 1;
inline constexpr int kSequenceHistoryField = 2;

struct ItemSequence {
  // Appends to *input the target items as one group (one key per sample)
  // when `target`, then, when max_len > 0, the latest max_len keys of each
  // sample's history as the next group, and dedups them.
  static void PrepareInputs(const data::Batch& batch, bool target, int max_len, SparseInput* input);
  // A one-key group: rows of group `group` into columns [col, col+dim) of
  // *out ([B, C]); Backward accumulates dout's columns into *grads.
  static Status Forward(const TableIndex& index, int group, const ops::Tensor& rows, int64_t col, ops::Tensor* out);
  static Status Backward(const ops::Tensor& dout, int64_t col, const TableIndex& index, int group, ops::Tensor* grads);
};

// A history group laid out as a padded sequence: `positions` slots per
// sample, the latest item at slot `first`, then the one before it, and so
// on; slots past a sample's history stay empty (zeros). Built on the host
// from the SparseInput, then moved to the model's device once per step.
class HistoryIndex {
 public:
  // The layout of group `group` of `input` (with no such group, max_len 0,
  // every history is empty) for batch_size samples, on `device`.
  Status Build(const SparseInput& input, int group, int64_t first, int64_t positions, int64_t batch_size,
               ops::Device device);
  // rows into *seq ([B, positions*dim], resized here): zeros where no item is.
  Status Gather(const ops::Tensor& rows, int64_t dim, ops::Tensor* seq) const;
  // grads[row of each history item] += dseq at its slot (Gather's gradient).
  Status Scatter(const ops::Tensor& dseq, int64_t dim, ops::Tensor* grads) const;
  // lengths[b] = first + the sample's history length (<= positions), on the device.
  const ops::IndexTensor& lengths() const { return lengths_; }

 private:
  int64_t batch_size_ = 0, positions_ = 0;
  // Slot s of sample b is bag b * positions + s of one embedding pool: its
  // ids are 0 or 1 rows of the unique keys.
  std::vector<int32_t> host_ids_, host_offsets_, host_lengths_;
  ops::IndexTensor ids_, offsets_, lengths_;
};

// The base of din and bst: tables `items` (id 0: candidates and history
// items) and `users` (id 1), both FieldEmbeddings tables; their inputs; the
// layout (no dense features; user, item and, when max_seq_len > 0,
// history); TrainStep and Predict are LogisticModel's.
class UserItemHistoryModel : public LogisticModel {
 public:
  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const final;

 protected:
  static constexpr int kItemsTable = 0;
  static constexpr int kUsersTable = 1;
  static constexpr int kHistoryGroup = 1;  // of the items input, after the candidates' group
  // Sets the layout and adds the two tables; the subclass adds its layers
  // and finalizes params_.
  explicit UserItemHistoryModel(ModelOptions options);
  // Checks the inputs (CheckStepInputs, CheckSequenceBatch) and uploads
  // every table's index into index_: the first thing a subclass's Forward
  // does.
  Status CheckInputs(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                     const std::vector<ops::Tensor>& rows);

  std::vector<TableIndex> index_;
};

// Checks the sequence models' batch layout: InvalidArgument naming what is
// wrong (the flags that make it: --data_format=interactions, --max_seq_len).
Status CheckSequenceBatch(const data::Batch& batch, int max_seq_len);

}  // namespace ember::models::internal
