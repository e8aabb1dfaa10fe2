// SparseTable (sparse_table.h): construction and budget, the batch calls
// and their split across threads, the traffic with the RocksDB tier (loads of
// a batch's misses, CLOCK write-back), the whole-table calls. Expire is in
// sparse_table_expiry.cc; the slots, CLOCK marks, admission counters and row
// meta are the types of storage/internal/.
#include "storage/sparse_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "common/coding.h"
#include "common/logging.h"
#include "common/part_runner.h"
#include "storage/optimizer.h"

namespace ember::storage {

SparseTable::SparseTable(sparse::TableConfig config, uint64_t seed, TierOptions tier)
    : config_(std::move(config)),
      seed_(seed),
      tier_(tier),
      tiered_(tier.budget_bytes() > 0),
      admission_(tier.min_count > 1),
      layout_(config_),
      slots_(layout_.row_floats()),
      pending_(tier.min_count) {
  parts_.resize(1);
  parts_[0].grad_row.resize(static_cast<size_t>(config_.dim));
  CHECK(!tiered_ || tier_.cold != nullptr)
      << "table " << config_.name << " (id " << config_.id << "): a memory budget of " << tier_.budget_bytes()
      << " bytes needs a cold tier";
}

int64_t SharedMemoryBudget::PartOf(const SparseTable& table) const {
  // Weights: the bytes all of a table's rows (both tiers) would take in
  // memory; a table's first row counts before it has one, so that empty
  // tables split by row size.
  const auto weight = [](const SparseTable* t) {
    return static_cast<double>(t->num_rows() + 1) * static_cast<double>(t->ChargePerRow());
  };
  double total = 0;
  for (const SparseTable* t : tables_) total += weight(t);
  return std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(bytes_) * weight(&table) / total));
}

int64_t SparseTable::MaxMemoryRows() const {
  if (!tiered_) return std::numeric_limits<int64_t>::max();
  const int64_t budget = tier_.shared != nullptr ? tier_.shared->PartOf(*this) : tier_.memory_bytes;
  const int64_t left = budget - static_cast<int64_t>(pending_.MemoryBytes());
  return left > 0 ? left / ChargePerRow() : 0;
}

float* SparseTable::CreateRow(Key key, uint32_t slot, uint32_t step) {
  float* row = slots_.RowAt(slot);
  InitRowValue(config_, seed_, key, row);
  InitOptimizerState(config_.optimizer, config_.dim, layout_.State(row));
  layout_.SetMeta(row, 0, step);
  if (tiered_) clock_.PlaceNew(slot, key);
  return row;
}

void SparseTable::EraseMemoryRow(Key key) {
  const uint32_t slot = slots_.Erase(key);
  if (tiered_) clock_.Free(slot);
}

namespace {

// Keys ahead whose index entry is prefetched.
constexpr size_t kIndexAhead = 8;
// Keys ahead whose row a push looks up and prefetches (ForEachRowAhead).
constexpr size_t kRowAhead = 8;

// Fetches the cache lines of `bytes` bytes at `p`.
inline void PrefetchBytes(const void* p, size_t bytes) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63};
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + bytes;
  for (uintptr_t line = first; line < end; line += 64) __builtin_prefetch(reinterpret_cast<const void*>(line));
}

// Calls fn(i, row) for i = 0..n-1 in order, with row = lookup(i), but calls
// lookup(i + kRowAhead) before fn(i) and prefetches the `row_bytes` of the
// row it returns (nullptr: none), so that the memory reads of the next rows
// overlap the work on this one. The rows must stay where they are for the
// whole batch (no row is freed or moved within one). A key twice within
// kRowAhead keys gets its row twice before the first update: the values are
// those of a plain loop, and so are its CLOCK uses (TouchInStep).
template <typename Lookup, typename Fn>
void ForEachRowAhead(size_t n, size_t row_bytes, Lookup&& lookup, Fn&& fn) {
  float* ahead[kRowAhead];  // the row of key j is in ahead[j % kRowAhead]
  auto look_up = [&](size_t j) {
    float* row = lookup(j);
    if (row != nullptr) PrefetchBytes(row, row_bytes);
    ahead[j % kRowAhead] = row;
  };
  for (size_t j = 0; j < std::min(n, kRowAhead); ++j) look_up(j);
  for (size_t i = 0; i < n; ++i) {
    float* row = ahead[i % kRowAhead];
    if (i + kRowAhead < n) look_up(i + kRowAhead);
    fn(i, row);
  }
}

