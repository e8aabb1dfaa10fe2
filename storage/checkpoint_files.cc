// The FileEntry text, the checksummed FileWriter and ChecksumFile /
// ChecksumTree: what every file of a checkpoint is written and listed
// through. Each format's writer and reader is in its own file: rows_file.cc,
// dense_file.cc, state_files.cc (one header for all: checkpoint_files.h).
#include "storage/checkpoint_files.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

#include "storage/internal/file_io.h"

namespace ember::storage {

using internal::OpenForRead;
using internal::ScopedFd;

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
    const size_t first =
        second == std::string_view::npos || second == 0 ? std::string_view::npos : line.rfind(' ', second - 1);
    FileEntry file;
    uint64_t bytes = 0;
    const std::string_view bytes_text =
        first == std::string_view::npos ? std::string_view() : line.substr(first + 1, second - first - 1);
    const auto parsed = std::from_chars(bytes_text.data(), bytes_text.data() + bytes_text.size(), bytes);
    if (first == std::string_view::npos || first == 0 || parsed.ec != std::errc() ||
        parsed.ptr != bytes_text.data() + bytes_text.size() || !ParseHex64(line.substr(second + 1), &file.checksum)) {
      return Status::DataLoss("bad file list line '", line, "': want '<path> <bytes> <16 hex digits>'");
    }
    file.path = std::string(line.substr(0, first));
    file.bytes = bytes;
    files.push_back(std::move(file));
  }
  return files;
}

namespace {

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

}  // namespace ember::storage
