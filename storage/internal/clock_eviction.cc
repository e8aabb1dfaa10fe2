#include "storage/internal/clock_eviction.h"

#include <algorithm>

#include "storage/internal/row_slots.h"

namespace ember::storage::internal {

void ClockEviction::Grow(uint32_t slot) {
  const size_t slots = (static_cast<size_t>(slot) / RowSlots::kRowsPerSlab + 1) * RowSlots::kRowsPerSlab;
  slot_keys_.resize(slots);
  flags_.resize(slots, kFree);
}

void ClockEviction::PickVictims(size_t count, uint32_t slot_end, std::vector<uint32_t>* victims) {
  victims->clear();
  while (victims->size() < count) {
    const uint32_t slot = hand_;
    hand_ = hand_ + 1 >= slot_end ? 0 : hand_ + 1;
    const uint8_t flags = flags_[slot];
    if (flags & kFree) continue;
    if (flags & kUseMask) {
      flags_[slot] = flags - 1;  // one use fewer
      continue;
    }
    flags_[slot] = flags | kFree;  // not picked twice
    victims->push_back(slot);
  }
  // In key order: RocksDB's memtable skiplist starts each insert from where
  // the previous one ended, and the tier keeps its write-back copy sorted
  // without a permutation.
  std::sort(victims->begin(), victims->end(), [&](uint32_t a, uint32_t b) { return slot_keys_[a] < slot_keys_[b]; });
}

void ClockEviction::KeepVictims(const std::vector<uint32_t>& victims) {
  for (uint32_t slot : victims) flags_[slot] &= ~kFree;
}

}  // namespace ember::storage::internal
