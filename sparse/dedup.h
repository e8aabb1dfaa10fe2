// sparse/dedup.h: unique keys of a batch and the inverse index back to them.
//
// A worker dedups each table's keys before a pull, so that a row crosses the
// wire once per batch, and uses the inverse index to scatter the pulled rows
// to every occurrence (and to sum gradients back per unique row).
// Thread-safe: scratch space is per thread.
//
//   UniqueKeys unique;
//   Dedup(batch_keys, &unique);
//   // unique.keys[unique.inverse[i]] == batch_keys[i]
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/hash.h"

namespace ember::sparse {

struct UniqueKeys {
  std::vector<Key> keys;         // distinct keys, in order of first occurrence
  std::vector<int32_t> inverse;  // keys[inverse[i]] == input[i]
};

// Fills *out from `keys` (fewer than 2^31 of them), reusing out's capacity.
// Open addressing over a per-thread scratch table; no std::unordered_map.
void Dedup(std::span<const Key> keys, UniqueKeys* out);

}  // namespace ember::sparse
