// data/batch.h: one mini-batch of CTR records, as every reader produces it.
//
// Dense features are a row-major float matrix; each categorical (sparse)
// field is a CSR list of 64-bit keys (key = HashFieldToken(field, token), see
// common/hash.h), so a field may hold any number of keys per sample. The
// Criteo reader gives every field exactly one key per sample.
//
// A Batch is a plain value: not thread-safe; a reader fills it, a worker
// consumes it. Reuse one Batch across Next() calls to keep its capacity.
//
//   Batch batch;
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, reader.Next(&batch));
//     if (!more) break;
//     for (int64_t b = 0; b < batch.size; ++b) { ... batch.labels[b] ... }
//   }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hash.h"

namespace ember::data {

// One categorical field of a batch, in CSR form.
struct SparseField {
  std::vector<Key> keys;         // all keys of all samples, in sample order
  std::vector<int32_t> offsets;  // size batch+1; sample b's keys are keys[offsets[b]..offsets[b+1])

  // Number of keys of sample b.
  int32_t NumKeys(int64_t b) const { return offsets[b + 1] - offsets[b]; }
};

struct Batch {
  int64_t size = 0;           // samples in this batch
  int num_dense = 0;          // dense features per sample
  std::vector<float> labels;  // size
  // Per-sample loss weights: size, or empty when every weight is 1 (only
  // the SchemaReader with a weight column fills it).
  std::vector<float> weights;
  std::vector<float> dense;         // size * num_dense, row-major
  std::vector<SparseField> fields;  // one per categorical field
  // Per-sample text of the id column: size, or empty (only a SchemaReader
  // with an id_column fills it).
  std::vector<std::string> ids;

  // Empties the batch (size 0, no labels, no weights, no ids) but keeps num_dense,
  // the number of fields and all capacity; every field's offsets become {0}.
  void Clear();

  // The dense features of sample b: dense[b*num_dense .. (b+1)*num_dense).
  const float* DenseRow(int64_t b) const { return dense.data() + b * num_dense; }
};

}  // namespace ember::data
