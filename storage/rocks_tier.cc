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
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <new>
#include <numeric>
#include <system_error>

#include <pthread.h>

#include "common/coding.h"
#include "storage/internal/rocks_format.h"

namespace ember::storage {

using internal::DecodeKey;
using internal::DecodeRow;
using internal::EncodeKey;
using internal::IterateRows;
using internal::KeyComparator;
using internal::kKeyBytes;
using internal::RocksStatus;

namespace {

// RocksDB counts every read and write in a thread-local PerfContext by
// default (kEnableCount); ember never reads it. The calling thread's level is
// set off before each batch call: in a job-level profile of a tiered Wide &
// Deep run, reaching that thread-local context (__tls_get_addr, the
// PerfContext's TLS init) was ~6% of all CPU samples, and ~1.4% after.
void SkipPerfCounters() { rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable); }

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
  family.comparator = KeyComparator();
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

// No WAL (the tier is a cache), and no waiting inside RocksDB: a write it
// would stall or slow down fails with Incomplete, and WriteWithinDeadline
// decides how long to retry.
rocksdb::WriteOptions NoWalNoStall() {
  rocksdb::WriteOptions write;
  write.disableWAL = true;
  write.no_slowdown = true;
  return write;
}

// The clock of ReadOptions::deadline: microseconds since the epoch, as
// RocksDB's default SystemClock::NowMicros counts them.
std::chrono::microseconds NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch());
}

std::string Seconds(std::chrono::microseconds t) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3g s", static_cast<double>(t.count()) * 1e-6);
  return text;
}

}  // namespace

std::string ColumnFamilyName(uint32_t table_id) { return "table-" + std::to_string(table_id); }

StatusOr<std::unique_ptr<RocksTier>> RocksTier::Open(const RocksTierOptions& options,
                                                     const std::vector<sparse::TableConfig>& tables) {
  if (options.path.empty()) return Status::InvalidArgument("RocksTier::Open: empty path");
  if (options.stall_timeout.count() <= 0) {
    return Status::InvalidArgument("RocksTier::Open(", options.path, "): stall_timeout must be positive, not ",
                                   options.stall_timeout.count(), " us");
  }
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
  for (const sparse::TableConfig& table : tables) descriptors.emplace_back(ColumnFamilyName(table.id), family_options);
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
  for (const sparse::TableConfig& table : tables) tier->table_ids_.push_back(table.id);
  tier->writes_.resize(tier->families_.size());
  try {
    tier->writer_ = std::thread([t = tier.get()] { t->WriteLoop(); });
  } catch (const std::system_error& e) {
    return Status::ResourceExhausted("RocksTier::Open(", options.path,
                                     "): cannot start the write-back thread: ", e.what());
  }
  return tier;
}

