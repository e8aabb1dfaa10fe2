// storage/checkpoint_files.h: the files inside a checkpoint directory, one
// writer and one reader per format, each written through a checksummed,
// buffered FileWriter whose FileEntry (path, bytes, checksum) goes into the
// MANIFEST. The byte layouts are specified in docs/checkpoint_format.md; the
// MANIFEST is storage/manifest.h and the directory protocol (commit, prune,
// verify) storage/checkpoint.h. One header for the formats; each has its own
// .cc: checkpoint_files.cc (FileEntry, FileWriter, checksums), rows_file.cc,
// dense_file.cc, state_files.cc.
//
//   RowsFileWriter rows;
//   RETURN_IF_ERROR(rows.Open(dir + "/server-0/table-3.rows", /*table_id=*/3,
//                             /*row_floats=*/16));
//   for (...) RETURN_IF_ERROR(rows.AddRow(key, row));
//   ASSIGN_OR_RETURN(FileEntry entry, rows.Finish());   // fsynced
//   manifest.files.push_back(entry);
//
// All headers are little-endian, encoded with EncodeFixed32/64; bulk floats
// are raw little-endian float32. Every error names the file. A writer or
// reader object is thread-compatible (one thread at a time); distinct
// objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/checksum.h"
#include "common/hash.h"
#include "common/status.h"

namespace ember::storage {

// One file of a checkpoint as the MANIFEST lists it.
struct FileEntry {
  std::string path;       // as written; the MANIFEST stores it relative to the checkpoint dir
  uint64_t bytes = 0;     // exact length
  uint64_t checksum = 0;  // Checksum64 of all its bytes
};

// "<path> <bytes> <checksum as 16 hex digits>": how servers and workers
// report the files they wrote to the scheduler (docs/wire_format.md).
std::string FormatFileEntry(const FileEntry& file);
// One FormatFileEntry line per file (blank lines ignored). DataLoss naming
// the bad line.
StatusOr<std::vector<FileEntry>> ParseFileEntries(std::string_view text);

// Writes one file from scratch, buffered, checksumming every byte.
// Create truncates an existing file. Errors name the path and the errno
// text: ResourceExhausted for ENOSPC/EDQUOT/EFBIG ("the disk or the
// file-size limit is full"), Internal otherwise. After an error the writer
// is closed and the partial file is left for the caller to remove (the whole
// step-N.tmp directory is discarded by the protocol anyway).
class FileWriter {
 public:
  static constexpr size_t kBufferBytes = 4 << 20;  // 4 MiB

  FileWriter() = default;
  ~FileWriter();  // closes without fsync if Close was not called
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Creates (or truncates) `path`. Internal/NotFound naming the path.
  Status Create(const std::string& path);
  // Appends bytes; large appends bypass the buffer.
  Status Append(const void* data, size_t n) {
    if (fd_ >= 0 && n <= buffer_.size() - buffered_) {  // the common case, inline
      std::memcpy(buffer_.data() + buffered_, data, n);
      buffered_ += n;
      bytes_ += n;
      return Status::OK();
    }
    return AppendSlow(data, n);
  }
  Status Append(std::string_view bytes) { return Append(bytes.data(), bytes.size()); }
  // Flushes, fsyncs and closes; returns the entry for the MANIFEST.
  // With drop_cache, also asks the kernel to drop the file's pages after the
  // fsync (posix_fadvise DONTNEED; used by the benchmark).
  StatusOr<FileEntry> Close(bool drop_cache = false);
  // Bytes appended so far.
  uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  Status AppendSlow(const void* data, size_t n);
  Status Flush();
  Status WriteRaw(const char* data, size_t n);
  Status Fail(Status status);

