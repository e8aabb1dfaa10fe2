// storage/shard.h: one server's part of a checkpoint, written and read back.
//
// A server's shard is the folder `<checkpoint>/server-<rank>/`
// (docs/checkpoint_format.md): its server.state, one table-<id>.rows per
// table (the memory tier's rows and the keys still waiting for admission)
// and, when the server has a RocksDB tier, a RocksDB checkpoint in
// `rocksdb/` holding the rows that were paged out. A row in a .rows file
// wins over a copy of the same key in `rocksdb/` (that copy is stale: it
// was loaded back into memory and changed since).
//
// Resume with another number of servers: every new server reads every old
// shard and keeps the keys that OwnerOfKey gives to its rank, so keys move
// by jump hash and no key is lost or doubled.
//
// Thread-compatible: the server thread that owns the tables calls these.
//
//   ASSIGN_OR_RETURN(std::vector<FileEntry> files,
//                    WriteShard(checkpoint_dir, rank, state, tables, cold));
//   ...
//   ASSIGN_OR_RETURN(ServerState state,
//                    LoadShards(checkpoint_dir, old_servers, rank, servers, tables));
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/checkpoint.h"
#include "storage/rocks_tier.h"
#include "storage/sparse_table.h"

namespace ember::storage {

// Writes server `rank`'s shard into `checkpoint_dir`/server-<rank>/ (created
// here) and returns its files, with paths relative to checkpoint_dir. The
// RocksDB checkpoint is taken when `cold` is not null. Errors name the file.
StatusOr<std::vector<FileEntry>> WriteShard(const std::string& checkpoint_dir, int rank, const ServerState& state,
                                            const std::vector<SparseTable*>& tables, RocksTier* cold);

// Loads into `tables` every row and pending admission count of every shard
// (old_num_servers of them) of checkpoint_dir that server `rank` of
// `num_servers` owns (only shard `rank` when the number of servers is the
// same). Returns the state to continue from: the
// applied_steps every old server agrees on (else DataLoss) and the largest
// push clock. DataLoss / NotFound naming the file at fault.
StatusOr<ServerState> LoadShards(const std::string& checkpoint_dir, int old_num_servers, int rank, int num_servers,
                                 const std::vector<SparseTable*>& tables);

// Calls fn(key, row) for every row of table `table_id` in the RocksDB
// checkpoint of shard folder `shard_dir` (its rocksdb/); OK and no call when
// the shard has none. The cold rows ExportCheckpoint needs.
Status ForEachShardColdRow(const std::string& shard_dir, uint32_t table_id, int row_floats,
                           const std::function<void(Key, const float*)>& fn);

// "server-<rank>".
std::string ShardDirName(int rank);

}  // namespace ember::storage
