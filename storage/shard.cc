#include "storage/shard.h"

#include <filesystem>
#include <system_error>

#include "common/hash.h"
#include "storage/crash_point.h"

namespace ember::storage {
namespace {

namespace fs = std::filesystem;

std::string TableFileName(uint32_t table_id) { return "table-" + std::to_string(table_id) + ".rows"; }

// `entry` with its path made relative to `root`.
FileEntry RelativeTo(const std::string& root, FileEntry entry) {
  entry.path = fs::path(entry.path).lexically_relative(root).string();
  return entry;
}

}  // namespace

std::string ShardDirName(int rank) { return "server-" + std::to_string(rank); }

Status ForEachShardColdRow(const std::string& shard_dir, uint32_t table_id, int row_floats,
                           const std::function<void(Key, const float*)>& fn) {
  const fs::path rocks_dir = fs::path(shard_dir) / "rocksdb";
  if (!fs::exists(rocks_dir)) return Status::OK();
  return ForEachCheckpointRow(rocks_dir.string(), table_id, row_floats, fn);
}

StatusOr<std::vector<FileEntry>> WriteShard(const std::string& checkpoint_dir, int rank, const ServerState& state,
                                            const std::vector<SparseTable*>& tables, RocksTier* cold) {
  const std::string shard_dir = (fs::path(checkpoint_dir) / ShardDirName(rank)).string();
  std::error_code error;
  fs::create_directories(shard_dir, error);
  if (error) return Status::Unavailable("cannot create ", shard_dir, ": ", error.message());
  std::vector<FileEntry> files;
  ASSIGN_OR_RETURN(FileEntry state_file, WriteServerState((fs::path(shard_dir) / "server.state").string(), state));
  files.push_back(RelativeTo(checkpoint_dir, state_file));
  for (SparseTable* table : tables) {
    const std::string path = (fs::path(shard_dir) / TableFileName(table->config().id)).string();
    RowsFileWriter writer;
    RETURN_IF_ERROR(writer.Open(path, table->config().id, table->row_floats()));
    Status added;
    table->ForEachMemoryRow([&](Key key, const float* row) {
      if (added.ok()) added = writer.AddRow(key, row);
    });
    RETURN_IF_ERROR(added);
    table->ForEachPendingCount(
        [&](Key key, uint32_t count, uint32_t last_step) { writer.AddPendingCount(key, count, last_step); });
    ASSIGN_OR_RETURN(FileEntry entry, writer.Finish());
    files.push_back(RelativeTo(checkpoint_dir, entry));
  }
  if (cold != nullptr) {
    const std::string rocks_dir = (fs::path(shard_dir) / "rocksdb").string();
    RETURN_IF_ERROR(cold->Checkpoint(rocks_dir));
    ASSIGN_OR_RETURN(std::vector<FileEntry> rocks_files, ChecksumTree(rocks_dir));
    for (FileEntry& entry : rocks_files) files.push_back(RelativeTo(checkpoint_dir, std::move(entry)));
  }
  ReachCrashPoint(CrashPoint::kShardWritten);
  return files;
}

StatusOr<ServerState> LoadShards(const std::string& checkpoint_dir, int old_num_servers, int rank, int num_servers,
                                 const std::vector<SparseTable*>& tables) {
  ServerState result;
  result.rank = rank;
  // With the same number of servers every key of shard `rank` is this
  // server's and no other shard holds one of its keys.
  const bool same_sharding = old_num_servers == num_servers;
  for (int old = 0; old < old_num_servers; ++old) {
    if (same_sharding && old != rank) continue;
    const fs::path shard_dir = fs::path(checkpoint_dir) / ShardDirName(old);
    ASSIGN_OR_RETURN(ServerState state, ReadServerState((shard_dir / "server.state").string()));
    if (old == 0 || same_sharding) {
      result.applied_steps = state.applied_steps;
    } else if (state.applied_steps != result.applied_steps) {
      return Status::DataLoss(shard_dir.string(), "/server.state: ", state.applied_steps,
                              " applied steps, but server 0 has ", result.applied_steps);
    }
    result.push_clock = std::max(result.push_clock, state.push_clock);
    for (SparseTable* table : tables) {
      const uint32_t id = table->config().id;
      const int row_floats = table->row_floats();
      Status inserted;
      auto keep_row = [&](Key key, const float* row) {
        if (inserted.ok() && OwnerOfKey(key, num_servers) == rank) inserted = table->InsertRow(key, row);
      };
      // Cold rows first: a row of the .rows file replaces a stale cold copy.
      RETURN_IF_ERROR(ForEachShardColdRow(shard_dir.string(), id, row_floats, keep_row));
      RETURN_IF_ERROR(inserted);
      RETURN_IF_ERROR(ReadRowsFile((shard_dir / TableFileName(id)).string(), id, row_floats, keep_row,
                                   [&](Key key, uint32_t count, uint32_t last_step) {
                                     if (OwnerOfKey(key, num_servers) == rank)
                                       table->SetPendingCount(key, count, last_step);
                                   }));
      RETURN_IF_ERROR(inserted);
    }
  }
  for (SparseTable* table : tables) RETURN_IF_ERROR(table->EnforceBudget());
  return result;
}

}  // namespace ember::storage