  std::string path_;
  int fd_ = -1;
  std::vector<char> buffer_;
  size_t buffered_ = 0;
  uint64_t bytes_ = 0;
  Checksum64 checksum_;
};

// Reads `path` to the end and returns its length and checksum (for files
// written by other code, e.g. a RocksDB checkpoint). NotFound if missing.
StatusOr<FileEntry> ChecksumFile(const std::string& path);
// ChecksumFile for every regular file under `dir` (recursively), sorted by
// path; each entry's path is `dir` + "/" + the relative name.
StatusOr<std::vector<FileEntry>> ChecksumTree(const std::string& dir);

// Writes `contents` as one whole file through FileWriter (fsynced).
StatusOr<FileEntry> WriteWholeFile(const std::string& path, std::string_view contents);

// ---------------------------------------------------------------------------
// table-<id>.rows: one server's memory-tier rows of one table, then the
// pending admission counts of keys not yet admitted.

struct RowsFileInfo {
  uint32_t table_id = 0;
  int row_floats = 0;
  uint64_t num_rows = 0;
  uint64_t num_counts = 0;
};

class RowsFileWriter {
 public:
  // Creates the file and writes its header. InvalidArgument if row_floats < 1.
  Status Open(const std::string& path, uint32_t table_id, int row_floats);
  // Appends one row of row_floats floats (the value, then optimizer state,
  // as the memory tier stores it). Any key order.
  Status AddRow(Key key, const float* row);
  // Records a pending admission count (kept in memory, written by Finish).
  void AddPendingCount(Key key, uint32_t count, uint32_t last_step);
  // Writes the counts and the footer, fsyncs, closes.
  StatusOr<FileEntry> Finish(bool drop_cache = false);
  uint64_t num_rows() const { return num_rows_; }

 private:
  FileWriter file_;
  uint32_t table_id_ = 0;
  int row_floats_ = 0;
  uint64_t num_rows_ = 0;
  std::vector<char> record_;
  struct PendingCount {
    Key key;
    uint32_t count, last_step;
  };
  std::vector<PendingCount> counts_;
};

// Reads the header and footer only (cheap: two small reads). DataLoss naming
// the file when the magic, version, or the length implied by the footer is
// wrong; NotFound if missing.
StatusOr<RowsFileInfo> ReadRowsFileInfo(const std::string& path);

// Streams every row, then every pending count, to the callbacks (either may
// be empty). Validates magic, version, the table id and row width against
// the expected ones (FailedPrecondition naming the file and both values),
// and the exact length (DataLoss). The row pointer is valid only during the
// call.
Status ReadRowsFile(const std::string& path, uint32_t table_id, int row_floats,
                    const std::function<void(Key, const float*)>& row_fn,
                    const std::function<void(Key, uint32_t count, uint32_t last_step)>& count_fn);

// ---------------------------------------------------------------------------
// dense.bin: named float32 arrays (dense parameters, optimizer state).

struct DenseArray {
  std::string name;            // unique in the file, 1..4096 bytes, no '\n'
  std::vector<int64_t> shape;  // product == values.size(); {} is a scalar
  std::vector<float> values;
};

// InvalidArgument for an empty or duplicate name or a shape that does not
// match the values.
StatusOr<FileEntry> WriteDenseFile(const std::string& path, const std::vector<DenseArray>& arrays);
// DataLoss naming the file (and the array) on any inconsistency.
StatusOr<std::vector<DenseArray>> ReadDenseFile(const std::string& path);

// ---------------------------------------------------------------------------
// worker-<r>.state: where a worker stopped.

struct WorkerState {
  int32_t rank = 0;
  int32_t epoch = 0;
  int64_t global_step = 0;
  int64_t samples_trained = 0;
  double train_seconds = 0;
  int64_t reader_file_index = 0;  // which input file the reader is in
  int64_t reader_offset = 0;      // byte offset of the next record in it
  int64_t reader_line = 0;        // its line number (1-based, for messages)
  int64_t reader_records = 0;     // records read this epoch
  int64_t reader_bad_lines = 0;   // malformed lines skipped this epoch
  bool epoch_done = false;
  uint64_t rng_state = 0;
  bool operator==(const WorkerState&) const = default;
};

// "worker-<rank>.state".
std::string WorkerStateFileName(int rank);
StatusOr<FileEntry> WriteWorkerState(const std::string& path, const WorkerState& state);
StatusOr<WorkerState> ReadWorkerState(const std::string& path);

// ---------------------------------------------------------------------------
// server-<s>/server.state: a server's clocks.

struct ServerState {
  int32_t rank = 0;
  uint64_t applied_steps = 0;  // sync steps applied
  uint32_t push_clock = 0;
  bool operator==(const ServerState&) const = default;
};

StatusOr<FileEntry> WriteServerState(const std::string& path, const ServerState& state);
StatusOr<ServerState> ReadServerState(const std::string& path);

}  // namespace ember::storage
