// storage/internal/rocks_format.h: how the RocksDB tier (rocks_tier.h) lays
// a row out in RocksDB, and the one place where a rocksdb::Status becomes an
// ember Status.
//
// A row is stored as
//   key:   the 8-byte table key, big-endian (iteration runs in key order)
//   value: the row's row_floats floats as raw little-endian bytes
// and the keys of every column family are ordered by KeyComparator()
// ("ember.BigEndianKey"): the bytewise order, with two 8-byte keys compared
// as integers instead of through memcmp. The live tier and the reader of its
// checkpoints (ForEachCheckpointRow) both go through here. Thread-safe.
//
//   char key_bytes[kKeyBytes];
//   EncodeKey(key, key_bytes);
//   RETURN_IF_ERROR(RocksStatus(batch.Delete(family, rocksdb::Slice(key_bytes, kKeyBytes)), "rocksdb Delete(...)"));
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "common/coding.h"
#include "common/hash.h"
#include "common/status.h"

namespace rocksdb {
class ColumnFamilyHandle;
class Comparator;
class DB;
class Status;
}  // namespace rocksdb

namespace ember::storage::internal {

inline constexpr size_t kKeyBytes = 8;

// Writes `key` big-endian into out[0, kKeyBytes).
inline void EncodeKey(Key key, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(key >> (56 - 8 * i));
}
// The key of a stored key's kKeyBytes bytes.
inline Key DecodeKey(const char* in) {
  Key key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | static_cast<unsigned char>(in[i]);
  return key;
}
// A stored value (row_floats little-endian floats, any alignment) -> floats.
inline void DecodeRow(const char* bytes, int row_floats, float* row) {
  DecodeFloats(bytes, static_cast<size_t>(row_floats), row);
}

// The comparator of every column family of the tier (never destroyed: a DB
// may outlive exit()).
const rocksdb::Comparator* KeyComparator();

// The ember Status of `s`: OK when s is; else `what` (the call and its
// arguments: path, table, key) and RocksDB's message, with the code by
// kind: NotFound, Corruption -> DataLoss, InvalidArgument, NotSupported ->
// Unimplemented, TimedOut -> DeadlineExceeded, Busy and TryAgain ->
// Unavailable, Incomplete, ShutdownInProgress and Aborted -> Aborted, NoSpace
// and MemoryLimit -> ResourceExhausted, the rest (IOError...) -> Internal.
Status RocksStatus(const rocksdb::Status& s, const std::string& what);

// Calls fn(key, row) for every row of `family` of `db` in key order (rows of
// row_floats floats, aligned, valid during the call), then returns fn's first
// non-OK Status or the iterator's. DataLoss naming `where` (the DB and
// family) on a key or value of the wrong size. Reads skip the block cache.
Status IterateRows(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, const std::string& where, int row_floats,
                   const std::function<Status(Key, const float*)>& fn);

}  // namespace ember::storage::internal
