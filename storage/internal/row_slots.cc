#include "storage/internal/row_slots.h"

#include "common/logging.h"

namespace ember::storage::internal {

uint32_t RowSlots::Insert(Key key) {
  bool inserted = false;
  const uint32_t slot = FindOrInsert(key, &inserted);
  DCHECK(inserted);
  return slot;
}

uint32_t RowSlots::Erase(Key key) {
  const uint32_t slot = index_.Erase(key);
  DCHECK(slot != kNotFound);
  free_slots_.push_back(slot);
  return slot;
}

void RowSlots::AddSlab() { slabs_.emplace_back(new float[static_cast<size_t>(kRowsPerSlab) * row_floats_]); }

size_t RowSlots::MemoryBytes() const {
  return slabs_.size() * static_cast<size_t>(kRowsPerSlab) * row_floats_ * sizeof(float) + index_.MemoryBytes() +
         free_slots_.capacity() * sizeof(uint32_t);
}

}  // namespace ember::storage::internal
