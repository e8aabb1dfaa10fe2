// tests/util/reference_table.h: the reference a server's sparse tables are
// checked against: one key at a time, every row in a std::unordered_map, no
// tiers, no admission, no expiry, no slots.
//
// A row is created as storage::SparseTable creates one (InitRowValue, then
// InitOptimizerState) and a push applies ApplySparseOptimizer with the row's
// update count including that push, as a SparseTable's push does; so after
// the same pulls and pushes the values (and optimizer states) are bitwise
// those of a SparseTable of the same config and seed. Nothing expires, so no
// last step is kept. Header-only; thread-compatible.
//
//   ReferenceTable reference(config, seed);
//   reference.Push(key, grad, /*step=*/1);
//   reference.Pull(key, /*create=*/false, want.data());
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/hash.h"
#include "sparse/table_config.h"
#include "storage/optimizer.h"

namespace ember::testing_util {

class ReferenceTable {
 public:
  ReferenceTable(sparse::TableConfig config, uint64_t seed) : config_(std::move(config)), seed_(seed) {}

  // Copies key's value (dim floats) to `out`. A missing row is created when
  // `create`; else it reads as zeros and nothing is created.
  void Pull(Key key, bool create, float* out) {
    const Row* row = create ? &FindOrCreate(key) : Find(key);
    if (row == nullptr) {
      std::fill(out, out + config_.dim, 0.0f);
    } else {
      std::copy(row->floats.begin(), row->floats.begin() + config_.dim, out);
    }
  }
  // Applies the table's optimizer with `grad` (dim floats) to key's row,
  // creating it first when absent. `step` is that of the push (kept by a
  // SparseTable as the row's last step; unused here).
  void Push(Key key, const float* grad, uint32_t /*step*/) {
    Row& row = FindOrCreate(key);
    ++row.update_count;
    storage::ApplySparseOptimizer(config_.optimizer, config_.dim, grad, row.update_count, row.floats.data(),
                                  row.floats.data() + config_.dim);
  }
  size_t size() const { return rows_.size(); }

 private:
  struct Row {
    std::vector<float> floats;  // value (dim), then optimizer state
    uint32_t update_count = 0;
  };

  const Row* Find(Key key) const {
    const auto it = rows_.find(key);
    return it == rows_.end() ? nullptr : &it->second;
  }
  Row& FindOrCreate(Key key) {
    auto [it, inserted] = rows_.try_emplace(key);
    if (inserted) {
      Row& row = it->second;
      row.floats.resize(
          static_cast<size_t>(config_.dim + sparse::OptimizerStateFloats(config_.optimizer.type, config_.dim)));
      storage::InitRowValue(config_, seed_, key, row.floats.data());
      storage::InitOptimizerState(config_.optimizer, config_.dim, row.floats.data() + config_.dim);
    }
    return it->second;
  }

  sparse::TableConfig config_;
  uint64_t seed_;
  std::unordered_map<Key, Row> rows_;
};

}  // namespace ember::testing_util
