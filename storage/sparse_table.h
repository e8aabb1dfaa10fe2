// storage/sparse_table.h: one server's shard of one sparse table: a memory
// tier under a byte budget, over an optional RocksDB tier, with admission
// and expiry of rows.
//
// Rows live in slabs (contiguous float arrays of kRowsPerSlab rows each; a
// row never moves while it is in memory) addressed through a KeyIndex from
// key to row slot (internal/row_slots.h). A row is
//   [value: dim floats][optimizer state: OptimizerStateFloats floats][meta: 2 words]
// where meta is {update count, last step} as uint32 stored bit for bit
// (internal/row_layout.h).
//
// Tiers (TierOptions). With memory_bytes == 0 every row stays in memory (no
// per-slot CLOCK data, no RocksDB). With a budget, rows past it go to `cold`
// (a RocksTier, one column family per table): after each batch a CLOCK hand
// evicts rows down to the budget, written back bit for bit in one
// WriteBatch; their slots are reused. The hand's mark per slot is a 2-bit use
// count (GCLOCK; a push or creating pull adds one per step, up to 3; the hand
// takes one off and evicts at 0), so a row used in several steps outlives a
// row used once: fewer misses than a reference bit
// (internal/clock_eviction.h). A batch's misses are looked up in RocksDB with
// one MultiGet and loaded; a loaded row's cold copy stays (stale) until the
// row is evicted again. Row pointers stay valid during a batch, so eviction
// runs after it: the memory tier may exceed its budget by one batch's rows.
// RocksDB's own memory (block cache, memtables: RocksTierOptions) and the
// RocksTier's write-back buffers (a copy of each table's last eviction, and
// its WriteBatch while it is written) are outside memory_bytes.
//
// A server's tables share one budget (SharedMemoryBudget): each gets a part
// in proportion to the bytes all its rows would take in memory.
//
// Budget arithmetic (see MaxMemoryRows): each memory row costs
//   row_floats * 4 (slab) + 8 (its key, for the CLOCK hand) + 1 (flags)
//   + 4 (free-list entry) + 46 (a 16-byte index entry at the index's lowest
//   load factor, 0.35, right after it doubles)
// and the admission counters (16 bytes per pending key, over the same kind of
// index) are taken off the budget first: they are kept in memory, never
// evicted. Slabs are allocated 4096 rows at a time, so the slab bytes may
// pass the budget by less than one slab.
//
// Admission (min_count > 1): a key absent from both tiers gets a row on its
// min_count-th creating pull; until then it reads as zeros and pushes to it
// are dropped (internal/admission.h). Expiry (ttl_steps > 0): Expire deletes
// rows whose last step (set by pushes and creating pulls) is older than
// ttl_steps, in both tiers (sparse_table_expiry.cc).
//
// Threads (set_runner, --server_threads): a batch call may split its keys
// across a PartRunner's threads by key hash; each row is then updated by one
// of them, in batch order, and rows are created on the calling thread, so
// the rows are bitwise those of one thread and no lock is taken.
//
// Thread-compatible: a server thread owns its tables (and their RocksTier).
//
//   SparseTable table(config, /*seed=*/1, {.memory_bytes = 256 << 20, .cold = tier.get()});
//   RETURN_IF_ERROR(table.PullBatch(keys, n, /*create=*/true, step, out));
//   RETURN_IF_ERROR(table.PushBatch(keys, grads, n, step));
//   ASSIGN_OR_RETURN(int64_t expired, table.Expire(step));
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "sparse/table_config.h"
#include "storage/internal/admission.h"
#include "storage/internal/clock_eviction.h"
#include "storage/internal/row_layout.h"
#include "storage/internal/row_slots.h"
#include "storage/rocks_tier.h"

namespace ember {
class PartRunner;
}  // namespace ember

