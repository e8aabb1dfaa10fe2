// storage/rocks_tier.h: the cold tier under the memory tier of a server's
// sparse tables, in one RocksDB database.
//
// One RocksTier per server: one DB at RocksTierOptions::path, one column
// family "table-<id>" per table. A row is stored as
//   key:   the 8-byte table key, big-endian (iteration runs in key order)
//   value: the row's row_floats floats as raw little-endian bytes
// so rows move between tiers bit for bit. The tier is a cache of the memory
// tier's evicted rows: writes skip the WAL, Open deletes what the path held,
// and durability comes from Checkpoint (a RocksDB checkpoint beside the
// memory tier's rows, see docs/storage.md).
//
// Write-back runs on the tier's own writer thread: PutRows copies the rows
// and returns while a writer thread inserts them into RocksDB, so the
// memtable inserts (a third of a tiered server's time: bench/README.md)
// overlap the next batch. At most one write per table is in flight; until it
// is done, MultiGet reads that table's just-written keys from the copy, so
// every read sees exactly what a synchronous write would have left. The
// other calls (Delete, ForEachRow, Checkpoint) wait for the writes first. A
// write that RocksDB refuses is reported by every later PutRows,
// WaitForWrites, Delete and ForEachRow of its table and every Checkpoint:
// MultiGet still reads its rows from the copy, but the table's tier takes no
// more writes and no checkpoint (the server stops on the error; resume from
// the last checkpoint). Per batch call one mutex is taken (uncontended but
// for the writer's hand-over); none per key.
//
// Nothing waits on RocksDB without a deadline (RocksTierOptions::
// stall_timeout): a write it holds back (its flushes behind a stalled disk)
// and a MultiGet that reads too slowly fail with DeadlineExceeded naming the
// path, which the server, as any tier error, turns into the end of the job.
//
// Every rocksdb::Status is turned into an ember Status in one place
// (RocksStatus, storage/internal/rocks_format.h, beside the key and value
// encoding), naming the call, the path and the table.
// Thread-compatible: the server thread owns it and its tables (the writer
// thread is internal).
//
//   RocksTierOptions options{.path = "/data/server-0/rocks"};
//   ASSIGN_OR_RETURN(std::unique_ptr<RocksTier> cold, RocksTier::Open(options, tables));
//   SparseTable table(tables[0], seed, {.memory_bytes = 1 << 30, .cold = cold.get()});
//   RETURN_IF_ERROR(cold->Checkpoint("/ckpt/step-000123/server-0/rocks"));
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "sparse/table_config.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
}  // namespace rocksdb

namespace ember::storage {

struct RocksTierOptions {
  std::string path;                      // directory of the DB; REQUIRED. Existing contents are deleted by Open.
  int64_t block_cache_bytes = 64 << 20;  // Default: 64 MiB (LRU block cache)
  int bloom_bits_per_key = 10;           // Default: 10 (0: no bloom filter)
  // Block compression: LZ4 when true. Default: none. Measured with
  // bench/storage/tier_bench (bench/README.md): LZ4 halved the files of the
  // bench's rows but cost ~35% of the tiered throughput (0.17 vs 0.26 M keys/s).
  bool lz4_compression = false;
  int64_t write_buffer_bytes = 16 << 20;  // memtable size per column family. Default: 16 MiB
  // How long one write-back, Delete or MultiGet may wait on RocksDB before
  // it fails with DeadlineExceeded naming the path: a write RocksDB holds
  // back because its flushes do not keep up (a stalled or very slow disk), a
  // MultiGet whose file reads take this long. Default: 20 s, under the 60 s a
  // worker waits for a reply (ps::ClientOptions::timeout_ms), so the server
  // names its disk before the worker blames the server.
  std::chrono::microseconds stall_timeout = std::chrono::seconds(20);
};

class RocksTier {
 public:
  // Deletes what `options.path` holds, then creates the DB with one column
  // family per table. InvalidArgument on an empty path or a stall_timeout
  // that is not positive; FailedPrecondition
  // when the path cannot be cleared, or the RocksDB error (IOError ->
  // Internal) when the DB cannot be created, naming the path.
  static StatusOr<std::unique_ptr<RocksTier>> Open(const RocksTierOptions& options,
                                                   const std::vector<sparse::TableConfig>& tables);
  ~RocksTier();
  RocksTier(const RocksTier&) = delete;
  RocksTier& operator=(const RocksTier&) = delete;

  const std::string& path() const { return options_.path; }

