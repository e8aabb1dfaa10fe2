// tests/util/model_batches.h: the small batches the model tests share.
//  - CtrBatch: 6 samples with dense features, repeated keys across samples
//    and fields, a multi-key field and an empty one (the CTR models).
//  - SequenceBatch: the interaction reader's layout (user, target item and
//    optionally a history) in two groups of a positive and two negatives
//    (ncf without the history; din, bst and youtube_retrieval).
#pragma once

#include <string>
#include <vector>

#include "common/hash.h"
#include "data/batch.h"

namespace ember::testing_util {

inline constexpr int kCtrDense = 3;
inline constexpr int kCtrFields = 4;

inline data::Batch CtrBatch() {
  data::Batch batch;
  batch.num_dense = kCtrDense;
  batch.fields.resize(kCtrFields);
  batch.Clear();
  const int n = 6;
  for (int b = 0; b < n; ++b) {
    for (int f = 0; f < kCtrFields; ++f) {
      data::SparseField& field = batch.fields[f];
      if (f == 3 && b % 3 == 0) {
        // field 3: sample 0 and 3 empty, the others two keys
      } else {
        field.keys.push_back(HashFieldToken(f, std::to_string((b * (f + 1)) % 4)));
        if (f == 3) field.keys.push_back(HashFieldToken(f, std::to_string(b % 2 + 7)));
      }
      field.offsets.push_back(static_cast<int32_t>(field.keys.size()));
    }
    for (int d = 0; d < kCtrDense; ++d) batch.dense.push_back(0.3f * static_cast<float>((b + 2 * d) % 5) - 0.4f);
    batch.labels.push_back(b % 3 == 1 ? 1.f : 0.f);
  }
  batch.size = n;
  return batch;
}

inline Key User(int u) { return HashFieldToken(0, std::to_string(u)); }
inline Key Item(int i) { return HashFieldToken(1, std::to_string(i)); }

// Two groups of a positive and two negatives (the layout of the reader's
// train batches), with histories of 5 (longer than max_seq_len 3), 1, 0, 2,
// 3 (a repeated item) and 0 items; history items are also targets, so rows
// get gradients from both roles.
inline data::Batch SequenceBatch(bool with_history) {
  const std::vector<int> users = {1, 1, 1, 2, 2, 2};
  const std::vector<int> targets = {1, 7, 8, 2, 1, 9};
  const std::vector<std::vector<int>> histories = {{3, 4, 5, 6, 2}, {1}, {}, {3, 7}, {4, 4, 2}, {}};
  data::Batch batch;
  batch.num_dense = 0;
  batch.fields.resize(with_history ? 3 : 2);
  batch.Clear();
  for (size_t b = 0; b < users.size(); ++b) {
    batch.fields[0].keys.push_back(User(users[b]));
    batch.fields[1].keys.push_back(Item(targets[b]));
    if (with_history) {
      for (int item : histories[b]) batch.fields[2].keys.push_back(Item(item));
    }
    for (data::SparseField& field : batch.fields) field.offsets.push_back(static_cast<int32_t>(field.keys.size()));
    batch.labels.push_back(b % 3 == 0 ? 1.f : 0.f);
  }
  batch.size = static_cast<int64_t>(users.size());
  return batch;
}

}  // namespace ember::testing_util
