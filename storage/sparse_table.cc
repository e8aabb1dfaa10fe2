#include "storage/sparse_table.h"

#include <algorithm>
#include <bit>

#include "common/coding.h"

namespace ember::storage {

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

namespace {

// Keys ahead whose index entry is prefetched. Measured (ps_bench
// BM_Table*): a deeper pipeline that also looked rows up 2..8 keys ahead and
// prefetched them ran slower here than this plain loop, which the core's
// out-of-order window already overlaps across keys.
constexpr size_t kIndexAhead = 8;

inline Key KeyAt(const char* key_bytes, size_t i) {
  if constexpr (std::endian::native == std::endian::little) {
    Key key;
    std::memcpy(&key, key_bytes + 8 * i, sizeof(key));
    return key;
  }
  return DecodeFixed64(key_bytes + 8 * i);
}

}  // namespace

template <typename Fn>
void SparseTable::ForEachRow(const char* key_bytes, size_t n, bool create, Fn&& fn) {
  for (size_t i = 0; i < n; ++i) {
    if (i + kIndexAhead < n) index_.Prefetch(KeyAt(key_bytes, i + kIndexAhead));
    const Key key = KeyAt(key_bytes, i);
    fn(i, create ? FindOrCreateRow(key) : FindRow(key));
  }
}

void SparseTable::PullBatch(const char* key_bytes, size_t n, bool create, char* out) {
  const size_t dim = static_cast<size_t>(config_.dim);
  const size_t row_bytes = dim * sizeof(float);
  ForEachRow(key_bytes, n, create, [&](size_t i, const float* row) {
    if (row == nullptr) {
      std::memset(out + i * row_bytes, 0, row_bytes);
    } else {
      EncodeFloats(row, dim, out + i * row_bytes);
    }
  });
}

void SparseTable::PushBatch(const char* key_bytes, const char* grad_bytes, size_t n, uint32_t step) {
  const size_t dim = static_cast<size_t>(config_.dim);
  const size_t grad_bytes_per_row = dim * sizeof(float);
  const bool adagrad_from_wire =
      std::endian::native == std::endian::little && config_.optimizer.type == SparseOptimizerType::kAdagrad;
  grad_row_.resize(dim);
  ForEachRow(key_bytes, n, /*create=*/true, [&](size_t i, float* row) {
    float* meta = row + config_.dim + state_floats_;
    const uint32_t count = std::bit_cast<uint32_t>(meta[0]) + 1;
    meta[0] = std::bit_cast<float>(count);
    meta[1] = std::bit_cast<float>(step);
    const char* grad = grad_bytes + i * grad_bytes_per_row;
    if (adagrad_from_wire) {
      ApplyAdagradFromWire(config_.optimizer.learning_rate, config_.dim, grad, row, row + config_.dim);
    } else {
      DecodeFloats(grad, dim, grad_row_.data());
      ApplySparseOptimizer(config_.optimizer, config_.dim, grad_row_.data(), count, row, row + config_.dim);
    }
  });
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

}  // namespace ember::storage
