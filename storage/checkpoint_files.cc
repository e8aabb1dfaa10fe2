#include "storage/checkpoint_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>

#include "common/coding.h"
#include "common/files.h"

namespace ember::storage {

std::string WorkerStateFileName(int rank) { return "worker-" + std::to_string(rank) + ".state"; }

std::string FormatFileEntry(const FileEntry& file) {
  return file.path + " " + std::to_string(file.bytes) + " " + Hex64(file.checksum);
}

StatusOr<std::vector<FileEntry>> ParseFileEntries(std::string_view text) {
  std::vector<FileEntry> files;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.empty()) continue;
    const size_t second = line.rfind(' ');
    const size_t first = second == std::string_view::npos || second == 0 ? std::string_view::npos
                                                                         : line.rfind(' ', second - 1);
    FileEntry file;
    uint64_t bytes = 0;
    const std::string_view bytes_text =
        first == std::string_view::npos ? std::string_view() : line.substr(first + 1, second - first - 1);
    const auto parsed = std::from_chars(bytes_text.data(), bytes_text.data() + bytes_text.size(), bytes);
    if (first == std::string_view::npos || first == 0 || parsed.ec != std::errc() ||
        parsed.ptr != bytes_text.data() + bytes_text.size() ||
        !ParseHex64(line.substr(second + 1), &file.checksum)) {
      return Status::DataLoss("bad file list line '", line, "': want '<path> <bytes> <16 hex digits>'");
    }
    file.path = std::string(line.substr(0, first));
    file.bytes = bytes;
    files.push_back(std::move(file));
  }
  return files;
}
namespace {

constexpr uint32_t FourCc(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24);
}

constexpr uint32_t kRowsMagic = FourCc("EMRW");
constexpr uint32_t kDenseMagic = FourCc("EMDN");
constexpr uint32_t kWorkerMagic = FourCc("EMWK");
constexpr uint32_t kServerMagic = FourCc("EMSV");
constexpr uint32_t kFormatVersion = 1;
// 2: a pending admission count carries the step it was last counted at.
constexpr uint32_t kRowsFormatVersion = 2;

constexpr size_t kRowsHeaderBytes = 16;
constexpr size_t kRowsFooterBytes = 24;
constexpr size_t kCountRecordBytes = 16;
constexpr size_t kWorkerStateBytes = 96;
constexpr size_t kServerStateBytes = 24;
constexpr int kMaxRowFloats = 1 << 20;

// The Status for a failed write or fsync of `path` with errno `err`.
Status WriteError(const char* what, const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
    return Status::ResourceExhausted(
        "cannot ", what, " ", path, ": ", std::strerror(err),
        err == EFBIG ? " (the file-size limit is reached: RLIMIT_FSIZE or the file system's maximum "
                       "file size; or the disk is full)"
                     : " (the disk or the quota is full)");
  }
  return Status::Internal("cannot ", what, " ", path, ": ", std::strerror(err));
}

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

// An fd closed on scope exit.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

StatusOr<int> OpenForRead(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("missing file ", path);
    return Status::Internal("cannot open ", path, ": ", std::strerror(err));
  }
  return fd;
}

}  // namespace

// ---------------------------------------------------------------------------
// FileWriter

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status FileWriter::Create(const std::string& path) {
  if (fd_ >= 0) return Status::FailedPrecondition("FileWriter for ", path_, " is already open");
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("cannot create ", path, ": ", std::strerror(err));
    return WriteError("create", path, err);
  }
  if (buffer_.size() != kBufferBytes) buffer_.resize(kBufferBytes);
  buffered_ = 0;
  bytes_ = 0;
  checksum_.Reset();
  return Status::OK();
}

Status FileWriter::Fail(Status status) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  return status;
}

Status FileWriter::WriteRaw(const char* data, size_t n) {
  while (n > 0) {
    const ssize_t wrote = ::write(fd_, data, n);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return Fail(WriteError("write", path_, errno));
    }
    data += wrote;
    n -= static_cast<size_t>(wrote);
  }
  return Status::OK();
}

Status FileWriter::Flush() {
  if (buffered_ == 0) return Status::OK();
  checksum_.Update(buffer_.data(), buffered_);
  const size_t n = buffered_;
  buffered_ = 0;
  return WriteRaw(buffer_.data(), n);
}

