// storage/internal/row_layout.h: where the parts of a sparse table's row lie,
// and the one place that reads and writes a row's meta.
//
// A row is row_floats() floats:
//   [value: dim][optimizer state: state_floats][meta: update count, last step]
// with the two meta words uint32 stored bit for bit (std::bit_cast), so a row
// moves between the tiers and into checkpoints as plain floats. The update
// count is the pushes the row has had (Adam's bias correction uses it); the
// last step is that of the row's latest push or creating pull (expiry
// compares it with ttl_steps, the CLOCK counts one use per step with it).
// A value type holding only the sizes; every call is thread-safe.
//
//   RowLayout layout(config);
//   const uint32_t count = layout.CountPush(row, step);
//   ApplySparseOptimizer(config.optimizer, layout.dim(), grad, count, row, layout.State(row));
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "sparse/table_config.h"

namespace ember::storage::internal {

class RowLayout {
 public:
  static constexpr int kMetaWords = 2;

  explicit RowLayout(const sparse::TableConfig& config)
      : dim_(config.dim), state_floats_(sparse::OptimizerStateFloats(config.optimizer.type, config.dim)) {}

  int dim() const { return dim_; }
  int state_floats() const { return state_floats_; }
  // Floats per row: value, optimizer state and meta.
  int row_floats() const { return dim_ + state_floats_ + kMetaWords; }
  size_t row_bytes() const { return static_cast<size_t>(row_floats()) * sizeof(float); }

  // The optimizer state part of `row`.
  float* State(float* row) const { return row + dim_; }
  const float* State(const float* row) const { return row + dim_; }

  uint32_t UpdateCount(const float* row) const { return std::bit_cast<uint32_t>(row[meta()]); }
  uint32_t LastStep(const float* row) const { return std::bit_cast<uint32_t>(row[meta() + 1]); }

  // Sets both meta words (a new row: count 0 and the step it was made at).
  void SetMeta(float* row, uint32_t count, uint32_t step) const {
    row[meta()] = std::bit_cast<float>(count);
    SetLastStep(row, step);
  }
  // A pull of `row` at `step`, or its first use in that step.
  void SetLastStep(float* row, uint32_t step) const { row[meta() + 1] = std::bit_cast<float>(step); }
  // A push at `step`: one update more, last step `step`. Returns the new
  // update count, the one the optimizer is given.
  uint32_t CountPush(float* row, uint32_t step) const {
    const uint32_t count = UpdateCount(row) + 1;
    SetMeta(row, count, step);
    return count;
  }

 private:
  int meta() const { return dim_ + state_floats_; }

  int dim_;
  int state_floats_;
};

}  // namespace ember::storage::internal
