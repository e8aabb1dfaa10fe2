#include "storage/internal/rocks_format.h"

#include <rocksdb/comparator.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/status.h>

#include <bit>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace ember::storage::internal {
namespace {

// Orders keys as BytewiseComparator does (big-endian 8-byte keys: numeric
// order), comparing 8-byte keys as two integers instead of through memcmp.
class BigEndianKeyComparator final : public rocksdb::Comparator {
 public:
  const char* Name() const override { return "ember.BigEndianKey"; }
  int Compare(const rocksdb::Slice& a, const rocksdb::Slice& b) const override {
    if (a.size() == kKeyBytes && b.size() == kKeyBytes) {
      uint64_t x, y;
      std::memcpy(&x, a.data(), kKeyBytes);
      std::memcpy(&y, b.data(), kKeyBytes);
      if constexpr (std::endian::native == std::endian::little) {
        x = __builtin_bswap64(x);
        y = __builtin_bswap64(y);
      }
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return a.compare(b);
  }
  bool Equal(const rocksdb::Slice& a, const rocksdb::Slice& b) const override { return a == b; }
  void FindShortestSeparator(std::string*, const rocksdb::Slice&) const override {}  // keys stay whole
  void FindShortSuccessor(std::string*) const override {}
  bool CanKeysWithDifferentByteContentsBeEqual() const override { return false; }
};

}  // namespace

const rocksdb::Comparator* KeyComparator() {
  static const BigEndianKeyComparator* comparator = new BigEndianKeyComparator();  // never destroyed
  return comparator;
}

Status RocksStatus(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::OK();
  const std::string message = what + ": " + s.ToString();
  if (s.IsNotFound()) return Status::NotFound(message);
  if (s.IsCorruption()) return Status::DataLoss(message);
  if (s.IsInvalidArgument()) return Status::InvalidArgument(message);
  if (s.IsNotSupported()) return Status::Unimplemented(message);
  if (s.IsTimedOut()) return Status::DeadlineExceeded(message);
  if (s.IsBusy() || s.IsTryAgain()) return Status::Unavailable(message);
  if (s.IsIncomplete() || s.IsShutdownInProgress() || s.IsAborted()) return Status::Aborted(message);
  if (s.IsNoSpace() || s.IsMemoryLimit()) return Status::ResourceExhausted(message);
  return Status::Internal(message);  // IOError and the rest
}

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

}  // namespace ember::storage::internal