Status FileWriter::AppendSlow(const void* data, size_t n) {
  if (fd_ < 0) return Status::FailedPrecondition("FileWriter for '", path_, "' is not open");
  const char* p = static_cast<const char*>(data);
  bytes_ += n;
  if (buffered_ + n <= buffer_.size()) {
    std::memcpy(buffer_.data() + buffered_, p, n);
    buffered_ += n;
    return Status::OK();
  }
  RETURN_IF_ERROR(Flush());
  if (n >= buffer_.size() / 2) {
    checksum_.Update(p, n);
    return WriteRaw(p, n);
  }
  std::memcpy(buffer_.data(), p, n);
  buffered_ = n;
  return Status::OK();
}

StatusOr<FileEntry> FileWriter::Close(bool drop_cache) {
  if (fd_ < 0) return Status::FailedPrecondition("FileWriter for '", path_, "' is not open");
  RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) return Fail(WriteError("fsync", path_, errno));
  if (drop_cache) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_DONTNEED);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return WriteError("close", path_, errno);
  return FileEntry{path_, bytes_, checksum_.value()};
}

StatusOr<FileEntry> ChecksumFile(const std::string& path) {
  ASSIGN_OR_RETURN(const int raw_fd, OpenForRead(path));
  ScopedFd fd(raw_fd);
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  std::vector<char> buffer(FileWriter::kBufferBytes);
  Checksum64 sum;
  while (true) {
    const ssize_t got = ::read(fd.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Status::Internal("cannot read ", path, ": ", std::strerror(errno));
    }
    if (got == 0) break;
    sum.Update(buffer.data(), static_cast<size_t>(got));
  }
  return FileEntry{path, sum.length(), sum.value()};
}

StatusOr<std::vector<FileEntry>> ChecksumTree(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::NotFound("no directory ", dir);
  std::vector<std::string> relative;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) relative.push_back(fs::relative(it->path(), dir, ec).string());
  }
  if (ec) return Status::Internal("cannot list ", dir, ": ", ec.message());
  std::sort(relative.begin(), relative.end());
  std::vector<FileEntry> entries;
  for (const std::string& name : relative) {
    ASSIGN_OR_RETURN(FileEntry entry, ChecksumFile(dir + "/" + name));
    entries.push_back(std::move(entry));
  }
  return entries;
}

StatusOr<FileEntry> WriteWholeFile(const std::string& path, std::string_view contents) {
  FileWriter file;
  RETURN_IF_ERROR(file.Create(path));
  RETURN_IF_ERROR(file.Append(contents));
  return file.Close();
}

// ---------------------------------------------------------------------------
// Rows file

