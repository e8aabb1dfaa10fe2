#include "storage/rocks_tier.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/perf_level.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "common/coding.h"

namespace ember::storage {
namespace {

// The one place where a rocksdb::Status becomes an ember Status: `what` names
// the call and its arguments (path, table, key).
Status RocksStatus(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  const std::string message = what + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(message);
  if (s.IsCorruption()) return Status::DataLoss(message);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(message);
  if (s.IsNotSupported()) return Status::Unimplemented(message);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return Status::Unavailable(message);
  if (s.IsIncomplete() || s.IsShutdownInProgress() || s.IsAborted()) return Status::Aborted(message);
  if (s.IsNoSpace() || s.IsMemoryLimit()) return Status::ResourceExhausted(message);
  return Status::Internal(message);  // IOError and the rest
}

// RocksDB counts every read and write in a thread-local PerfContext by
// default (kEnableCount); ember never reads it. The calling thread's level is
// set off before each batch call: in a job-level profile of a tiered Wide &
// Deep run, reaching that thread-local context (__tls_get_addr, the
// PerfContext's TLS init) was ~6% of all CPU samples, and ~1.4% after.
void SkipPerfCounters() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

constexpr size_t kKeyBytes = 8;

void EncodeKey(Key key, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(key >> (56 - 8 * i));
}

Key DecodeKey(const char* in) {
  Key key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | static_cast<unsigned char>(in[i]);
  return key;
}

// Row bytes (little-endian floats, any alignment) -> floats.
void DecodeRow(const char* bytes, int row_floats, float* row) {
  DecodeFloats(bytes, static_cast<size_t>(row_floats), row);
}

rocksdb::Options DbOptions(const RocksTierOptions& options) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  db_options.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_options.keep_log_file_num = 2;
  return db_options;
}

rocksdb::ColumnFamilyOptions FamilyOptions(const RocksTierOptions& options) {
  rocksdb::ColumnFamilyOptions family;
  rocksdb::BlockBasedTableOptions table;
  if (options.block_cache_bytes > 0) {
    table.block_cache = rocksdb::NewLRUCache(static_cast<size_t>(options.block_cache_bytes));
  } else {
    table.no_block_cache = true;
  }
  if (options.bloom_bits_per_key > 0) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(options.bloom_bits_per_key, false));
  }
  family.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Most lookups are of keys in SST files: a whole-key bloom filter on the
  // memtable skips its skiplist search (measured: the skiplist dominated the
  // profile of tier_bench without it).
  family.memtable_whole_key_filtering = true;
  family.memtable_prefix_bloom_size_ratio = 0.1;
  family.write_buffer_size = static_cast<size_t>(options.write_buffer_bytes);
  family.compression = options.lz4_compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  return family;
}

rocksdb::WriteOptions NoWal() {
  rocksdb::WriteOptions write;
  write.disableWAL = true;
  return write;
}

}  // namespace

std::string ColumnFamilyName(uint32_t table_id) { return "table-" + std::to_string(table_id); }

StatusOr<std::unique_ptr<RocksTier>> RocksTier::Open(const RocksTierOptions& options,
                                                     const std::vector<TableConfig>& tables) {
  if (options.path.empty()) return Status::InvalidArgument("RocksTier::Open: empty path");
  std::error_code error;
  std::filesystem::remove_all(options.path, error);
  if (error) {
    return Status::FailedPrecondition("RocksTier::Open: cannot clear ", options.path, ": ", error.message());
  }
  std::filesystem::create_directories(options.path, error);
  if (error) {
    return Status::FailedPrecondition("RocksTier::Open: cannot create ", options.path, ": ", error.message());
  }
  const rocksdb::ColumnFamilyOptions family_options = FamilyOptions(options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, family_options);
  for (const TableConfig& table : tables) descriptors.emplace_back(ColumnFamilyName(table.id), family_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Options db_options = DbOptions(options);
  RETURN_IF_ERROR(RocksStatus(rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &db),
                              "rocksdb::DB::Open(" + options.path + ")"));
  std::unique_ptr<RocksTier> tier(new RocksTier());
  tier->options_ = options;
  tier->db_.reset(db);
  tier->families_ = std::move(handles);
  tier->table_ids_.push_back(UINT32_MAX);  // the default family: no table
  for (const TableConfig& table : tables) tier->table_ids_.push_back(table.id);
  return tier;
}