namespace ember::storage {

class SparseTable;

// A memory-tier budget shared by several tables (a server's
// --server_memory_bytes). Each table's part is in proportion to the bytes its
// rows in both tiers would take in memory, recomputed at every eviction, so
// that every table keeps the same fraction of its rows in memory whatever
// its row size and key count. (A fixed split by row size starved a table of
// many small rows: Wide & Deep's wide table kept fewer rows than one batch
// touches. bench/README.md has the figures.) Before any table has a row
// the parts follow the row sizes.
class SharedMemoryBudget {
 public:
  explicit SharedMemoryBudget(int64_t bytes) : bytes_(bytes) {}
  int64_t bytes() const { return bytes_; }
  // `table` (not owned) takes part; it must outlive this budget's use.
  void Add(const SparseTable* table) { tables_.push_back(table); }
  // The bytes `table` (one that was added) may keep in memory now.
  int64_t PartOf(const SparseTable& table) const;

 private:
  int64_t bytes_;
  std::vector<const SparseTable*> tables_;
};

struct TierOptions {
  int64_t memory_bytes =
      0;  // this table's memory-tier budget (slabs + index + admission counters); 0: unlimited, no eviction
  SharedMemoryBudget* shared = nullptr;  // when set: the budget is this table's part of it (memory_bytes unused)
  RocksTier* cold = nullptr;             // where rows past the budget go; required with a budget; not owned
  uint32_t min_count = 0;  // admission: a key gets a row once seen this often by creating pulls; 0 or 1: at once
  uint32_t ttl_steps = 0;  // expiry: 0 never

  // The budget configured: the shared one's bytes when set, else
  // memory_bytes; 0: no tier.
  int64_t budget_bytes() const { return shared != nullptr ? shared->bytes() : memory_bytes; }
};

class SparseTable {
 public:
  static constexpr uint32_t kRowsPerSlab = internal::RowSlots::kRowsPerSlab;
  // Bytes charged per memory row on top of its floats (see the header comment).
  static constexpr int64_t kRowOverheadBytes = 8 + 1 + 4 + 46;

  // `config` must pass ValidateTableConfig; `tier.cold` must be set when
  // tier.budget_bytes() > 0 (CHECKed: start-up configuration).
  SparseTable(sparse::TableConfig config, uint64_t seed, TierOptions tier = {});
  SparseTable(const SparseTable&) = delete;
  SparseTable& operator=(const SparseTable&) = delete;

  const sparse::TableConfig& config() const { return config_; }
  const TierOptions& tier() const { return tier_; }
  int dim() const { return config_.dim; }
  // Floats per row, value + state + meta.
  int row_floats() const { return layout_.row_floats(); }
  // Floats per row of a table of `config`: value + optimizer state + meta.
  static int RowFloats(const sparse::TableConfig& config) { return internal::RowLayout(config).row_floats(); }
  // Rows in both tiers (each key once).
  int64_t num_rows() const { return static_cast<int64_t>(slots_.size()) + cold_only_rows_; }
  // Rows in the memory tier.
  int64_t memory_rows() const { return static_cast<int64_t>(slots_.size()); }
  // Tiered: keys looked up in RocksDB (memory misses), and how many of them
  // RocksDB held.
  int64_t cold_lookups() const { return cold_lookups_; }
  int64_t cold_found() const { return cold_found_; }
  // The memory rows the budget allows now (after the admission counters);
  // INT64_MAX without a budget.
  int64_t MaxMemoryRows() const;
  // Bytes a memory row is charged: its floats and kRowOverheadBytes.
  int64_t ChargePerRow() const { return static_cast<int64_t>(row_floats()) * 4 + kRowOverheadBytes; }

  // Splits the work of PullBatch and PushBatch across the parts of `runner`
  // by key hash: each part looks up and updates (or reads), in batch order,
  // the rows of its keys that are in memory; the keys still without a row
  // (to create, admit, drop or look up in RocksDB) follow on the calling
  // thread, in batch order.
  // A row is updated by one thread, so the rows (and which slots they get)
  // are bitwise those of one thread. nullptr or one part: one thread. Not
  // owned; it must outlive the table's batch calls. Tables that share a
  // runner must make their batch calls from one thread (a server's do).
  void set_runner(PartRunner* runner);

  // ---- Batch calls: what the server uses. Wire bytes (little-endian, any
  // alignment): n keys of 8 bytes; `out` / `grad_bytes` hold n rows of dim
  // floats. Duplicates are fine: the result is that of the keys one by one
  // in order. Errors come from the RocksDB tier only (the batch may then be
  // partly applied).

