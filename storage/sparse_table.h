// storage/sparse_table.h: one server's shard of one sparse table, in memory.
//
// Rows live in slabs (contiguous float arrays of kRowsPerSlab rows each; a
// row never moves once created) addressed through a KeyIndex from key to row
// slot. A row is
//   [value: dim floats][optimizer state: OptimizerStateFloats floats][meta: 2 words]
// where meta is {update count, last step} as uint32 stored bit for bit.
// Thread-compatible: a server thread owns its tables.
//
//   SparseTable table(config, /*seed=*/1);
//   table.Pull(key, /*create=*/true, out);    // dim floats
//   table.Push(key, grad, /*step=*/7);        // applies the optimizer in place
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "common/hash.h"
#include "storage/key_index.h"
#include "storage/optimizer.h"
#include "storage/table_config.h"

namespace ember::storage {

class SparseTable {
 public:
  static constexpr uint32_t kRowsPerSlab = 4096;

  // `config` must pass ValidateTableConfig.
  SparseTable(TableConfig config, uint64_t seed);
  SparseTable(const SparseTable&) = delete;
  SparseTable& operator=(const SparseTable&) = delete;

  const TableConfig& config() const { return config_; }
  int dim() const { return config_.dim; }
  // Floats per row, value + state + meta.
  int row_floats() const { return row_floats_; }
  int64_t num_rows() const { return static_cast<int64_t>(index_.size()); }

  // The row of `key`, or nullptr.
  float* FindRow(Key key) {
    const uint32_t slot = index_.Find(key);
    return slot == KeyIndex::kNotFound ? nullptr : RowAt(slot);
  }
  // The row of `key`, created with the initializer when absent.
  float* FindOrCreateRow(Key key) {
    bool inserted = false;
    const uint32_t slot = index_.FindOrInsert(key, next_slot_, &inserted);
    if (!inserted) return RowAt(slot);
    return CreateRow(key, slot);
  }

  // Hints the CPU to fetch key's index entry (call a few keys ahead).
  void Prefetch(Key key) const { index_.Prefetch(key); }

  // Copies key's value (dim floats) to `out`. A missing row is created when
  // `create`, else reads as zeros and nothing is created.
  void Pull(Key key, bool create, float* out) {
    const float* row = create ? FindOrCreateRow(key) : FindRow(key);
    if (row == nullptr) {
      std::memset(out, 0, sizeof(float) * static_cast<size_t>(config_.dim));
    } else {
      std::memcpy(out, row, sizeof(float) * static_cast<size_t>(config_.dim));
    }
  }

  // Applies the table's optimizer with gradient `grad` (dim floats) to key's
  // row, creating it first when absent; records `step` as its last step.
  void Push(Key key, const float* grad, uint32_t step);

  // Batch forms over wire bytes (little-endian, any alignment), the same
  // result as Pull / Push called for each key in order (duplicates
  // included): n keys of 8 bytes; `out` / `grad_bytes` hold n rows of dim
  // floats. Gradients are read in place (no per-row copy).
  void PullBatch(const char* key_bytes, size_t n, bool create, char* out);
  void PushBatch(const char* key_bytes, const char* grad_bytes, size_t n, uint32_t step);

  // Meta of a row (see above).
  static uint32_t UpdateCount(const float* row, int dim, int state_floats);
  uint32_t UpdateCountOf(const float* row) const { return UpdateCount(row, config_.dim, state_floats_); }
  uint32_t LastStepOf(const float* row) const;
  // The optimizer state part of a row.
  float* StateOf(float* row) const { return row + config_.dim; }

  // A 64-bit checksum of every row: for each row, Mix64 chained over the key
  // and the bits of value, optimizer state and meta; the rows' hashes are
  // summed, so the order in which rows were created does not matter. Equal
  // for tables whose rows are bitwise equal. O(rows).
  uint64_t Checksum() const;

  // Bytes held by slabs and index.
  size_t MemoryBytes() const;

 private:
  float* RowAt(uint32_t slot) {
    return slabs_[slot / kRowsPerSlab].get() + static_cast<size_t>(slot % kRowsPerSlab) * row_floats_;
  }
  const float* RowAt(uint32_t slot) const {
    return slabs_[slot / kRowsPerSlab].get() + static_cast<size_t>(slot % kRowsPerSlab) * row_floats_;
  }
  float* CreateRow(Key key, uint32_t slot);
  // Calls fn(i, row of key i) for i in [0, n) in key order, the row created
  // when `create`, else nullptr when absent; index entries prefetched ahead.
  template <typename Fn>
  void ForEachRow(const char* key_bytes, size_t n, bool create, Fn&& fn);

  TableConfig config_;
  uint64_t seed_;
  int state_floats_;
  int row_floats_;
  KeyIndex index_;
  std::vector<std::unique_ptr<float[]>> slabs_;
  uint32_t next_slot_ = 0;
  // PushBatch scratch for optimizers that take native floats.
  std::vector<float> grad_row_;
};

}  // namespace ember::storage