RocksTier::~RocksTier() {
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* family : families_) db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
  db_->Close().PermitUncheckedError();  // a cache: nothing to save
}

rocksdb::ColumnFamilyHandle* RocksTier::Family(uint32_t table_id) const {
  for (size_t i = 1; i < table_ids_.size(); ++i) {
    if (table_ids_[i] == table_id) return families_[i];
  }
  return nullptr;
}

StatusOr<rocksdb::ColumnFamilyHandle*> RocksTier::FamilyOrError(uint32_t table_id, const char* call) const {
  rocksdb::ColumnFamilyHandle* family = Family(table_id);
  if (family == nullptr) return Status::NotFound("RocksTier::", call, ": no table ", table_id, " in ", options_.path);
  return family;
}

Status RocksTier::MultiGet(uint32_t table_id, std::span<const Key> keys, int row_floats, float* rows,
                           std::vector<uint8_t>* found) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * family, FamilyOrError(table_id, "MultiGet"));
  SkipPerfCounters();
  const size_t n = keys.size();
  found->assign(n, 0);
  if (n == 0) return Status::OK();
  key_bytes_.resize(n * kKeyBytes);
  std::vector<rocksdb::Slice> slices(n);
  for (size_t i = 0; i < n; ++i) {
    EncodeKey(keys[i], key_bytes_.data() + i * kKeyBytes);
    slices[i] = rocksdb::Slice(key_bytes_.data() + i * kKeyBytes, kKeyBytes);
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  const bool sorted = std::is_sorted(keys.begin(), keys.end());  // numeric order is the big-endian bytes' order
  db_->MultiGet(rocksdb::ReadOptions(), family, n, slices.data(), values.data(), statuses.data(), sorted);
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    if (statuses[i].IsNotFound()) continue;
    RETURN_IF_ERROR(RocksStatus(statuses[i], "rocksdb MultiGet(" + options_.path + ", " + ColumnFamilyName(table_id) +
                                                 ", key " + std::to_string(keys[i]) + ")"));
    if (values[i].size() != row_bytes) {
      return Status::DataLoss("RocksTier::MultiGet: ", options_.path, " ", ColumnFamilyName(table_id), " key ", keys[i],
                              ": value of ", values[i].size(), " bytes, want ", row_bytes);
    }
    DecodeRow(values[i].data(), row_floats, rows + i * static_cast<size_t>(row_floats));
    (*found)[i] = 1;
  }
  return Status::OK();
}

Status RocksTier::Get(uint32_t table_id, Key key, int row_floats, float* row, bool* found) {
  std::vector<uint8_t> found_one;
  RETURN_IF_ERROR(MultiGet(table_id, std::span<const Key>(&key, 1), row_floats, row, &found_one));
  *found = found_one[0] != 0;
  return Status::OK();
}

Status RocksTier::PutRows(uint32_t table_id, std::span<const Key> keys, std::span<const float* const> rows,
                          int row_floats) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * family, FamilyOrError(table_id, "PutRows"));
  SkipPerfCounters();
  if (keys.empty()) return Status::OK();
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  rocksdb::WriteBatch batch(keys.size() * (row_bytes + kKeyBytes + 16));
  char key_bytes[kKeyBytes];
  std::vector<char> value;
  if constexpr (std::endian::native != std::endian::little) value.resize(row_bytes);
  for (size_t i = 0; i < keys.size(); ++i) {
    EncodeKey(keys[i], key_bytes);
    const char* bytes = reinterpret_cast<const char*>(rows[i]);
    if constexpr (std::endian::native != std::endian::little) {
      EncodeFloats(rows[i], static_cast<size_t>(row_floats), value.data());
      bytes = value.data();
    }
    RETURN_IF_ERROR(
        RocksStatus(batch.Put(family, rocksdb::Slice(key_bytes, kKeyBytes), rocksdb::Slice(bytes, row_bytes)),
                    "rocksdb WriteBatch::Put(" + options_.path + ")"));
  }
  return RocksStatus(db_->Write(NoWal(), &batch), "rocksdb Write(" + options_.path + ", " + ColumnFamilyName(table_id) +
                                                      ", " + std::to_string(keys.size()) + " rows)");
}