Status RowsFileWriter::Open(const std::string& path, uint32_t table_id, int row_floats) {
  if (row_floats < 1 || row_floats > kMaxRowFloats) {
    return Status::InvalidArgument("rows file ", path, ": row_floats ", row_floats,
                                   " outside [1, ", kMaxRowFloats, "]");
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

namespace {

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
    return Status::DataLoss("rows file ", path, " has ", size, " bytes, but its footer says ",
                            info.num_rows, " rows of ", row_floats, " floats and ", info.num_counts,
                            " counts");
  }
  return info;
}

}  // namespace

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
    return Status::FailedPrecondition("rows file ", path, " holds table ", info.table_id,
                                      ", expected table ", table_id);
  }
  if (info.row_floats != row_floats) {
    return Status::FailedPrecondition("rows file ", path, " has ", info.row_floats,
                                      " floats per row of table ", table_id, ", expected ",
                                      row_floats);
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

// ---------------------------------------------------------------------------
// Dense file

StatusOr<FileEntry> WriteDenseFile(const std::string& path, const std::vector<DenseArray>& arrays) {
  std::set<std::string_view> names;
  for (const DenseArray& array : arrays) {
    if (array.name.empty() || array.name.size() > 4096 || array.name.find('\n') != std::string::npos) {
      return Status::InvalidArgument("dense file ", path, ": bad array name '", array.name, "'");
    }
    if (!names.insert(array.name).second) {
      return Status::InvalidArgument("dense file ", path, ": duplicate array name '", array.name, "'");
    }
    int64_t numel = 1;
    for (int64_t d : array.shape) {
      if (d < 0) return Status::InvalidArgument("dense array ", array.name, " has a negative dimension");
      numel *= d;
    }
    if (static_cast<uint64_t>(numel) != array.values.size()) {
      return Status::InvalidArgument("dense array ", array.name, " has ", array.values.size(),
                                     " values but its shape holds ", numel);
    }
  }
  FileWriter file;
  RETURN_IF_ERROR(file.Create(path));
  char header[16];
  EncodeFixed32(header, kDenseMagic);
  EncodeFixed32(header + 4, kFormatVersion);
  EncodeFixed32(header + 8, static_cast<uint32_t>(arrays.size()));
  EncodeFixed32(header + 12, 0);
  RETURN_IF_ERROR(file.Append(header, sizeof(header)));
  std::string encoded;
  for (const DenseArray& array : arrays) {
    encoded.assign(8 + array.name.size() + 8 * array.shape.size() + 8, '\0');
    char* p = encoded.data();
    EncodeFixed32(p, static_cast<uint32_t>(array.name.size()));
    EncodeFixed32(p + 4, static_cast<uint32_t>(array.shape.size()));
    std::memcpy(p + 8, array.name.data(), array.name.size());
    p += 8 + array.name.size();
    for (int64_t d : array.shape) {
      EncodeFixed64(p, static_cast<uint64_t>(d));
      p += 8;
    }
    EncodeFixed64(p, array.values.size());
    RETURN_IF_ERROR(file.Append(encoded));
    std::string values(4 * array.values.size(), '\0');
    EncodeFloats(array.values.data(), array.values.size(), values.data());
    RETURN_IF_ERROR(file.Append(values));
  }
  return file.Close();
}

StatusOr<std::vector<DenseArray>> ReadDenseFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  std::string_view in(contents);
  auto truncated = [&](std::string_view where) {
    return Status::DataLoss("dense file ", path, " is truncated (", contents.size(), " bytes, in ",
                            where, ")");
  };
  if (in.size() < 16) return truncated("the header");
  if (DecodeFixed32(in.data()) != kDenseMagic) return Status::DataLoss(path, " is not a dense file (bad magic)");
  if (DecodeFixed32(in.data() + 4) != kFormatVersion) {
    return Status::DataLoss("dense file ", path, " has format version ", DecodeFixed32(in.data() + 4),
                            "; this build reads version ", kFormatVersion);
  }
  const uint32_t num_arrays = DecodeFixed32(in.data() + 8);
  in.remove_prefix(16);
  std::vector<DenseArray> arrays;
  std::set<std::string> names;
  for (uint32_t i = 0; i < num_arrays; ++i) {
    if (in.size() < 8) return truncated("array " + std::to_string(i));
    const uint32_t name_len = DecodeFixed32(in.data());
    const uint32_t ndim = DecodeFixed32(in.data() + 4);
    if (name_len == 0 || name_len > 4096 || ndim > 64) {
      return Status::DataLoss("dense file ", path, ": array ", i, " has a corrupt header (name of ",
                              name_len, " bytes, ", ndim, " dims)");
    }
    in.remove_prefix(8);
    if (in.size() < name_len + 8ull * ndim + 8) return truncated("array " + std::to_string(i));
    DenseArray array;
    array.name.assign(in.data(), name_len);
    in.remove_prefix(name_len);
    uint64_t numel = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < ndim; ++d) {
      const uint64_t dim = DecodeFixed64(in.data());
      in.remove_prefix(8);
      if (dim > (uint64_t{1} << 40) || (dim != 0 && numel > (uint64_t{1} << 40) / dim)) overflow = true;
      numel *= dim;
      array.shape.push_back(static_cast<int64_t>(dim));
    }
    const uint64_t num_values = DecodeFixed64(in.data());
    in.remove_prefix(8);
    if (overflow || num_values != numel) {
      return Status::DataLoss("dense file ", path, ": array '", array.name, "' holds ", num_values,
                              " values, which does not match its shape");
    }
    if (in.size() / 4 < num_values) return truncated("the values of array '" + array.name + "'");
    array.values.resize(num_values);
    DecodeFloats(in.data(), num_values, array.values.data());
    in.remove_prefix(4 * num_values);
    if (!names.insert(array.name).second) {
      return Status::DataLoss("dense file ", path, ": duplicate array '", array.name, "'");
    }
    arrays.push_back(std::move(array));
  }
  if (!in.empty()) {
    return Status::DataLoss("dense file ", path, " has ", in.size(), " unexpected bytes after its ",
                            num_arrays, " arrays");
  }
  return arrays;
}

// ---------------------------------------------------------------------------
// Worker and server state

