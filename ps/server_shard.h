// ps/server_shard.h: the rows one parameter server holds — its shard of
// every sparse table, the RocksDB tier under them when a memory budget is
// set, their restore from a checkpoint, --ttl_steps expiry and the shard's
// checkpoint files. The Server (ps/server.h) owns one and adds the socket
// and the protocol; this type knows nothing of messages.
//
// Threading: not thread-safe; the serving thread alone calls it. With
// ServerOptions::threads > 1 a table's batch is split among that many
// threads inside each call (storage::SparseTable::set_runner).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<ServerShard> shard, ServerShard::Create(options));
//   storage::SparseTable* table = shard->table(header.table_id);  // null: not served here
//   ASSIGN_OR_RETURN(bool swept, shard->MaybeExpire(push_clock));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/part_runner.h"
#include "common/status.h"
#include "ps/server.h"
#include "storage/rocks_tier.h"
#include "storage/shard.h"
#include "storage/sparse_table.h"

namespace ember::ps {

class ServerShard {
 public:
  // Creates options.tables (over a RocksDB tier at options.rocks.path when
  // options.memory_bytes > 0) and, with options.restore_from set, loads the
  // rows this rank owns from that checkpoint. InvalidArgument for a negative
  // memory budget; the tier's and LoadShards' errors as they are.
  static StatusOr<std::unique_ptr<ServerShard>> Create(const ServerOptions& options);

  ServerShard(const ServerShard&) = delete;
  ServerShard& operator=(const ServerShard&) = delete;

  // The restored state (applied steps, push clock); zeros on a fresh start.
  const storage::ServerState& restored() const { return restored_; }

  // The tables in the order of ServerOptions::tables.
  const std::vector<std::unique_ptr<storage::SparseTable>>& tables() const { return tables_; }
  // The table of wire id `id`, and its index in tables(); null / -1 when
  // this server has no such table.
  storage::SparseTable* table(uint32_t id) const;
  int index_of(uint32_t id) const;
  // The row width of table `id`; -1 for an unknown id (ps::TableDimFn).
  int dim(uint32_t id) const;

  // --ttl_steps: every ttl_steps / 4 steps of `clock`, deletes the rows not
  // touched for ttl_steps (storage::SparseTable::Expire); true when it
  // swept, false (nothing done) between sweeps or without ttl_steps. The
  // tier's errors as they are.
  StatusOr<bool> MaybeExpire(uint32_t clock);

  // Writes this server's shard of every table (and the tier's rows) into
  // checkpoint directory `dir` (storage::WriteShard); the files written.
  StatusOr<std::vector<storage::FileEntry>> WriteCheckpoint(const std::string& dir,
                                                            const storage::ServerState& state) const;

  // "table wide: 1234 rows (567 in memory), ..."; tiered tables add
  // " [RocksDB: L lookups / F found]".
  std::string Summary() const;

 private:
  explicit ServerShard(const ServerOptions& options);
  Status Restore();
  std::vector<storage::SparseTable*> table_pointers() const;

  const int rank_;
  const int num_servers_;
  const uint32_t ttl_steps_;
  const std::string restore_from_;
  const int restore_num_servers_;
  std::unique_ptr<storage::RocksTier> cold_;  // null without a memory budget
  // The memory tier's budget, shared by the tables (declared before them:
  // they point to it).
  std::unique_ptr<storage::SharedMemoryBudget> budget_;
  // --server_threads: splits the tables' batches (null with one thread;
  // declared before the tables, which point to it).
  std::unique_ptr<PartRunner> runner_;
  std::vector<std::unique_ptr<storage::SparseTable>> tables_;
  std::unordered_map<uint32_t, int> index_by_id_;
  storage::ServerState restored_;
  uint32_t next_expiry_ = 0;  // the clock at which tables are next swept
};

}  // namespace ember::ps
