#include "ps/server_shard.h"

#include <algorithm>
#include <chrono>

#include "common/logging.h"

namespace ember::ps {

ServerShard::ServerShard(const ServerOptions& options)
    : rank_(options.rank),
      num_servers_(options.num_servers),
      ttl_steps_(options.ttl_steps),
      restore_from_(options.restore_from),
      restore_num_servers_(options.restore_num_servers) {}

StatusOr<std::unique_ptr<ServerShard>> ServerShard::Create(const ServerOptions& options) {
  if (options.memory_bytes < 0) return Status::InvalidArgument("memory_bytes = ", options.memory_bytes);
  std::unique_ptr<ServerShard> shard(new ServerShard(options));
  if (options.memory_bytes > 0) {
    ASSIGN_OR_RETURN(shard->cold_, storage::RocksTier::Open(options.rocks, options.tables));
  }
  if (options.threads > 1) shard->runner_ = std::make_unique<PartRunner>(options.threads);
  shard->budget_ = std::make_unique<storage::SharedMemoryBudget>(options.memory_bytes);
  for (size_t i = 0; i < options.tables.size(); ++i) {
    storage::TierOptions tier;
    tier.cold = shard->cold_.get();
    tier.shared = shard->budget_.get();
    tier.min_count = options.min_count;
    tier.ttl_steps = options.ttl_steps;
    shard->tables_.push_back(std::make_unique<storage::SparseTable>(options.tables[i], options.seed, tier));
    shard->tables_.back()->set_runner(shard->runner_.get());
    shard->budget_->Add(shard->tables_.back().get());
    shard->index_by_id_[options.tables[i].id] = static_cast<int>(i);
  }
  if (!options.restore_from.empty()) RETURN_IF_ERROR(shard->Restore());
  if (options.ttl_steps > 0) {
    shard->next_expiry_ = shard->restored_.push_clock + std::max<uint32_t>(1, options.ttl_steps / 4);
  }
  return shard;
}

Status ServerShard::Restore() {
  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(restored_,
                   storage::LoadShards(restore_from_, restore_num_servers_, rank_, num_servers_, table_pointers()));
  int64_t restored_rows = 0, restored_bytes = 0;
  for (const auto& table : tables_) {
    restored_rows += table->num_rows();
    restored_bytes += table->num_rows() * (8 + 4 * int64_t{table->row_floats()});
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  LOG(INFO) << "server " << rank_ << " restored " << restored_rows << " rows (" << restored_bytes / 1e6
            << " MB of keys and rows) in " << seconds << " s (" << (seconds > 0 ? restored_bytes / 1e6 / seconds : 0)
            << " MB/s) from " << restore_from_ << " (" << restore_num_servers_ << " server(s) wrote it); step "
            << restored_.applied_steps;
  return Status::OK();
}

storage::SparseTable* ServerShard::table(uint32_t id) const {
  const int index = index_of(id);
  return index < 0 ? nullptr : tables_[index].get();
}

int ServerShard::index_of(uint32_t id) const {
  auto it = index_by_id_.find(id);
  return it == index_by_id_.end() ? -1 : it->second;
}

int ServerShard::dim(uint32_t id) const {
  const storage::SparseTable* found = table(id);
  return found == nullptr ? -1 : found->dim();
}

StatusOr<bool> ServerShard::MaybeExpire(uint32_t clock) {
  if (ttl_steps_ == 0 || clock < next_expiry_) return false;
  int64_t expired = 0;
  for (const auto& table : tables_) {
    ASSIGN_OR_RETURN(int64_t n, table->Expire(clock));
    expired += n;
  }
  VLOG(1) << "server " << rank_ << " expired " << expired << " rows at step " << clock;
  next_expiry_ = clock + std::max<uint32_t>(1, ttl_steps_ / 4);
  return true;
}

StatusOr<std::vector<storage::FileEntry>> ServerShard::WriteCheckpoint(const std::string& dir,
                                                                       const storage::ServerState& state) const {
  return storage::WriteShard(dir, rank_, state, table_pointers(), cold_.get());
}

std::string ServerShard::Summary() const {
  std::string summary;
  for (const auto& table : tables_) {
    summary += (summary.empty() ? "table " : ", table ") + table->config().name + ": " +
               std::to_string(table->num_rows()) + " rows (" + std::to_string(table->memory_rows()) + " in memory)";
    if (cold_ != nullptr) {
      summary += " [RocksDB: " + std::to_string(table->cold_lookups()) + " lookups / " +
                 std::to_string(table->cold_found()) + " found]";
    }
  }
  return summary;
}

std::vector<storage::SparseTable*> ServerShard::table_pointers() const {
  std::vector<storage::SparseTable*> out;
  for (const auto& table : tables_) out.push_back(table.get());
  return out;
}

}  // namespace ember::ps
