// SparseTable::Expire (contract in sparse_table.h): expiry of rows and
// admission counters after ttl_steps steps without a push or creating pull.
// A row or counter last touched at step `last` has expired at `now` when
// last + ttl_steps < now (in 64 bits: no wrap-around). A memory row decides
// for its key; a cold copy is deleted with it when RocksDB holds one, and a
// row only in RocksDB by its own last step.
#include <cstdint>
#include <vector>

#include "storage/sparse_table.h"

namespace ember::storage {
namespace {

bool Expired(uint32_t last_step, uint32_t ttl_steps, uint32_t now_step) {
  return static_cast<uint64_t>(last_step) + ttl_steps < now_step;
}

}  // namespace

StatusOr<int64_t> SparseTable::Expire(uint32_t now_step) {
  const uint32_t ttl = tier_.ttl_steps;
  if (ttl == 0) return int64_t{0};
  int64_t deleted = 0;
  std::vector<Key> cold_deletes;
  // Cold rows first, while the memory index still tells which cold copies
  // are stale (a memory row decides for its key).
  if (tiered_) {
    RETURN_IF_ERROR(tier_.cold->ForEachRow(config_.id, layout_.row_floats(), [&](Key key, const float* row) {
      if (slots_.Find(key) == internal::RowSlots::kNotFound && Expired(layout_.LastStep(row), ttl, now_step)) {
        cold_deletes.push_back(key);
      }
      return Status::OK();
    }));
  }
  const int64_t cold_only_expired = static_cast<int64_t>(cold_deletes.size());
  std::vector<Key> memory_expired;
  slots_.ForEach([&](Key key, uint32_t slot) {
    if (Expired(layout_.LastStep(slots_.RowAt(slot)), ttl, now_step)) memory_expired.push_back(key);
  });
  if (tiered_) {
    for (Key key : memory_expired) {
      if (clock_.HasColdCopy(slots_.Find(key))) cold_deletes.push_back(key);
    }
    RETURN_IF_ERROR(tier_.cold->Delete(config_.id, cold_deletes));
    cold_only_rows_ -= cold_only_expired;
    deleted += cold_only_expired;
  }
  for (Key key : memory_expired) EraseMemoryRow(key);
  deleted += static_cast<int64_t>(memory_expired.size());
  std::vector<Key> counters_expired;
  pending_.ForEach([&](Key key, uint32_t /*count*/, uint32_t last_step) {
    if (Expired(last_step, ttl, now_step)) counters_expired.push_back(key);
  });
  for (Key key : counters_expired) pending_.Erase(key);
  return deleted;
}

}  // namespace ember::storage