  // Copies each key's value to `out`. create: a key absent from both tiers
  // is counted for admission and gets a row (initializer) once admitted; an
  // existing row's last step is set to `step`; a key not (yet) admitted reads
  // as zeros. !create: nothing is created, counted or changed; a cold row is
  // read without loading it; absent keys read as zeros.
  Status PullBatch(const char* key_bytes, size_t n, bool create, uint32_t step, char* out);
  // Applies the optimizer to each key's row (loaded from the cold tier or
  // created when the key is admitted) and sets its last step to `step`;
  // pushes to a key without a row (not admitted) are dropped. Gradients are
  // read in place (no per-row copy).
  Status PushBatch(const char* key_bytes, const char* grad_bytes, size_t n, uint32_t step);

  // Deletes every row (both tiers) whose last step + ttl_steps < now_step,
  // and the admission counters not counted since then. Returns the rows
  // deleted. No-op (0) when ttl_steps == 0.
  StatusOr<int64_t> Expire(uint32_t now_step);

  // ---- Whole-table calls (checkpoints, checks).

  // Every row of both tiers, each key once (the memory copy wins over a
  // stale cold copy). `row` is valid during the call only.
  Status ForEachRow(const std::function<void(Key, const float* row)>& fn);
  // The memory tier's rows only (what a checkpoint dumps beside the RocksDB
  // checkpoint).
  void ForEachMemoryRow(const std::function<void(Key, const float* row)>& fn) const;
  // Keys counted but not yet admitted, with their counts and the step each
  // was last counted at (what expiry compares with --ttl_steps).
  void ForEachPendingCount(const std::function<void(Key, uint32_t count, uint32_t last_step)>& fn) const;
  // Restore: sets key's whole row (row_floats floats: value, state, meta),
  // replacing any in either tier; may evict (once the memory tier is 1024
  // rows over budget, down to it). Errors from the RocksDB tier.
  Status InsertRow(Key key, const float* row);
  // Tiered: evicts down to the budget now (after a restore: tables that
  // share a budget are loaded one after another, and the first ones loaded
  // took parts sized before the later ones had rows). Errors from RocksDB.
  Status EnforceBudget() { return tiered_ ? EvictTo(MaxMemoryRows()) : Status::OK(); }
  // Restore: sets key's admission count (0 removes it) and the step it was
  // last counted at.
  void SetPendingCount(Key key, uint32_t count, uint32_t last_step);

  // A 64-bit checksum of every row of both tiers: for each row, Mix64
  // chained over the key and the bits of value, optimizer state and meta;
  // the rows' hashes are summed, so neither the order of creation nor the
  // tier a row sits in matters. Equal for tables whose rows are bitwise
  // equal. O(rows); reads the whole cold tier.
  StatusOr<uint64_t> Checksum();

  // Bytes held in memory by slabs, index, per-slot data and admission
  // counters.
  size_t MemoryBytes() const;

  // ---- Inspection (tests, benches).

  // The memory row of `key` (row_floats floats), or nullptr when it has
  // none in memory; neither the cold tier nor the counters are looked at and
  // nothing changes. Valid until the next call that changes the table.
  const float* MemoryRow(Key key) const {
    const uint32_t slot = slots_.Find(key);
    return slot == internal::RowSlots::kNotFound ? nullptr : slots_.RowAt(slot);
  }
  // Meta of a row (see above), and its optimizer state.
  uint32_t UpdateCountOf(const float* row) const { return layout_.UpdateCount(row); }
  uint32_t LastStepOf(const float* row) const { return layout_.LastStep(row); }
  const float* StateOf(const float* row) const { return layout_.State(row); }