  // Looks keys up with one MultiGet (the keys of the table's write in
  // flight are read from its copy). For each found key i, copies its row
  // (row_floats floats) to rows + i * row_floats and sets (*found)[i] = 1;
  // (*found)[i] = 0 otherwise. NotFound for an unknown table; DataLoss naming
  // the key when a value has the wrong size; InvalidArgument when row_floats
  // differs from that of the table's write in flight.
  Status MultiGet(uint32_t table_id, std::span<const Key> keys, int row_floats, float* rows,
                  std::vector<uint8_t>* found);
  // Reads one row; *found false when absent. Errors as MultiGet.
  Status Get(uint32_t table_id, Key key, int row_floats, float* row, bool* found);
  // Copies rows[i] (row_floats floats) under keys[i] (for duplicates the
  // last wins) and has the writer thread write them in one WriteBatch (no
  // WAL); returns once they are copied. Waits first for the table's previous
  // write; its error, if it failed, is returned and nothing is written.
  Status PutRows(uint32_t table_id, std::span<const Key> keys, std::span<const float* const> rows, int row_floats);
  // Waits until every write is in RocksDB; the error of a failed one (of the
  // lowest table index), if any.
  Status WaitForWrites();
  // Deletes keys (absent ones are fine) in one WriteBatch (no WAL), after
  // the writes.
  Status Delete(uint32_t table_id, std::span<const Key> keys);
  // Calls fn(key, row) for every row of the table in key order, then returns
  // fn's first non-OK Status, or the iterator's. `row` is aligned and valid
  // during the call only. Waits for the writes first.
  Status ForEachRow(uint32_t table_id, int row_floats, const std::function<Status(Key, const float*)>& fn);

  // Waits for the writes, flushes memtables and writes a RocksDB checkpoint
  // (rocksdb::Checkpoint::CreateCheckpoint) of every column family into
  // `dir`, which must not exist. Errors name dir.
  Status Checkpoint(const std::string& dir);

  // For tests: stops and restarts RocksDB's flushes and compactions, which
  // is what a disk that stops answering does to them (writes then stall).
  void PauseBackgroundWorkForTest();
  void ContinueBackgroundWorkForTest();

  // Keys MultiGet has read from a write in flight (for tests and the
  // curious: how often a row came back before its write-back ended).
  int64_t reads_from_writes_in_flight() const { return reads_from_writes_in_flight_; }

 private:
  // One table's write-back: the rows PutRows copied, until the writer
  // thread has written them.
  struct Write {
    enum class State { kNone, kQueued, kDone };
    State state = State::kNone;  // guarded by mu_
    Status status;               // the write's; guarded by mu_
    // Set by the owner thread while state is kNone; read by both threads
    // while it is not.
    std::vector<Key> keys;   // sorted (stable: of duplicates the last is last)
    std::vector<char> rows;  // keys.size() rows of row_bytes, in keys' order
    size_t row_bytes = 0;
    // With mu_ held: forgets a write that has landed; true while one is
    // queued or failed (its rows then are only in the copy).
    bool InFlightOrFailed();
  };

  RocksTier() = default;
  // The index in families_ of the table's column family, or -1.
  int FamilyIndex(uint32_t table_id) const;
  StatusOr<int> FamilyIndexOrError(uint32_t table_id, const char* call) const;
  // Waits for the write of family `f`; returns its error (keeping its rows
  // readable) or, once it is written, forgets it.
  Status WaitForWrite(int f);
  // The writer thread: writes queued families' rows until stop_.
  void WriteLoop();
  // Writes `batch` (no WAL) within options_.stall_timeout: a write RocksDB
  // would hold back (a write stall) is retried until then, and then fails
  // with DeadlineExceeded naming `what` and the path.
  Status WriteWithinDeadline(rocksdb::WriteBatch* batch, const std::string& what);
  // RocksDB lookups of keys (no write in flight for them) into rows/found.
  Status ReadFromDb(int f, std::span<const Key> keys, int row_floats, float* rows, uint8_t* found);

  RocksTierOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<uint32_t> table_ids_;                     // parallel to families_
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // owned; destroyed before db_
  // MultiGet scratch: encoded keys, and the keys left for RocksDB.
  std::vector<char> key_bytes_;
  std::vector<Key> db_keys_;
  std::vector<size_t> db_positions_;
  std::vector<float> db_rows_;
  std::vector<uint8_t> db_found_;
  int64_t reads_from_writes_in_flight_ = 0;

  std::vector<Write> writes_;  // parallel to families_
  std::mutex mu_;
  std::condition_variable queued_;   // the writer waits: a family queued, or stop_
  std::condition_variable written_;  // the owner waits: a write done
  std::deque<int> queue_;            // families to write, in order; guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread writer_;               // started by Open; joined by the destructor
};

// Calls fn(key, row) for every row of table `table_id` stored in the RocksDB
// checkpoint at `dir` (opened read-only, with its column families); each row
// has row_floats floats. NotFound naming dir when there is no such DB or
// column family; DataLoss naming dir and the key on a value of the wrong size.
Status ForEachCheckpointRow(const std::string& dir, uint32_t table_id, int row_floats,
                            const std::function<void(Key, const float*)>& fn);

// "table-<id>": the column family of a table.
std::string ColumnFamilyName(uint32_t table_id);

}  // namespace ember::storage