// InsertRow evicts once the memory tier is this many rows over budget.
constexpr int64_t kInsertSlackRows = 1024;

inline Key KeyAt(const char* key_bytes, size_t i) {
  if constexpr (std::endian::native == std::endian::little) {
    Key key;
    std::memcpy(&key, key_bytes + 8 * i, sizeof(key));
    return key;
  }
  return DecodeFixed64(key_bytes + 8 * i);
}

}  // namespace

inline float* SparseTable::RowForUpdate(Key key, bool count, uint32_t step) {
  if (!admission_) {
    bool inserted = false;
    const uint32_t slot = slots_.FindOrInsert(key, &inserted);
    if (inserted) return CreateRow(key, slot, step);
    if (tiered_) TouchInStep(slot, step);
    return slots_.RowAt(slot);
  }
  const uint32_t slot = slots_.Find(key);
  if (slot != internal::RowSlots::kNotFound) {
    if (tiered_) TouchInStep(slot, step);
    return slots_.RowAt(slot);
  }
  if (!count || !pending_.CountAndAdmit(key, step)) return nullptr;
  return CreateRow(key, slots_.Insert(key), step);
}

inline float* SparseTable::TieredRowForUpdate(const char* key_bytes, size_t i, bool count, uint32_t step) {
  const uint32_t slot = batch_slots_[i];
  if (slot == internal::RowSlots::kNotFound) return RowForUpdate(KeyAt(key_bytes, i), count, step);
  TouchInStep(slot, step);
  return slots_.RowAt(slot);
}

inline float* SparseTable::BatchRowForUpdate(const char* key_bytes, size_t n, size_t i, bool count, uint32_t step) {
  if (i + kIndexAhead < n) slots_.Prefetch(KeyAt(key_bytes, i + kIndexAhead));
  return tiered_ ? TieredRowForUpdate(key_bytes, i, count, step) : RowForUpdate(KeyAt(key_bytes, i), count, step);
}

void SparseTable::CountColdLookups() {
  cold_lookups_ += static_cast<int64_t>(miss_keys_.size());
  for (size_t j = 0; j < miss_keys_.size(); ++j) cold_found_ += miss_found_[j] ? 1 : 0;
}

Status SparseTable::LoadMisses(const char* key_bytes, size_t n) {
  miss_keys_.clear();
  batch_slots_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (i + kIndexAhead < n) slots_.Prefetch(KeyAt(key_bytes, i + kIndexAhead));
    const Key key = KeyAt(key_bytes, i);
    batch_slots_[i] = slots_.Find(key);
    if (batch_slots_[i] == internal::RowSlots::kNotFound) miss_keys_.push_back(key);
  }
  if (miss_keys_.empty()) return Status::OK();
  std::sort(miss_keys_.begin(), miss_keys_.end());
  miss_keys_.erase(std::unique(miss_keys_.begin(), miss_keys_.end()), miss_keys_.end());
  const size_t row_floats = static_cast<size_t>(layout_.row_floats());
  miss_rows_.resize(miss_keys_.size() * row_floats);
  RETURN_IF_ERROR(tier_.cold->MultiGet(config_.id, miss_keys_, layout_.row_floats(), miss_rows_.data(), &miss_found_));
  CountColdLookups();
  for (size_t j = 0; j < miss_keys_.size(); ++j) {
    if (!miss_found_[j]) continue;
    const uint32_t slot = slots_.Insert(miss_keys_[j]);
    std::memcpy(slots_.RowAt(slot), miss_rows_.data() + j * row_floats, layout_.row_bytes());
    clock_.PlaceLoaded(slot, miss_keys_[j]);
    --cold_only_rows_;
  }
  return Status::OK();
}