RocksTier::~RocksTier() {
  if (writer_.joinable()) {
    WaitForWrites().IgnoreError();  // a cache: nothing to save
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    queued_.notify_one();
    writer_.join();
  }
  if (db_ == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* family : families_) db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

int RocksTier::FamilyIndex(uint32_t table_id) const {
  for (size_t i = 1; i < table_ids_.size(); ++i) {
    if (table_ids_[i] == table_id) return static_cast<int>(i);
  }
  return -1;
}

StatusOr<int> RocksTier::FamilyIndexOrError(uint32_t table_id, const char* call) const {
  const int f = FamilyIndex(table_id);
  if (f < 0) return Status::NotFound("RocksTier::", call, ": no table ", table_id, " in ", options_.path);
  return f;
}

bool RocksTier::Write::InFlightOrFailed() {
  if (state == State::kDone && status.ok()) state = State::kNone;  // landed: RocksDB has the rows
  return state != State::kNone;
}

Status RocksTier::WaitForWrite(int f) {
  Write& write = writes_[static_cast<size_t>(f)];
  std::unique_lock<std::mutex> lock(mu_);
  written_.wait(lock, [&] { return write.state != Write::State::kQueued; });
  if (write.InFlightOrFailed())
    return write.status.WithContext("an earlier write-back");  // kept: its rows stay readable
  return Status::OK();
}

Status RocksTier::WaitForWrites() {
  Status first;
  for (size_t f = 1; f < writes_.size(); ++f) {  // family 0, the default one, holds no table
    Status status = WaitForWrite(static_cast<int>(f));
    if (first.ok()) first = std::move(status);
  }
  return first;
}

void RocksTier::WriteLoop() {
  pthread_setname_np(pthread_self(), "ember:rockswb");
  SkipPerfCounters();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, and every write done
    const int f = queue_.front();
    queue_.pop_front();
    lock.unlock();
    // The owner does not change a queued write: read without the lock.
    const Write& write = writes_[static_cast<size_t>(f)];
    const std::string what = "rocksdb Write(" + options_.path + ", " +
                             ColumnFamilyName(table_ids_[static_cast<size_t>(f)]) + ", write-back of " +
                             std::to_string(write.keys.size()) + " rows)";
    Status status;
    try {
      rocksdb::WriteBatch batch(write.keys.size() * (write.row_bytes + kKeyBytes + 16));
      char key_bytes[kKeyBytes];
      rocksdb::Status written;
      for (size_t i = 0; i < write.keys.size() && written.ok(); ++i) {
        EncodeKey(write.keys[i], key_bytes);
        written = batch.Put(families_[static_cast<size_t>(f)], rocksdb::Slice(key_bytes, kKeyBytes),
                            rocksdb::Slice(write.rows.data() + i * write.row_bytes, write.row_bytes));
      }
      status = written.ok() ? WriteWithinDeadline(&batch, what) : RocksStatus(written, what);
    } catch (const std::bad_alloc&) {  // reported as a refused write, not std::terminate
      status = Status::ResourceExhausted(what, ": out of memory");
    }
    lock.lock();
    writes_[static_cast<size_t>(f)].status = std::move(status);
    writes_[static_cast<size_t>(f)].state = Write::State::kDone;
    written_.notify_all();
  }
}

Status RocksTier::MultiGet(uint32_t table_id, std::span<const Key> keys, int row_floats, float* rows,
                           std::vector<uint8_t>* found) {
  ASSIGN_OR_RETURN(const int f, FamilyIndexOrError(table_id, "MultiGet"));
  const size_t n = keys.size();
  found->assign(n, 0);
  if (n == 0) return Status::OK();
  Write& write = writes_[static_cast<size_t>(f)];
  bool in_flight;  // queued, or failed: its rows are only in the copy
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight = write.InFlightOrFailed();
  }
  if (!in_flight) return ReadFromDb(f, keys, row_floats, rows, found->data());
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  if (write.row_bytes != row_bytes) {
    return Status::InvalidArgument("RocksTier::MultiGet: ", options_.path, " ", ColumnFamilyName(table_id),
                                   ": rows of ", row_bytes, " bytes asked, ", write.row_bytes, " written");
  }
  // Keys of the write in flight come from its copy (the last of duplicates),
  // the rest from RocksDB.
  db_keys_.clear();
  db_positions_.clear();
  for (size_t i = 0; i < n; ++i) {
    const Key key = keys[i];
    const auto after = std::upper_bound(write.keys.begin(), write.keys.end(), key);
    if (after != write.keys.begin() && *(after - 1) == key) {
      const auto j = static_cast<size_t>(after - 1 - write.keys.begin());
      DecodeRow(write.rows.data() + j * row_bytes, row_floats, rows + i * static_cast<size_t>(row_floats));
      (*found)[i] = 1;
      ++reads_from_writes_in_flight_;
    } else {
      db_keys_.push_back(key);
      db_positions_.push_back(i);
    }
  }
  if (db_keys_.empty()) return Status::OK();
  db_rows_.resize(db_keys_.size() * static_cast<size_t>(row_floats));
  db_found_.resize(db_keys_.size());
  RETURN_IF_ERROR(ReadFromDb(f, db_keys_, row_floats, db_rows_.data(), db_found_.data()));
  for (size_t k = 0; k < db_keys_.size(); ++k) {
    if (!db_found_[k]) continue;
    std::memcpy(rows + db_positions_[k] * static_cast<size_t>(row_floats),
                db_rows_.data() + k * static_cast<size_t>(row_floats), row_bytes);
    (*found)[db_positions_[k]] = 1;
  }
  return Status::OK();
}

