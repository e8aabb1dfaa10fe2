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
// memory tier's rows, see storage/README.md).
//
// Every rocksdb::Status is turned into an ember Status in one place
// (RocksStatus in rocks_tier.cc), naming the call, the path and the table.
// Thread-compatible: the server thread owns it and its tables.
//
//   RocksTierOptions options{.path = "/data/server-0/rocks"};
//   ASSIGN_OR_RETURN(std::unique_ptr<RocksTier> cold, RocksTier::Open(options, tables));
//   SparseTable table(tables[0], seed, {.memory_bytes = 1 << 30, .cold = cold.get()});
//   RETURN_IF_ERROR(cold->Checkpoint("/ckpt/step-000123/server-0/rocks"));
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/status.h"
#include "storage/table_config.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ember::storage {

struct RocksTierOptions {
  std::string path;                      // directory of the DB; REQUIRED. Existing contents are deleted by Open.
  int64_t block_cache_bytes = 64 << 20;  // Default: 64 MiB (LRU block cache)
  int bloom_bits_per_key = 10;           // Default: 10 (0: no bloom filter)
  // Block compression: LZ4 when true. Default: none. Measured with
  // bench/storage/tier_bench (storage/README.md): LZ4 halved the files of the
  // bench's rows but cost ~35% of the tiered throughput (0.17 vs 0.26 M keys/s).
  bool lz4_compression = false;
  int64_t write_buffer_bytes = 16 << 20;  // memtable size per column family. Default: 16 MiB
};

class RocksTier {
 public:
  // Deletes what `options.path` holds, then creates the DB with one column
  // family per table. InvalidArgument on an empty path; FailedPrecondition
  // when the path cannot be cleared, or the RocksDB error (IOError ->
  // Internal) when the DB cannot be created, naming the path.
  static StatusOr<std::unique_ptr<RocksTier>> Open(const RocksTierOptions& options,
                                                   const std::vector<TableConfig>& tables);
  ~RocksTier();
  RocksTier(const RocksTier&) = delete;
  RocksTier& operator=(const RocksTier&) = delete;

  const std::string& path() const { return options_.path; }

  // Looks keys up with one MultiGet. For each found key i, copies its row
  // (row_floats floats) to rows + i * row_floats and sets (*found)[i] = 1;
  // (*found)[i] = 0 otherwise. NotFound for an unknown table; DataLoss naming
  // the key when a value has the wrong size.
  Status MultiGet(uint32_t table_id, std::span<const Key> keys, int row_floats, float* rows,
                  std::vector<uint8_t>* found);
  // Reads one row; *found false when absent. Errors as MultiGet.
  Status Get(uint32_t table_id, Key key, int row_floats, float* row, bool* found);
  // Writes rows[i] (row_floats floats) under keys[i], all in one WriteBatch
  // (no WAL).
  Status PutRows(uint32_t table_id, std::span<const Key> keys, std::span<const float* const> rows, int row_floats);
  // Deletes keys (absent ones are fine) in one WriteBatch (no WAL).
  Status Delete(uint32_t table_id, std::span<const Key> keys);
  // Calls fn(key, row) for every row of the table in key order, then returns
  // fn's first non-OK Status, or the iterator's. `row` is aligned and valid
  // during the call only.
  Status ForEachRow(uint32_t table_id, int row_floats, const std::function<Status(Key, const float*)>& fn);

  // Flushes memtables and writes a RocksDB checkpoint (rocksdb::Checkpoint::
  // CreateCheckpoint) of every column family into `dir`, which must not
  // exist. Errors name dir.
  Status Checkpoint(const std::string& dir);

 private:
  RocksTier() = default;
  // The handle of the table's column family, or nullptr.
  rocksdb::ColumnFamilyHandle* Family(uint32_t table_id) const;
  StatusOr<rocksdb::ColumnFamilyHandle*> FamilyOrError(uint32_t table_id, const char* call) const;

  RocksTierOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<uint32_t> table_ids_;                     // parallel to families_
  std::vector<rocksdb::ColumnFamilyHandle*> families_;  // owned; destroyed before db_
  // MultiGet scratch: encoded keys.
  std::vector<char> key_bytes_;
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
