#include "sparse/dedup.h"

#include <algorithm>

namespace ember::sparse {

void Dedup(std::span<const Key> keys, UniqueKeys* out) {
  out->keys.clear();
  out->inverse.resize(keys.size());
  if (keys.empty()) return;
  // Table of indices into out->keys; -1 is empty. At most 50% full.
  thread_local std::vector<int32_t> table;
  size_t capacity = 16;
  while (capacity < 2 * keys.size()) capacity *= 2;
  if (table.size() < capacity) table.resize(capacity);
  std::fill(table.begin(), table.begin() + static_cast<std::ptrdiff_t>(capacity), -1);
  const size_t mask = capacity - 1;
  out->keys.reserve(keys.size());
  Key* unique = nullptr;
  for (size_t i = 0; i < keys.size(); ++i) {
    const Key key = keys[i];
    size_t slot = static_cast<size_t>(Mix64(key)) & mask;
    for (;;) {
      const int32_t index = table[slot];
      if (index < 0) {
        const auto next = static_cast<int32_t>(out->keys.size());
        table[slot] = next;
        out->keys.push_back(key);
        unique = out->keys.data();
        out->inverse[i] = next;
        break;
      }
      if (unique[index] == key) {
        out->inverse[i] = index;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
}

}  // namespace ember::sparse
