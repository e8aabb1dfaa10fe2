// storage/internal/row_slots.h: the memory rows of one sparse table, and the
// index from key to row slot.
//
// Rows live in slabs, each one contiguous array of kRowsPerSlab rows of
// row_floats floats; slot s is row s % kRowsPerSlab of slab s / kRowsPerSlab.
// A row never moves while its key is in the index. A KeyIndex maps each key
// to its slot. A new key takes the free list's last slot (freed last, reused
// first), else the lowest slot never used; slabs are added as those run out
// and never given back. A new slot's row holds garbage until the caller
// writes it. Which slot each key gets depends only on the order of the
// inserts and erases, so two tables fed the same calls lay out the same.
//
// Thread-compatible. Find, Prefetch and RowAt change nothing and may run on
// several threads at once while no thread inserts or erases (the parts of a
// split batch).
//
//   RowSlots slots(row_floats);
//   bool inserted = false;
//   const uint32_t slot = slots.FindOrInsert(key, &inserted);
//   if (inserted) InitRow(slots.RowAt(slot));
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/hash.h"
#include "storage/key_index.h"

namespace ember::storage::internal {

class RowSlots {
 public:
  static constexpr uint32_t kRowsPerSlab = 4096;
  static constexpr uint32_t kNotFound = KeyIndex::kNotFound;

  explicit RowSlots(int row_floats) : row_floats_(row_floats) {}
  RowSlots(const RowSlots&) = delete;
  RowSlots& operator=(const RowSlots&) = delete;

  // Keys (rows) in memory.
  size_t size() const { return index_.size(); }
  // One past the highest slot ever taken: every row's slot is below it.
  uint32_t slot_end() const { return next_slot_; }

  // The slot of `key`, or kNotFound.
  uint32_t Find(Key key) const { return index_.Find(key); }
  // Hints the CPU to fetch key's index entry (call a few keys ahead).
  void Prefetch(Key key) const { index_.Prefetch(key); }
  // The slot of `key`; when absent, inserts it with a new slot and sets
  // *inserted (the row is then the caller's to write).
  uint32_t FindOrInsert(Key key, bool* inserted) {
    const uint32_t candidate = NextFreeSlot();
    const uint32_t slot = index_.FindOrInsert(key, candidate, inserted);
    if (*inserted) TakeSlot(candidate);
    return slot;
  }
  // Inserts `key`, which must be absent (DCHECKed), with a new slot.
  uint32_t Insert(Key key);
  // Erases `key`, which must be present (DCHECKed), and frees its slot.
  // Returns the slot.
  uint32_t Erase(Key key);

  float* RowAt(uint32_t slot) {
    return slabs_[slot / kRowsPerSlab].get() + static_cast<size_t>(slot % kRowsPerSlab) * row_floats_;
  }
  const float* RowAt(uint32_t slot) const {
    return slabs_[slot / kRowsPerSlab].get() + static_cast<size_t>(slot % kRowsPerSlab) * row_floats_;
  }

  // Calls fn(key, slot) for every row, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    index_.ForEach(fn);
  }

  // Bytes held by the slabs, the index and the free list.
  size_t MemoryBytes() const;

 private:
  // The slot the next new row gets: the free list's last, else a fresh one.
  uint32_t NextFreeSlot() const { return free_slots_.empty() ? next_slot_ : free_slots_.back(); }
  // Takes `slot` (== NextFreeSlot()) for a new row; adds a slab when needed.
  void TakeSlot(uint32_t slot) {
    if (!free_slots_.empty()) {
      free_slots_.pop_back();
      return;
    }
    ++next_slot_;
    if (slot / kRowsPerSlab >= slabs_.size()) AddSlab();
  }
  void AddSlab();

  int row_floats_;
  KeyIndex index_;
  std::vector<std::unique_ptr<float[]>> slabs_;
  uint32_t next_slot_ = 0;
  std::vector<uint32_t> free_slots_;
};

}  // namespace ember::storage::internal
