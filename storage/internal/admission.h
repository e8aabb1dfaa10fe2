// storage/internal/admission.h: the admission counters of a sparse table
// (TierOptions::min_count): the keys seen by creating pulls that have no row
// yet.
//
// A key absent from both tiers is counted by each creating pull; the
// min_count-th admits it (its counter goes, and the table creates its row).
// Per key the counter holds the pulls counted and the step of the last, in
// one 16-byte KeyIndex entry {key, slot: count, aux: last step}. The
// counters stay in memory, never evicted: the table's budget is charged
// their MemoryBytes() before its rows. With min_count 0 or 1 nothing is
// counted, but a restore may still Set counters.
//
// Thread-compatible: the table's calling thread.
//
//   AdmissionCounters pending(/*min_count=*/3);
//   if (pending.CountAndAdmit(key, step)) CreateRow(key);  // the 3rd creating pull
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/hash.h"
#include "storage/key_index.h"

namespace ember::storage::internal {

class AdmissionCounters {
 public:
  explicit AdmissionCounters(uint32_t min_count) : min_count_(min_count) {}
  AdmissionCounters(const AdmissionCounters&) = delete;
  AdmissionCounters& operator=(const AdmissionCounters&) = delete;

  // Counts a creating pull of `key` (which has no row) at `step`. True when
  // this pull admits the key (its min_count-th): its counter is then gone.
  bool CountAndAdmit(Key key, uint32_t step);
  // Forgets key's counter, if any.
  void Erase(Key key) { counters_.Erase(key); }
  // Restore: sets key's count (0 removes it) and the step it was last counted at.
  void Set(Key key, uint32_t count, uint32_t last_step);
  // Calls fn(key, count, last_step) for every counter, in no particular order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    counters_.ForEachEntry([&](const KeyIndex::Entry& e) { fn(e.key, e.slot, e.aux); });
  }

  size_t size() const { return counters_.size(); }
  // Bytes held by the counters' index.
  size_t MemoryBytes() const { return counters_.MemoryBytes(); }

 private:
  uint32_t min_count_;
  KeyIndex counters_;  // key -> {slot: count, aux: last step counted}
};

}  // namespace ember::storage::internal
