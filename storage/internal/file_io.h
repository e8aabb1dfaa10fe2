// storage/internal/file_io.h: what the writers and readers of the files
// inside a checkpoint share (checkpoint_files.cc, rows_file.cc,
// dense_file.cc, state_files.cc): the four-byte magic of a format, and
// opening a file for reading with its fd closed on scope exit. Private to
// storage/; thread-safe.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/status.h"

namespace ember::storage::internal {

// The little-endian uint32 of a four-character magic ("EMRW").
constexpr uint32_t FourCc(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) | (static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24);
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

// open(2) for reading. NotFound "missing file <path>", Internal otherwise.
inline StatusOr<int> OpenForRead(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("missing file ", path);
    return Status::Internal("cannot open ", path, ": ", std::strerror(err));
  }
  return fd;
}

}  // namespace ember::storage::internal