StatusOr<FileEntry> WriteWorkerState(const std::string& path, const WorkerState& state) {
  char out[kWorkerStateBytes];
  EncodeFixed32(out, kWorkerMagic);
  EncodeFixed32(out + 4, kFormatVersion);
  EncodeFixed32(out + 8, static_cast<uint32_t>(state.rank));
  EncodeFixed32(out + 12, static_cast<uint32_t>(state.epoch));
  EncodeFixed64(out + 16, static_cast<uint64_t>(state.global_step));
  EncodeFixed64(out + 24, static_cast<uint64_t>(state.samples_trained));
  EncodeDouble(out + 32, state.train_seconds);
  EncodeFixed64(out + 40, static_cast<uint64_t>(state.reader_file_index));
  EncodeFixed64(out + 48, static_cast<uint64_t>(state.reader_offset));
  EncodeFixed64(out + 56, static_cast<uint64_t>(state.reader_line));
  EncodeFixed64(out + 64, static_cast<uint64_t>(state.reader_records));
  EncodeFixed64(out + 72, static_cast<uint64_t>(state.reader_bad_lines));
  EncodeFixed32(out + 80, state.epoch_done ? 1 : 0);
  EncodeFixed32(out + 84, 0);
  EncodeFixed64(out + 88, state.rng_state);
  return WriteWholeFile(path, std::string_view(out, sizeof(out)));
}

StatusOr<WorkerState> ReadWorkerState(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  if (contents.size() != kWorkerStateBytes) {
    return Status::DataLoss("worker state ", path, " has ", contents.size(), " bytes, expected ",
                            kWorkerStateBytes);
  }
  const char* in = contents.data();
  if (DecodeFixed32(in) != kWorkerMagic) return Status::DataLoss(path, " is not a worker state file (bad magic)");
  if (DecodeFixed32(in + 4) != kFormatVersion) {
    return Status::DataLoss("worker state ", path, " has format version ", DecodeFixed32(in + 4));
  }
  const uint32_t epoch_done = DecodeFixed32(in + 80);
  if (epoch_done > 1) return Status::DataLoss("worker state ", path, ": epoch_done is ", epoch_done);
  WorkerState state;
  state.rank = static_cast<int32_t>(DecodeFixed32(in + 8));
  state.epoch = static_cast<int32_t>(DecodeFixed32(in + 12));
  state.global_step = static_cast<int64_t>(DecodeFixed64(in + 16));
  state.samples_trained = static_cast<int64_t>(DecodeFixed64(in + 24));
  state.train_seconds = DecodeDouble(in + 32);
  state.reader_file_index = static_cast<int64_t>(DecodeFixed64(in + 40));
  state.reader_offset = static_cast<int64_t>(DecodeFixed64(in + 48));
  state.reader_line = static_cast<int64_t>(DecodeFixed64(in + 56));
  state.reader_records = static_cast<int64_t>(DecodeFixed64(in + 64));
  state.reader_bad_lines = static_cast<int64_t>(DecodeFixed64(in + 72));
  state.epoch_done = epoch_done == 1;
  state.rng_state = DecodeFixed64(in + 88);
  return state;
}

StatusOr<FileEntry> WriteServerState(const std::string& path, const ServerState& state) {
  char out[kServerStateBytes];
  EncodeFixed32(out, kServerMagic);
  EncodeFixed32(out + 4, kFormatVersion);
  EncodeFixed32(out + 8, static_cast<uint32_t>(state.rank));
  EncodeFixed32(out + 12, state.push_clock);
  EncodeFixed64(out + 16, state.applied_steps);
  return WriteWholeFile(path, std::string_view(out, sizeof(out)));
}

StatusOr<ServerState> ReadServerState(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  if (contents.size() != kServerStateBytes) {
    return Status::DataLoss("server state ", path, " has ", contents.size(), " bytes, expected ",
                            kServerStateBytes);
  }
  const char* in = contents.data();
  if (DecodeFixed32(in) != kServerMagic) return Status::DataLoss(path, " is not a server state file (bad magic)");
  if (DecodeFixed32(in + 4) != kFormatVersion) {
    return Status::DataLoss("server state ", path, " has format version ", DecodeFixed32(in + 4));
  }
  ServerState state;
  state.rank = static_cast<int32_t>(DecodeFixed32(in + 8));
  state.push_clock = DecodeFixed32(in + 12);
  state.applied_steps = DecodeFixed64(in + 16);
  return state;
}

}  // namespace ember::storage