Status RocksTier::ReadFromDb(int f, std::span<const Key> keys, int row_floats, float* rows, uint8_t* found) {
  rocksdb::ColumnFamilyHandle* family = families_[static_cast<size_t>(f)];
  const uint32_t table_id = table_ids_[static_cast<size_t>(f)];
  SkipPerfCounters();
  const size_t n = keys.size();
  key_bytes_.resize(n * kKeyBytes);
  std::vector<rocksdb::Slice> slices(n);
  for (size_t i = 0; i < n; ++i) {
    EncodeKey(keys[i], key_bytes_.data() + i * kKeyBytes);
    slices[i] = rocksdb::Slice(key_bytes_.data() + i * kKeyBytes, kKeyBytes);
  }
  std::vector<rocksdb::PinnableSlice> values(n);
  std::vector<rocksdb::Status> statuses(n);
  const bool sorted = std::is_sorted(keys.begin(), keys.end());  // numeric order is the big-endian bytes' order
  rocksdb::ReadOptions read;
  read.deadline = NowMicros() + options_.stall_timeout;
  read.io_timeout = options_.stall_timeout;
  db_->MultiGet(read, family, n, slices.data(), values.data(), statuses.data(), sorted);
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    found[i] = 0;
    if (statuses[i].IsNotFound()) continue;
    if (statuses[i].IsTimedOut()) {
      return Status::DeadlineExceeded("rocksdb MultiGet(", options_.path, ", ", ColumnFamilyName(table_id), ", ", n,
                                      " keys): not done within ", Seconds(options_.stall_timeout),
                                      " (a stalled or very slow disk under ", options_.path, "?)");
    }
    RETURN_IF_ERROR(RocksStatus(statuses[i], "rocksdb MultiGet(" + options_.path + ", " + ColumnFamilyName(table_id) +
                                                 ", key " + std::to_string(keys[i]) + ")"));
    if (values[i].size() != row_bytes) {
      return Status::DataLoss("RocksTier::MultiGet: ", options_.path, " ", ColumnFamilyName(table_id), " key ", keys[i],
                              ": value of ", values[i].size(), " bytes, want ", row_bytes);
    }
    DecodeRow(values[i].data(), row_floats, rows + i * static_cast<size_t>(row_floats));
    found[i] = 1;
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
  ASSIGN_OR_RETURN(const int f, FamilyIndexOrError(table_id, "PutRows"));
  RETURN_IF_ERROR(WaitForWrite(f));
  if (keys.empty()) return Status::OK();
  Write& write = writes_[static_cast<size_t>(f)];  // kNone: the writer does not read it
  const size_t n = keys.size();
  const size_t row_bytes = static_cast<size_t>(row_floats) * sizeof(float);
  // The copy is kept in key order for MultiGet's binary search; stable, so
  // of duplicates the last stays last, as in the WriteBatch it becomes.
  // Evictions come sorted: no permutation then.
  std::vector<uint32_t> order;
  if (!std::is_sorted(keys.begin(), keys.end())) {
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return keys[a] < keys[b]; });
  }
  write.row_bytes = row_bytes;
  write.keys.resize(n);
  write.rows.resize(n * row_bytes);
  for (size_t i = 0; i < n; ++i) {
    const size_t from = order.empty() ? i : order[i];
    write.keys[i] = keys[from];
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(write.rows.data() + i * row_bytes, rows[from], row_bytes);
    } else {
      EncodeFloats(rows[from], static_cast<size_t>(row_floats), write.rows.data() + i * row_bytes);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(f);  // first: if it throws, the write is not marked queued
    write.state = Write::State::kQueued;
  }
  queued_.notify_one();
  return Status::OK();
}

