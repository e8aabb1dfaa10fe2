// storage/internal/clock_eviction.h: which memory rows of a tiered sparse
// table go to its RocksDB tier when the memory tier is over budget: GCLOCK.
//
// Per row slot (of RowSlots) it keeps the slot's key (a victim's key, for the
// write-back), a use count of 0..kMaxUses, whether the slot is free, and
// whether RocksDB holds a (stale) copy of the key. A use is added by Touch
// (the table touches a row once per step it is pushed or pulled, and on a
// read-only pull); the hand turns over the slots, takes one use off each row
// it passes and picks a row that has none. A full turn takes one use off
// every row, so kMaxUses + 1 turns pick any number of victims up to the
// rows. Which rows are picked depends only on the calls, never on timing.
// The marks grow a slab's worth of slots (RowSlots::kRowsPerSlab) at a time,
// as the slots do.
//
// Thread-compatible: the table's calling thread. Touch of distinct slots may
// run on several threads at once (the parts of a split batch touch the rows
// of their own keys) while nothing is placed, freed or picked.
//
//   clock.PlaceNew(slot, key);                       // a row created in slot
//   clock.Touch(slot);                               // used again
//   clock.PickVictims(excess, slots.slot_end(), &victims);  // then write back and Free them
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/hash.h"

namespace ember::storage::internal {

class ClockEviction {
 public:
  // A row created in `slot` for `key` (used once), RocksDB holding a stale
  // copy of the key when has_cold_copy.
  void PlaceNew(uint32_t slot, Key key, bool has_cold_copy = false) {
    Place(slot, key, static_cast<uint8_t>(1 | (has_cold_copy ? kHasColdCopy : 0)));
  }
  // A row of `key` loaded into `slot` from RocksDB, whose copy stays there
  // (stale once the row changes). No use yet: the access of the batch that
  // loaded it counts one.
  void PlaceLoaded(uint32_t slot, Key key) { Place(slot, key, kHasColdCopy); }
  // One use more, up to kMaxUses.
  void Touch(uint32_t slot) {
    const uint8_t flags = flags_[slot];
    if ((flags & kUseMask) < kMaxUses) flags_[slot] = flags + 1;
  }
  // The slot's row is gone (written back, expired): no row, no cold copy.
  void Free(uint32_t slot) { flags_[slot] = kFree; }
  bool HasColdCopy(uint32_t slot) const { return (flags_[slot] & kHasColdCopy) != 0; }
  Key KeyOf(uint32_t slot) const { return slot_keys_[slot]; }

  // Turns the hand over the slots below slot_end until `count` rows are
  // picked (count must not exceed the rows placed and not freed), and
  // leaves their slots in *victims (cleared first) in key order. The
  // victims count as free to the hand until Free or KeepVictims.
  void PickVictims(size_t count, uint32_t slot_end, std::vector<uint32_t>* victims);
  // The victims stay in memory (their write-back failed): as they were.
  void KeepVictims(const std::vector<uint32_t>& victims);

  // Bytes held by the per-slot keys and marks.
  size_t MemoryBytes() const { return slot_keys_.capacity() * sizeof(Key) + flags_.capacity(); }

 private:
  // Per-slot flags. Bits 0-1 count a row's uses (one per step at most), up
  // to kMaxUses; kMaxUses 1 would be plain CLOCK (a reference bit). Measured
  // on tier_bench's Zipf(1.05) stream, 10% of the rows in memory: 3 misses
  // 0.318 of the keys, 1 misses 0.343 (an oracle holding the hottest rows:
  // 0.227).
  static constexpr uint8_t kUseMask = 3;
  static constexpr uint8_t kMaxUses = 3;
  static constexpr uint8_t kFree = 4;         // no row (free, or picked for eviction)
  static constexpr uint8_t kHasColdCopy = 8;  // RocksDB holds a (stale) copy of this key

  void Place(uint32_t slot, Key key, uint8_t flags) {
    if (slot >= flags_.size()) Grow(slot);
    slot_keys_[slot] = key;
    flags_[slot] = flags;
  }
  // Covers the slots up to the end of the slab of `slot`, new ones free.
  void Grow(uint32_t slot);

  std::vector<Key> slot_keys_;
  std::vector<uint8_t> flags_;
  uint32_t hand_ = 0;
};

}  // namespace ember::storage::internal
