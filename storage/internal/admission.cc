#include "storage/internal/admission.h"

namespace ember::storage::internal {

bool AdmissionCounters::CountAndAdmit(Key key, uint32_t step) {
  KeyIndex::Entry* entry = counters_.FindEntry(key);
  uint32_t seen = 1;
  if (entry == nullptr) {
    bool inserted = false;
    counters_.FindOrInsert(key, seen, &inserted);
    entry = counters_.FindEntry(key);
  } else {
    seen = ++entry->slot;
  }
  entry->aux = step;
  if (seen < min_count_) return false;
  counters_.Erase(key);
  return true;
}

void AdmissionCounters::Set(Key key, uint32_t count, uint32_t last_step) {
  if (count == 0 || count == KeyIndex::kNotFound) {
    counters_.Erase(key);
    return;
  }
  bool inserted = false;
  counters_.FindOrInsert(key, count, &inserted);
  KeyIndex::Entry* entry = counters_.FindEntry(key);
  entry->slot = count;
  entry->aux = last_step;
}

}  // namespace ember::storage::internal
