// storage/key_index.h: an open-addressing (linear probing) hash index from a
// 64-bit key to a 32-bit row slot.
//
// Chosen over std::unordered_map by measurement (bench/ps/, figures in
// bench/README.md): one flat array of {key, slot} entries, no node allocation,
// a probe sequence that stays in one or two cache lines. The table doubles
// when it is 70% full; Erase uses backward-shift deletion (no tombstones).
// An entry is 16 bytes: the key, the slot and a spare 32-bit word (`aux`, in
// what would be padding) that a user may set through FindEntry: the
// admission counters of SparseTable keep {count in slot, last step in aux}.
// Thread-compatible: one owner thread, or external locking.
//
//   KeyIndex index;
//   bool inserted;
//   uint32_t slot = index.FindOrInsert(key, next_slot, &inserted);
//   if (index.Find(key) == KeyIndex::kNotFound) ...
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/hash.h"

namespace ember::storage {

class KeyIndex {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;

  // Room for `expected_keys` without growing.
  explicit KeyIndex(size_t expected_keys = 0) { Rehash(CapacityFor(expected_keys)); }

  // Hints the CPU to fetch the cache line where the probe for `key` starts.
  void Prefetch(Key key) const { __builtin_prefetch(&entries_[Home(key)]); }

  // The slot of `key`, or kNotFound.
  uint32_t Find(Key key) const {
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      const Entry& e = entries_[i];
      if (e.slot == kNotFound) return kNotFound;
      if (e.key == key) return e.slot;
    }
  }

  struct Entry {
    Key key = 0;
    uint32_t slot = kNotFound;
    uint32_t aux = 0;
  };

  // The entry of `key`, or nullptr. Valid until the next insertion or erase.
  Entry* FindEntry(Key key) {
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.slot == kNotFound) return nullptr;
      if (e.key == key) return &e;
    }
  }

  // The slot of `key`; when absent, inserts it with `new_slot` (which must
  // not be kNotFound, aux 0) and sets *inserted.
  uint32_t FindOrInsert(Key key, uint32_t new_slot, bool* inserted) {
    if ((size_ + 1) * 10 > entries_.size() * 7) Rehash(entries_.size() * 2);
    for (size_t i = Home(key);; i = (i + 1) & mask_) {
      Entry& e = entries_[i];
      if (e.slot == kNotFound) {
        e.key = key;
        e.slot = new_slot;
        e.aux = 0;
        ++size_;
        *inserted = true;
        return new_slot;
      }
      if (e.key == key) {
        *inserted = false;
        return e.slot;
      }
    }
  }

  // Removes `key`; returns its slot, or kNotFound if it was absent.
  uint32_t Erase(Key key) {
    size_t i = Home(key);
    for (;; i = (i + 1) & mask_) {
      if (entries_[i].slot == kNotFound) return kNotFound;
      if (entries_[i].key == key) break;
    }
    const uint32_t slot = entries_[i].slot;
    // Backward shift: pull later entries of the cluster into the hole when
    // their home position does not lie cyclically in (hole, j].
    size_t hole = i;
    for (size_t j = (i + 1) & mask_; entries_[j].slot != kNotFound; j = (j + 1) & mask_) {
      const size_t home = Home(entries_[j].key);
      const bool home_in_range = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!home_in_range) {
        entries_[hole] = entries_[j];
        hole = j;
      }
    }
    entries_[hole].slot = kNotFound;
    --size_;
    return slot;
  }

  size_t size() const { return size_; }
  size_t capacity() const { return entries_.size(); }
  size_t MemoryBytes() const { return entries_.size() * sizeof(Entry); }

  // Calls fn(key, slot) for every entry, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : entries_) {
      if (e.slot != kNotFound) fn(e.key, e.slot);
    }
  }
  // Calls fn(const Entry&) for every entry, in no particular order.
  template <typename Fn>
  void ForEachEntry(Fn&& fn) const {
    for (const Entry& e : entries_) {
      if (e.slot != kNotFound) fn(e);
    }
  }

 private:
  static size_t CapacityFor(size_t keys) {
    size_t capacity = 16;
    while (capacity * 7 < keys * 10) capacity *= 2;
    return capacity;
  }
  size_t Home(Key key) const { return static_cast<size_t>(Mix64(key)) & mask_; }

  void Rehash(size_t capacity) {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(capacity, Entry{});
    mask_ = capacity - 1;
    for (const Entry& e : old) {
      if (e.slot == kNotFound) continue;
      size_t i = Home(e.key);
      while (entries_[i].slot != kNotFound) i = (i + 1) & mask_;
      entries_[i] = e;
    }
  }

  std::vector<Entry> entries_;
  size_t mask_ = 0;
  size_t size_ = 0;
};
static_assert(sizeof(KeyIndex::Entry) == 16, "an index entry is 16 bytes (SparseTable's budget counts on it)");

}  // namespace ember::storage