 private:
  // A push or creating pull: one CLOCK use per step (the pull and the push
  // of one step count once). Sets the row's last step to `step` at once, as
  // does the creation of a row, so a key twice in a batch counts once however
  // far ahead of their updates its rows are looked up (ForEachRowAhead, split
  // batches): the uses, hence the evictions, are those of a plain loop.
  void TouchInStep(uint32_t slot, uint32_t step) {
    float* row = slots_.RowAt(slot);
    if (layout_.LastStep(row) == step) return;
    clock_.Touch(slot);
    layout_.SetLastStep(row, step);
  }
  // Writes the initial row of `key` into its new `slot`, last step `step` (a
  // batch's step: see TouchInStep).
  float* CreateRow(Key key, uint32_t slot, uint32_t step);
  // Erases key's memory row (present) and frees its slot.
  void EraseMemoryRow(Key key);
  // The row a push or creating pull updates: the memory row (one CLOCK use
  // in the step), else (the key being in neither tier) a new row if the key
  // is admitted (counting this pull when `count`), else nullptr.
  float* RowForUpdate(Key key, bool count, uint32_t step);
  // Tiered: loads the batch's keys found in RocksDB but not in memory, and
  // keeps in batch_slots_[i] the memory slot key i had before (kNotFound for
  // a miss), so the batch's pass looks up only its misses again.
  Status LoadMisses(const char* key_bytes, size_t n);
  // Tiered: RowForUpdate for key i of a batch after LoadMisses.
  float* TieredRowForUpdate(const char* key_bytes, size_t i, bool count, uint32_t step);
  // Key i of a batch of n keys for an update (RowForUpdate, or
  // TieredRowForUpdate when tiered), after prefetching the index entry of
  // the key kIndexAhead (sparse_table.cc) keys further on.
  float* BatchRowForUpdate(const char* key_bytes, size_t n, size_t i, bool count, uint32_t step);
  // Splits a batch of n keys across runner_'s parts by key hash: each part
  // calls touch(slot) and update(i, row, part) for its keys whose row is in
  // memory, in batch order. Returns the positions of the other keys, in
  // batch order (valid until the next call), for the caller to handle on
  // this thread. Creating pulls and pushes of tiered tables call LoadMisses
  // first.
  template <typename TouchFn, typename UpdateFn>
  const std::vector<uint32_t>& UpdateMemoryRowsByParts(const char* key_bytes, size_t n, TouchFn&& touch,
                                                       UpdateFn&& update);
  // The touch of a push or creating pull of `step`, for UpdateMemoryRowsByParts.
  auto TouchInStepFn(uint32_t step) {
    return [this, step](uint32_t slot) {
      if (tiered_) TouchInStep(slot, step);
    };
  }
  // Whether a batch of n keys is split across runner_'s parts.
  bool SplitBatch(size_t n) const;
  // Tiered: adds the last MultiGet (miss_keys_, miss_found_) to the lookup counts.
  void CountColdLookups();
  // Tiered: CLOCK-evicts memory rows until at most `max_rows` remain,
  // writing them back to the cold tier.
  Status EvictTo(int64_t max_rows);

  sparse::TableConfig config_;
  uint64_t seed_;
  TierOptions tier_;
  bool tiered_;     // tier_.budget_bytes() > 0
  bool admission_;  // min_count > 1
  internal::RowLayout layout_;
  internal::RowSlots slots_;
  // Tiered only: the slots' keys and CLOCK marks.
  internal::ClockEviction clock_;
  // Keys whose only copy is in RocksDB.
  int64_t cold_only_rows_ = 0;
  int64_t cold_lookups_ = 0, cold_found_ = 0;
  internal::AdmissionCounters pending_;
  // Splits batches across its parts (set_runner); not owned.
  PartRunner* runner_ = nullptr;
  // Per part of runner_ (one cache line apart, as the parts fill them at
  // once): the positions of its keys in a batch, and those it left to the
  // calling thread; PushBatch's gradient row for optimizers that take native
  // floats.
  struct alignas(64) PartScratch {
    std::vector<uint32_t> positions;
    std::vector<uint32_t> left;
    std::vector<float> grad_row;
  };
  std::vector<PartScratch> parts_;
  // Tiered scratch: a batch's misses and their rows from RocksDB; eviction
  // victims.
  std::vector<uint32_t> batch_slots_;
  std::vector<Key> miss_keys_;
  std::vector<size_t> miss_positions_;
  std::vector<float> miss_rows_;
  std::vector<uint8_t> miss_found_;
  std::vector<Key> victim_keys_;
  std::vector<uint32_t> victim_slots_;
  std::vector<const float*> victim_rows_;
};

}  // namespace ember::storage
