// storage/checkpoint_dump.h: the offline views of a checkpoint directory
// that `ember inspect` and `ember export` print and write: a text summary,
// and the rows and dense arrays as NumPy files. Both verify the checkpoint
// first (VerifyCheckpoint, storage/checkpoint.h); the files they read are
// storage/checkpoint_files.h, the .npy writer storage/npy.h.
//
//   ASSIGN_OR_RETURN(std::string summary, InspectCheckpoint(dir));
//   RETURN_IF_ERROR(ExportCheckpoint(dir, out_dir, ForEachShardColdRow));
//
// Thread-safe on distinct output directories; they only read `dir`.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/hash.h"
#include "common/status.h"

namespace ember::storage {

// VerifyCheckpoint, then a human-readable summary: step, epoch, servers,
// workers, config pairs, each file with its size, rows per table per server
// (from the rows files' headers), the dense arrays and shapes, and each
// worker's reader position.
StatusOr<std::string> InspectCheckpoint(const std::string& dir);

// Reads the cold (RocksDB) rows of one table of one server shard:
// (shard_dir = "<dir>/server-<s>", table_id, row_floats, row_fn).
using ColdRowsFn = std::function<Status(const std::string& shard_dir, uint32_t table_id, int row_floats,
                                        const std::function<void(Key, const float*)>& row_fn)>;

// VerifyCheckpoint, then writes under out_dir (created if needed):
//   <table>.keys.npy    uint64 [n]        sorted ascending
//   <table>.values.npy  float32 [n, dim]  the first dim floats of each row
// per table (<table> is config table.<id>.name, else "table-<id>"), merging
// every server-<s>; for a shard with a rocksdb/ dir, cold_rows (if given)
// supplies its cold rows and a memory row wins over a cold row of the same
// key; every dense array as dense/<name>.npy ('/' in names -> '.'); and
// index.json listing every file with dtype and shape. DataLoss if a key is in
// two shards' memory rows.
Status ExportCheckpoint(const std::string& dir, const std::string& out_dir, const ColdRowsFn& cold_rows = {});

}  // namespace ember::storage