Status SparseTable::EvictTo(int64_t max_rows) {
  const int64_t excess = memory_rows() - max_rows;
  if (excess <= 0) return Status::OK();
  clock_.PickVictims(static_cast<size_t>(excess), slots_.slot_end(), &victim_slots_);
  victim_keys_.clear();
  victim_rows_.clear();
  for (uint32_t slot : victim_slots_) {
    victim_keys_.push_back(clock_.KeyOf(slot));
    victim_rows_.push_back(slots_.RowAt(slot));
  }
  // PutRows copies the rows (its writer thread writes them): the slots are
  // free when it returns.
  Status written = tier_.cold->PutRows(config_.id, victim_keys_, victim_rows_, layout_.row_floats());
  if (!written.ok()) {
    clock_.KeepVictims(victim_slots_);  // still in memory
    return written.WithContext("evicting " + std::to_string(victim_keys_.size()) + " rows of table " + config_.name);
  }
  for (Key key : victim_keys_) EraseMemoryRow(key);
  cold_only_rows_ += static_cast<int64_t>(victim_slots_.size());
  return Status::OK();
}

namespace {

// Which of `parts` parts of a server's thread pool updates key's row. The
// high half of the same Mix64 whose low bits place the key in the index,
// so the parts split every index cluster alike.
inline int PartOfKey(Key key, int parts) {
  return static_cast<int>(((Mix64(key) >> 32) * static_cast<uint64_t>(parts)) >> 32);
}

// A batch is split across threads from this many keys per part on: below,
// waking the threads (tens of microseconds) costs more than their share of
// the work (25-50 ns a key; bench/README.md, "bench/ps/ps_bench").
constexpr size_t kMinKeysPerPart = 512;

}  // namespace

void SparseTable::set_runner(PartRunner* runner) {
  runner_ = runner;
  parts_.resize(static_cast<size_t>(runner == nullptr ? 1 : runner->parts()));
  for (PartScratch& part : parts_) part.grad_row.resize(static_cast<size_t>(config_.dim));
}

bool SparseTable::SplitBatch(size_t n) const {
  return runner_ != nullptr && runner_->parts() > 1 && n >= kMinKeysPerPart * static_cast<size_t>(runner_->parts());
}

template <typename TouchFn, typename UpdateFn>
const std::vector<uint32_t>& SparseTable::UpdateMemoryRowsByParts(const char* key_bytes, size_t n, TouchFn&& touch,
                                                                  UpdateFn&& update) {
  const size_t row_bytes = layout_.row_bytes();
  const int parts = runner_->parts();
  // Sized here, so that the parts allocate nothing (PartRunner's jobs must
  // not throw); part 0's `left` takes every part's.
  for (PartScratch& scratch : parts_) {
    scratch.positions.resize(n);
    scratch.left.clear();
    scratch.left.reserve(n);
  }
  // Each part reads every key and keeps its own; it looks their rows up
  // (read-only: the index does not change during this pass) and updates
  // those in memory, leaving the others to the caller.
  runner_->Run([&](int part) {
    PartScratch& scratch = parts_[static_cast<size_t>(part)];
    // Branch-free: the position is written always and kept when it is ours.
    uint32_t* const mine = scratch.positions.data();
    size_t m = 0;
    for (size_t i = 0; i < n; ++i) {
      mine[m] = static_cast<uint32_t>(i);
      m += PartOfKey(KeyAt(key_bytes, i), parts) == part ? 1 : 0;
    }
    auto lookup = [&](size_t j) -> float* {
      if (j + kIndexAhead < m) slots_.Prefetch(KeyAt(key_bytes, mine[j + kIndexAhead]));
      const uint32_t slot = slots_.Find(KeyAt(key_bytes, mine[j]));
      if (slot == internal::RowSlots::kNotFound) return nullptr;
      touch(slot);
      return slots_.RowAt(slot);
    };
    ForEachRowAhead(m, row_bytes, lookup, [&](size_t j, float* row) {
      if (row == nullptr) {
        scratch.left.push_back(mine[j]);
      } else {
        update(mine[j], row, part);
      }
    });
  });
  std::vector<uint32_t>& left = parts_[0].left;
  for (int part = 1; part < parts; ++part) {
    const std::vector<uint32_t>& more = parts_[static_cast<size_t>(part)].left;
    left.insert(left.end(), more.begin(), more.end());
  }
  std::sort(left.begin(), left.end());
  return left;
}