Status RocksTier::Delete(uint32_t table_id, std::span<const Key> keys) {
  ASSIGN_OR_RETURN(const int f, FamilyIndexOrError(table_id, "Delete"));
  RETURN_IF_ERROR(WaitForWrite(f));
  rocksdb::ColumnFamilyHandle* family = families_[static_cast<size_t>(f)];
  SkipPerfCounters();
  if (keys.empty()) return Status::OK();
  rocksdb::WriteBatch batch;
  char key_bytes[kKeyBytes];
  for (Key key : keys) {
    EncodeKey(key, key_bytes);
    RETURN_IF_ERROR(RocksStatus(batch.Delete(family, rocksdb::Slice(key_bytes, kKeyBytes)),
                                "rocksdb WriteBatch::Delete(" + options_.path + ")"));
  }
  return WriteWithinDeadline(&batch, "rocksdb Write(" + options_.path + ", " + ColumnFamilyName(table_id) + ", " +
                                         std::to_string(keys.size()) + " deletes)");
}

Status RocksTier::WriteWithinDeadline(rocksdb::WriteBatch* batch, const std::string& what) {
  const auto start = std::chrono::steady_clock::now();
  auto pause = std::chrono::microseconds(500);
  while (true) {
    const rocksdb::Status written = db_->Write(NoWalNoStall(), batch);
    if (!written.IsIncomplete()) return RocksStatus(written, what);
    // Stalled: RocksDB's flushes or compactions are behind. Retry, backing
    // off to 20 ms, until the deadline.
    const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
    if (waited >= options_.stall_timeout) {
      return Status::DeadlineExceeded(what, ": RocksDB has held the write back for ", Seconds(waited),
                                      " (its flushes to disk are not keeping up: a stalled or very slow disk under ",
                                      options_.path, "?)");
    }
    std::this_thread::sleep_for(std::min(pause, options_.stall_timeout - waited));
    pause = std::min(pause * 2, std::chrono::microseconds(20'000));
  }
}

void RocksTier::PauseBackgroundWorkForTest() { db_->PauseBackgroundWork().PermitUncheckedError(); }
void RocksTier::ContinueBackgroundWorkForTest() { db_->ContinueBackgroundWork().PermitUncheckedError(); }

Status RocksTier::ForEachRow(uint32_t table_id, int row_floats, const std::function<Status(Key, const float*)>& fn) {
  ASSIGN_OR_RETURN(const int f, FamilyIndexOrError(table_id, "ForEachRow"));
  RETURN_IF_ERROR(WaitForWrite(f));
  rocksdb::ColumnFamilyHandle* family = families_[static_cast<size_t>(f)];
  return IterateRows(db_.get(), family, options_.path + " " + ColumnFamilyName(table_id), row_floats, fn);
}

Status RocksTier::Checkpoint(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    return Status::AlreadyExists("RocksTier::Checkpoint: ", dir, " exists");
  }
  RETURN_IF_ERROR(WaitForWrites().WithContext("RocksTier::Checkpoint into " + dir));
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
  rocksdb::ColumnFamilyOptions family_options;
  family_options.comparator = KeyComparator();
  for (const std::string& name : names) descriptors.emplace_back(name, family_options);
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw);
  if (opened.IsInvalidArgument() && opened.ToString().find("does not match existing comparator") != std::string::npos) {
    // Written before KeyComparator (by RocksDB's BytewiseComparator, which
    // orders the keys the same): open it with that one.
    for (rocksdb::ColumnFamilyDescriptor& descriptor : descriptors) descriptor.options = rocksdb::ColumnFamilyOptions();
    const rocksdb::Status bytewise = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw);
    if (bytewise.ok()) opened = bytewise;
  }
  RETURN_IF_ERROR(RocksStatus(opened, "rocksdb::DB::OpenForReadOnly(" + dir + ")"));
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