Status RocksTier::Delete(uint32_t table_id, std::span<const Key> keys) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * family, FamilyOrError(table_id, "Delete"));
  SkipPerfCounters();
  if (keys.empty()) return Status::OK();
  rocksdb::WriteBatch batch;
  char key_bytes[kKeyBytes];
  for (Key key : keys) {
    EncodeKey(key, key_bytes);
    RETURN_IF_ERROR(RocksStatus(batch.Delete(family, rocksdb::Slice(key_bytes, kKeyBytes)),
                                "rocksdb WriteBatch::Delete(" + options_.path + ")"));
  }
  return RocksStatus(db_->Write(NoWal(), &batch), "rocksdb Write(" + options_.path + ", " + ColumnFamilyName(table_id) +
                                                      ", " + std::to_string(keys.size()) + " deletes)");
}

namespace {

// Iterates `family` of `db`; fn gets each decoded row. `where` names the DB
// in messages.
Status IterateRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, const std::string& where, int row_floats,
                   const std::function<Status(Key, const float*)>& fn) {
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  std::vector<float> row(static_cast<size_t>(row_floats));
  rocksdb::ReadOptions read;
  read.fill_cache = false;  // a scan: keep the hot blocks
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, family));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const rocksdb::Slice key = it->key();
    const rocksdb::Slice value = it->value();
    if (key.size() != kKeyBytes) {
      return Status::DataLoss(where, ": a key of ", key.size(), " bytes, want ", kKeyBytes);
    }
    const Key decoded = DecodeKey(key.data());
    if (value.size() != row_bytes) {
      return Status::DataLoss(where, " key ", decoded, ": value of ", value.size(), " bytes, want ", row_bytes);
    }
    DecodeRow(value.data(), row_floats, row.data());
    RETURN_IF_ERROR(fn(decoded, row.data()));
  }
  return RocksStatus(it->status(), "rocksdb Iterator(" + where + ")");
}

}  // namespace

Status RocksTier::ForEachRow(uint32_t table_id, int row_floats, const std::function<Status(Key, const float*)>& fn) {
  ASSIGN_OR_RETURN(rocksdb::ColumnFamilyHandle * family, FamilyOrError(table_id, "ForEachRow"));
  return IterateRows(db_.get(), family, options_.path + " " + ColumnFamilyName(table_id), row_floats, fn);
}

Status RocksTier::Checkpoint(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    return Status::AlreadyExists("RocksTier::Checkpoint: ", dir, " exists");
  }
  RETURN_IF_ERROR(RocksStatus(db_->Flush(rocksdb::FlushOptions(), families_),
                              "rocksdb Flush(" + options_.path + ") for a checkpoint into " + dir));
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(RocksStatus(rocksdb::Checkpoint::Create(db_.get(), &raw), "rocksdb Checkpoint::Create(" + dir + ")"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return RocksStatus(checkpoint->CreateCheckpoint(dir, /*log_size_for_flush=*/0),
                     "rocksdb CreateCheckpoint(" + options_.path + " -> " + dir + ")");
}

Status ForEachCheckpointRow(const std::string& dir, uint32_t table_id, int row_floats,
                            const std::function<void(Key, const float*)>& fn) {
  rocksdb::Options options;
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  if (!listed.ok()) {
    return Status::NotFound("ForEachCheckpointRow: no RocksDB checkpoint at ", dir, ": ", listed.ToString());
  }
  const std::string wanted = ColumnFamilyName(table_id);
  if (std::find(names.begin(), names.end(), wanted) == names.end()) {
    return Status::NotFound("ForEachCheckpointRow: no column family ", wanted, " in ", dir);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const std::string& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(RocksStatus(rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw),
                              "rocksdb::DB::OpenForReadOnly(" + dir + ")"));
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::ColumnFamilyHandle* family = nullptr;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == wanted) family = handles[i];
  }
  Status status = IterateRows(db.get(), family, dir + " " + wanted, row_floats, [&](Key key, const float* row) {
    fn(key, row);
    return Status::OK();
  });
  for (rocksdb::ColumnFamilyHandle* handle : handles) db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
  return status;
}

}  // namespace ember::storage
