#include "ps/sparse_table.h"

#include <bit>

namespace ember::ps {

SparseTable::SparseTable(TableConfig config, uint64_t seed)
    : config_(std::move(config)),
      seed_(seed),
      state_floats_(OptimizerStateFloats(config_.optimizer.type, config_.dim)),
      row_floats_(config_.dim + state_floats_ + 2) {}

float* SparseTable::CreateRow(Key key, uint32_t slot) {
  if (slot / kRowsPerSlab >= slabs_.size()) {
    slabs_.emplace_back(new float[static_cast<size_t>(kRowsPerSlab) * row_floats_]);
  }
  ++next_slot_;
  float* row = RowAt(slot);
  InitRowValue(config_, seed_, key, row);
  InitOptimizerState(config_.optimizer, config_.dim, row + config_.dim);
  row[config_.dim + state_floats_] = std::bit_cast<float>(uint32_t{0});
  row[config_.dim + state_floats_ + 1] = std::bit_cast<float>(uint32_t{0});
  return row;
}

void SparseTable::Push(Key key, const float* grad, uint32_t step) {
  float* row = FindOrCreateRow(key);
  float* meta = row + config_.dim + state_floats_;
  const uint32_t count = std::bit_cast<uint32_t>(meta[0]) + 1;
  meta[0] = std::bit_cast<float>(count);
  meta[1] = std::bit_cast<float>(step);
  ApplySparseOptimizer(config_.optimizer, config_.dim, grad, count, row, row + config_.dim);
}

uint32_t SparseTable::UpdateCount(const float* row, int dim, int state_floats) {
  return std::bit_cast<uint32_t>(row[dim + state_floats]);
}

uint32_t SparseTable::LastStepOf(const float* row) const {
  return std::bit_cast<uint32_t>(row[config_.dim + state_floats_ + 1]);
}

uint64_t SparseTable::Checksum() const {
  uint64_t sum = 0;
  index_.ForEach([&](Key key, uint32_t slot) {
    const float* row = RowAt(slot);
    uint64_t h = Mix64(key);
    for (int i = 0; i < row_floats_; ++i) h = Mix64(h ^ std::bit_cast<uint32_t>(row[i]));
    sum += h;
  });
  return sum;
}

size_t SparseTable::MemoryBytes() const {
  return slabs_.size() * static_cast<size_t>(kRowsPerSlab) * row_floats_ * sizeof(float) + index_.MemoryBytes();
}

}  // namespace ember::ps