Status SparseTable::PullBatch(const char* key_bytes, size_t n, bool create, uint32_t step, char* out) {
  const size_t dim = static_cast<size_t>(config_.dim);
  const size_t row_bytes = dim * sizeof(float);
  if (!create) {
    miss_keys_.clear();
    miss_positions_.clear();
    // A key without a memory row reads as zeros, or as its RocksDB row.
    const auto absent = [&](size_t i) {
      std::memset(out + i * row_bytes, 0, row_bytes);
      if (tiered_) {
        miss_keys_.push_back(KeyAt(key_bytes, i));
        miss_positions_.push_back(i);
      }
    };
    if (SplitBatch(n)) {
      const auto touch = [&](uint32_t slot) {
        if (tiered_) clock_.Touch(slot);
      };
      const auto read = [&](size_t i, float* row, int /*part*/) { EncodeFloats(row, dim, out + i * row_bytes); };
      for (const uint32_t i : UpdateMemoryRowsByParts(key_bytes, n, touch, read)) absent(i);
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (i + kIndexAhead < n) slots_.Prefetch(KeyAt(key_bytes, i + kIndexAhead));
        const uint32_t slot = slots_.Find(KeyAt(key_bytes, i));
        if (slot == internal::RowSlots::kNotFound) {
          absent(i);
          continue;
        }
        if (tiered_) clock_.Touch(slot);
        EncodeFloats(slots_.RowAt(slot), dim, out + i * row_bytes);
      }
    }
    if (miss_keys_.empty()) return Status::OK();
    // Cold rows are read, not loaded: a read-only pull changes nothing.
    const size_t row_floats = static_cast<size_t>(layout_.row_floats());
    miss_rows_.resize(miss_keys_.size() * row_floats);
    RETURN_IF_ERROR(
        tier_.cold->MultiGet(config_.id, miss_keys_, layout_.row_floats(), miss_rows_.data(), &miss_found_));
    CountColdLookups();
    for (size_t j = 0; j < miss_keys_.size(); ++j) {
      if (miss_found_[j]) EncodeFloats(miss_rows_.data() + j * row_floats, dim, out + miss_positions_[j] * row_bytes);
    }
    return Status::OK();
  }
  if (tiered_) RETURN_IF_ERROR(LoadMisses(key_bytes, n));
  const auto pull = [&](size_t i, float* row, int /*part*/) {
    if (row == nullptr) {
      std::memset(out + i * row_bytes, 0, row_bytes);
    } else {
      layout_.SetLastStep(row, step);
      EncodeFloats(row, dim, out + i * row_bytes);
    }
  };
  if (SplitBatch(n)) {
    // The keys left (not in memory) are created or counted for admission on
    // this thread, in batch order.
    for (const uint32_t i : UpdateMemoryRowsByParts(key_bytes, n, TouchInStepFn(step), pull)) {
      pull(i, RowForUpdate(KeyAt(key_bytes, i), /*count=*/true, step), 0);
    }
  } else {
    // A plain loop: a pull's work per row is one copy, which the row's
    // lookup already dominates, so looking rows up ahead (as PushBatch does)
    // does not pay (bench/README.md, "Pushes made cheaper").
    for (size_t i = 0; i < n; ++i) pull(i, BatchRowForUpdate(key_bytes, n, i, /*count=*/true, step), 0);
  }
  if (tiered_) return EvictTo(MaxMemoryRows());
  return Status::OK();
}

