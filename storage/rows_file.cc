// table-<id>.rows: RowsFileWriter, ReadRowsFileInfo and ReadRowsFile
// (storage/checkpoint_files.h; layout in docs/checkpoint_format.md).
#include "storage/checkpoint_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "common/coding.h"
#include "storage/internal/file_io.h"

namespace ember::storage {
namespace {

using internal::FourCc;
using internal::OpenForRead;
using internal::ScopedFd;

constexpr uint32_t kRowsMagic = FourCc("EMRW");
// 2: a pending admission count carries the step it was last counted at.
constexpr uint32_t kRowsFormatVersion = 2;

constexpr size_t kRowsHeaderBytes = 16;
constexpr size_t kRowsFooterBytes = 24;
constexpr size_t kCountRecordBytes = 16;
constexpr int kMaxRowFloats = 1 << 20;

// Reads exactly n bytes at `offset`. DataLoss if the file is shorter.
Status PreadFully(int fd, const std::string& path, char* out, size_t n, uint64_t offset) {
  while (n > 0) {
    const ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("cannot read ", path, ": ", std::strerror(errno));
    }
    if (got == 0) return Status::DataLoss(path, ": unexpected end of file at byte ", offset);
    out += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return Status::OK();
}

StatusOr<RowsFileInfo> ReadRowsInfoFromFd(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Status::Internal("cannot stat ", path, ": ", std::strerror(errno));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kRowsHeaderBytes + kRowsFooterBytes) {
    return Status::DataLoss("rows file ", path, " is truncated: ", size, " bytes, less than the ",
                            kRowsHeaderBytes + kRowsFooterBytes, " of a header and footer");
  }
  char header[kRowsHeaderBytes];
  char footer[kRowsFooterBytes];
  RETURN_IF_ERROR(PreadFully(fd, path, header, sizeof(header), 0));
  RETURN_IF_ERROR(PreadFully(fd, path, footer, sizeof(footer), size - kRowsFooterBytes));
  if (DecodeFixed32(header) != kRowsMagic) return Status::DataLoss(path, " is not a rows file (bad magic)");
  if (DecodeFixed32(header + 4) != kRowsFormatVersion) {
    return Status::DataLoss("rows file ", path, " has format version ", DecodeFixed32(header + 4),
                            "; this build reads version ", kRowsFormatVersion);
  }
  RowsFileInfo info;
  info.table_id = DecodeFixed32(header + 8);
  const uint32_t row_floats = DecodeFixed32(header + 12);
  if (row_floats < 1 || row_floats > static_cast<uint32_t>(kMaxRowFloats)) {
    return Status::DataLoss("rows file ", path, " has row_floats ", row_floats);
  }
  info.row_floats = static_cast<int>(row_floats);
  if (DecodeFixed32(footer + 16) != kRowsMagic) {
    return Status::DataLoss("rows file ", path, " is truncated or corrupted (bad footer magic)");
  }
  info.num_rows = DecodeFixed64(footer);
  info.num_counts = DecodeFixed64(footer + 8);
  const uint64_t record_bytes = 8 + 4 * static_cast<uint64_t>(row_floats);
  const uint64_t body = size - kRowsHeaderBytes - kRowsFooterBytes;
  if (info.num_rows > body / record_bytes || info.num_counts > body / kCountRecordBytes ||
      info.num_rows * record_bytes + info.num_counts * kCountRecordBytes != body) {
    return Status::DataLoss("rows file ", path, " has ", size, " bytes, but its footer says ", info.num_rows,
                            " rows of ", row_floats, " floats and ", info.num_counts, " counts");
  }
  return info;
}

}  // namespace

Status RowsFileWriter::Open(const std::string& path, uint32_t table_id, int row_floats) {
  if (row_floats < 1 || row_floats > kMaxRowFloats) {
    return Status::InvalidArgument("rows file ", path, ": row_floats ", row_floats, " outside [1, ", kMaxRowFloats,
                                   "]");
  }
  table_id_ = table_id;
  row_floats_ = row_floats;
  num_rows_ = 0;
  counts_.clear();
  record_.assign(8 + 4 * static_cast<size_t>(row_floats), 0);
  RETURN_IF_ERROR(file_.Create(path));
  char header[kRowsHeaderBytes];
  EncodeFixed32(header, kRowsMagic);
  EncodeFixed32(header + 4, kRowsFormatVersion);
  EncodeFixed32(header + 8, table_id);
  EncodeFixed32(header + 12, static_cast<uint32_t>(row_floats));
  return file_.Append(header, sizeof(header));
}