Status SparseTable::PushBatch(const char* key_bytes, const char* grad_bytes, size_t n, uint32_t step) {
  const size_t dim = static_cast<size_t>(config_.dim);
  const size_t grad_bytes_per_row = dim * sizeof(float);
  const bool adagrad_from_wire =
      std::endian::native == std::endian::little && config_.optimizer.type == sparse::SparseOptimizerType::kAdagrad;
  if (tiered_) RETURN_IF_ERROR(LoadMisses(key_bytes, n));
  const auto push = [&](size_t i, float* row, int part) {
    if (row == nullptr) return;  // not admitted: dropped
    const uint32_t count = layout_.CountPush(row, step);
    const char* grad = grad_bytes + i * grad_bytes_per_row;
    if (adagrad_from_wire) {
      ApplyAdagradFromWire(config_.optimizer.learning_rate, config_.dim, grad, row, layout_.State(row));
    } else {
      float* grad_row = parts_[static_cast<size_t>(part)].grad_row.data();
      DecodeFloats(grad, dim, grad_row);
      ApplySparseOptimizer(config_.optimizer, config_.dim, grad_row, count, row, layout_.State(row));
    }
  };
  if (SplitBatch(n)) {
    // Keys left: a key's first occurrence may create its row (no admission),
    // which its later ones then update, as in one thread.
    for (const uint32_t i : UpdateMemoryRowsByParts(key_bytes, n, TouchInStepFn(step), push)) {
      push(i, RowForUpdate(KeyAt(key_bytes, i), /*count=*/false, step), 0);
    }
  } else {
    auto lookup = [&](size_t i) { return BatchRowForUpdate(key_bytes, n, i, /*count=*/false, step); };
    ForEachRowAhead(n, layout_.row_bytes(), lookup, [&](size_t i, float* row) { push(i, row, 0); });
  }
  if (tiered_) return EvictTo(MaxMemoryRows());
  return Status::OK();
}

Status SparseTable::ForEachRow(const std::function<void(Key, const float* row)>& fn) {
  ForEachMemoryRow(fn);
  if (!tiered_) return Status::OK();
  return tier_.cold->ForEachRow(config_.id, layout_.row_floats(), [&](Key key, const float* row) {
    if (slots_.Find(key) == internal::RowSlots::kNotFound) fn(key, row);
    return Status::OK();
  });
}

void SparseTable::ForEachMemoryRow(const std::function<void(Key, const float* row)>& fn) const {
  slots_.ForEach([&](Key key, uint32_t slot) { fn(key, slots_.RowAt(slot)); });
}

void SparseTable::ForEachPendingCount(const std::function<void(Key, uint32_t count, uint32_t last_step)>& fn) const {
  pending_.ForEach(fn);
}

Status SparseTable::InsertRow(Key key, const float* row) {
  pending_.Erase(key);
  uint32_t slot = slots_.Find(key);
  if (slot == internal::RowSlots::kNotFound) {
    bool in_cold = false;
    if (tiered_) {
      miss_rows_.resize(static_cast<size_t>(layout_.row_floats()));
      RETURN_IF_ERROR(tier_.cold->Get(config_.id, key, layout_.row_floats(), miss_rows_.data(), &in_cold));
      if (in_cold) --cold_only_rows_;
    }
    slot = slots_.Insert(key);
    if (tiered_) clock_.PlaceNew(slot, key, /*has_cold_copy=*/in_cold);
  } else if (tiered_) {
    clock_.Touch(slot);
  }
  std::memcpy(slots_.RowAt(slot), row, layout_.row_bytes());
  if (tiered_ && memory_rows() > MaxMemoryRows() + kInsertSlackRows) return EvictTo(MaxMemoryRows());
  return Status::OK();
}

void SparseTable::SetPendingCount(Key key, uint32_t count, uint32_t last_step) { pending_.Set(key, count, last_step); }

StatusOr<uint64_t> SparseTable::Checksum() {
  const int row_floats = layout_.row_floats();
  uint64_t sum = 0;
  RETURN_IF_ERROR(ForEachRow([&](Key key, const float* row) {
    uint64_t h = Mix64(key);
    for (int i = 0; i < row_floats; ++i) h = Mix64(h ^ std::bit_cast<uint32_t>(row[i]));
    sum += h;
  }));
  return sum;
}

size_t SparseTable::MemoryBytes() const { return slots_.MemoryBytes() + pending_.MemoryBytes() + clock_.MemoryBytes(); }

}  // namespace ember::storage