Status RowsFileWriter::AddRow(Key key, const float* row) {
  EncodeFixed64(record_.data(), key);
  EncodeFloats(row, static_cast<size_t>(row_floats_), record_.data() + 8);
  ++num_rows_;
  return file_.Append(record_.data(), record_.size());
}

void RowsFileWriter::AddPendingCount(Key key, uint32_t count, uint32_t last_step) {
  counts_.push_back({key, count, last_step});
}

StatusOr<FileEntry> RowsFileWriter::Finish(bool drop_cache) {
  char record[kCountRecordBytes];
  for (const PendingCount& pending : counts_) {
    EncodeFixed64(record, pending.key);
    EncodeFixed32(record + 8, pending.count);
    EncodeFixed32(record + 12, pending.last_step);
    RETURN_IF_ERROR(file_.Append(record, sizeof(record)));
  }
  char footer[kRowsFooterBytes];
  EncodeFixed64(footer, num_rows_);
  EncodeFixed64(footer + 8, counts_.size());
  EncodeFixed32(footer + 16, kRowsMagic);
  EncodeFixed32(footer + 20, 0);
  RETURN_IF_ERROR(file_.Append(footer, sizeof(footer)));
  counts_.clear();
  counts_.shrink_to_fit();
  return file_.Close(drop_cache);
}

StatusOr<RowsFileInfo> ReadRowsFileInfo(const std::string& path) {
  ASSIGN_OR_RETURN(const int raw_fd, OpenForRead(path));
  ScopedFd fd(raw_fd);
  return ReadRowsInfoFromFd(fd.get(), path);
}

Status ReadRowsFile(const std::string& path, uint32_t table_id, int row_floats,
                    const std::function<void(Key, const float*)>& row_fn,
                    const std::function<void(Key, uint32_t count, uint32_t last_step)>& count_fn) {
  ASSIGN_OR_RETURN(const int raw_fd, OpenForRead(path));
  ScopedFd fd(raw_fd);
  ASSIGN_OR_RETURN(const RowsFileInfo info, ReadRowsInfoFromFd(fd.get(), path));
  if (info.table_id != table_id) {
    return Status::FailedPrecondition("rows file ", path, " holds table ", info.table_id, ", expected table ",
                                      table_id);
  }
  if (info.row_floats != row_floats) {
    return Status::FailedPrecondition("rows file ", path, " has ", info.row_floats, " floats per row of table ",
                                      table_id, ", expected ", row_floats);
  }
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  const size_t record_bytes = 8 + 4 * static_cast<size_t>(row_floats);
  // Whole records per chunk; the buffer starts 16-byte aligned, records are
  // a multiple of 4 bytes, so the floats of every record are 4-byte aligned.
  const size_t records_per_chunk = std::max<size_t>(1, FileWriter::kBufferBytes / record_bytes);
  std::vector<char> buffer(records_per_chunk * record_bytes);
  std::vector<float> row(static_cast<size_t>(row_floats));
  uint64_t offset = kRowsHeaderBytes;
  uint64_t left = info.num_rows;
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, records_per_chunk));
    RETURN_IF_ERROR(PreadFully(fd.get(), path, buffer.data(), n * record_bytes, offset));
    offset += n * record_bytes;
    left -= n;
    if (!row_fn) continue;
    for (size_t i = 0; i < n; ++i) {
      const char* record = buffer.data() + i * record_bytes;
      const Key key = DecodeFixed64(record);
      if constexpr (std::endian::native == std::endian::little) {
        row_fn(key, reinterpret_cast<const float*>(record + 8));
      } else {
        DecodeFloats(record + 8, row.size(), row.data());
        row_fn(key, row.data());
      }
    }
  }
  if (info.num_counts > 0 && count_fn) {
    std::vector<char> counts(static_cast<size_t>(info.num_counts) * kCountRecordBytes);
    RETURN_IF_ERROR(PreadFully(fd.get(), path, counts.data(), counts.size(), offset));
    for (uint64_t i = 0; i < info.num_counts; ++i) {
      const char* record = counts.data() + i * kCountRecordBytes;
      count_fn(DecodeFixed64(record), DecodeFixed32(record + 8), DecodeFixed32(record + 12));
    }
  }
  return Status::OK();
}

}  // namespace ember::storage
