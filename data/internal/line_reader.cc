#include "data/internal/line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/logging.h"

namespace ember::data::internal {
namespace {

constexpr size_t kBufferBytes = size_t{4} << 20;  // one read(2)
constexpr int64_t kLoggedBadLines = 100;          // per pass; then every 1000th

// First byte of part `part` of `size` bytes cut into `num_parts` ranges,
// without overflow for any size.
int64_t PartBoundary(int64_t size, int part, int num_parts) {
  return (size / num_parts) * part + (size % num_parts) * part / num_parts;
}

}  // namespace

double LineReader::fraction_done() const {
  if (!opened_) return 0;
  const ReaderPosition at = position();
  int64_t total = 0, done = 0;
  for (size_t i = 0; i < file_sizes_.size(); ++i) {
    const int64_t begin = PartBoundary(file_sizes_[i], options_.part, options_.num_parts);
    const int64_t end = PartBoundary(file_sizes_[i], options_.part + 1, options_.num_parts);
    total += end - begin;
    const auto index = static_cast<int64_t>(i);
    if (index < at.file_index) done += end - begin;
    if (index == at.file_index) done += std::clamp<int64_t>(at.offset - begin, 0, end - begin);
  }
  return total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
}

std::string QuoteField(std::string_view text) {
  constexpr size_t kMax = 32;
  std::string out = "'";
  out.append(text.substr(0, kMax));
  if (text.size() > kMax) out.append("...");
  out.append("'");
  return out;
}

LineReader::LineReader(std::string name, LineReaderOptions options, std::unique_ptr<LineParser> parser)
    : name_(std::move(name)), options_(std::move(options)), parser_(std::move(parser)) {}

LineReader::~LineReader() { CloseFile(); }

void LineReader::CloseFile() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ReaderPosition LineReader::position() const { return opened_ ? position_ : ReaderPosition{}; }

// Records in position_ where the reader stands now. Called only at batch
// boundaries (the end of a successful Next, Rewind), where the cursor is just
// past a record's line or no file is open.
void LineReader::SavePosition() {
  if (fd_ >= 0) {
    position_.file_index = static_cast<int64_t>(file_index_);
    position_.offset = buffer_offset_ + static_cast<int64_t>(begin_);
    position_.line = line_base_ >= 0 ? line_base_ + lines_in_range_ + 1 : 0;
  } else if (file_index_ < options_.files.size()) {  // the part's start in a file not yet opened
    position_.file_index = static_cast<int64_t>(file_index_);
    position_.offset = PartBoundary(file_sizes_[file_index_], options_.part, options_.num_parts);
    position_.line = position_.offset == 0 ? 1 : 0;
  } else {  // the end of the pass
    position_.file_index = static_cast<int64_t>(options_.files.size());
    position_.offset = 0;
    position_.line = 0;
  }
  position_.records = records_;
  position_.bad_lines = bad_;
}

Status LineReader::Open() {
  if (options_.files.empty()) return Status::InvalidArgument(name_, ": no files given");
  if (options_.batch_size <= 0) {
    return Status::InvalidArgument(name_, ": batch_size must be > 0, got ", options_.batch_size);
  }
  if (options_.num_parts < 1 || options_.part < 0 || options_.part >= options_.num_parts) {
    return Status::InvalidArgument(name_, ": need 0 <= part < num_parts, got part ", options_.part, " of ",
                                   options_.num_parts);
  }
  file_sizes_.clear();
  for (const std::string& path : options_.files) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT) return Status::NotFound("data file not found: ", path);
      return Status::InvalidArgument("cannot stat data file ", path, ": ", std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("data file is not a regular file: ", path);
    if (st.st_size == 0 && options_.part == 0) LOG(WARNING) << "data file is empty: " << path;
    file_sizes_.push_back(static_cast<int64_t>(st.st_size));
  }
  if (buffer_ == nullptr) buffer_ = std::make_unique_for_overwrite<char[]>(kBufferBytes);
  opened_ = true;
  return Rewind();
}

Status LineReader::Rewind() {
  if (!opened_) return Status::FailedPrecondition(name_, "::Rewind before Open");
  CloseFile();
  file_index_ = 0;
  records_ = 0;
  bad_ = 0;
  error_ = Status::OK();
  SavePosition();
  return Status::OK();
}

Status LineReader::Seek(const ReaderPosition& p) {
  if (!opened_) return Status::FailedPrecondition(name_, "::Seek before Open");
  const int64_t num_files = static_cast<int64_t>(options_.files.size());
  if (p.file_index < 0 || p.file_index > num_files) {
    return Status::InvalidArgument(name_, "::Seek: file_index ", p.file_index, " is not in [0, ", num_files, "] (",
                                   num_files, " files)");
  }
  if (p.records < 0 || p.bad_lines < 0 || p.line < 0) {
    return Status::InvalidArgument(name_, "::Seek: negative records (", p.records, "), bad_lines (", p.bad_lines,
                                   ") or line (", p.line, ")");
  }
  if (options_.max_bad_lines >= 0 && p.bad_lines > options_.max_bad_lines) {
    return Status::InvalidArgument(name_, "::Seek: bad_lines ", p.bad_lines,
                                   " is past max_bad_lines=", options_.max_bad_lines);
  }
  auto commit = [&] {  // only once `p` is known to be good: a failed Seek changes nothing
    records_ = p.records;
    bad_ = p.bad_lines;
    error_ = Status::OK();
    position_ = p;
    return Status::OK();
  };
  if (p.file_index == num_files) {  // the end of the pass
    if (p.offset != 0) {
      return Status::InvalidArgument(name_, "::Seek: the end-of-pass position (file_index ", p.file_index,
                                     ") must have offset 0, got ", p.offset);
    }
    CloseFile();
    file_index_ = options_.files.size();
    return commit();
  }
  const size_t index = static_cast<size_t>(p.file_index);
  const std::string& path = options_.files[index];
  const int64_t size = file_sizes_[index];
  const int64_t range_begin = PartBoundary(size, options_.part, options_.num_parts);
  const int64_t range_end = PartBoundary(size, options_.part + 1, options_.num_parts);
  auto outside = [&](const char* why) {
    return Status::InvalidArgument(name_, "::Seek: byte ", p.offset, " of ", path, " ", why, " (part ", options_.part,
                                   " of ", options_.num_parts, " holds the lines starting in [", range_begin, ", ",
                                   range_end, ") of its ", size, " bytes)");
  };
  if (p.offset < range_begin || p.offset > size) return outside("is outside this part's range");
  if (p.offset != range_begin) {
    if (range_begin >= range_end) return outside("is not the start of this part, which holds no line of the file");
    // A record line is at most kMaxLineBytes plus its '\n', so a position
    // after this part's last line of the file is at most that far past range_end.
    if (p.offset > range_end && p.offset - range_end > static_cast<int64_t>(kMaxLineBytes) + 1) {
      return outside("is past the end of this part's last line");
    }
  }

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound("data file not found: ", path);
    return Status::DataLoss("cannot open data file ", path, ": ", std::strerror(err));
  }
  if (p.offset == range_begin) {  // this part's start in the file: Next() finds its first line, as after Open
    ::close(fd);
    CloseFile();
    file_index_ = index;
    return commit();
  }
  // Bytes [check_begin, offset) decide: offset must follow a '\n' (or be the
  // end of the file), and past range_end, the line that ends there must
  // start before range_end (no '\n' in [range_end - 1, offset - 1)).
  const int64_t check_begin = p.offset > range_end ? range_end - 1 : p.offset - 1;
  std::string bytes(static_cast<size_t>(p.offset - check_begin), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::pread(fd, bytes.data() + got, bytes.size() - got, check_begin + static_cast<int64_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : 0;
      ::close(fd);
      return Status::DataLoss("read error on ", path, " at byte ", check_begin + static_cast<int64_t>(got), ": ",
                              n < 0 ? std::strerror(err) : "unexpected end of file");
    }
    got += static_cast<size_t>(n);
  }
  const bool at_line_start = bytes.back() == '\n' || p.offset == size;
  const size_t line_end = bytes.back() == '\n' ? bytes.size() - 1 : bytes.size();
  if (!at_line_start) {
    ::close(fd);
    return outside("is not at a line start");
  }
  if (p.offset > range_end && std::memchr(bytes.data(), '\n', line_end) != nullptr) {
    ::close(fd);
    return outside("is in the next part's range");
  }
  if (::lseek(fd, p.offset, SEEK_SET) != p.offset) {
    const int err = errno;
    ::close(fd);
    return Status::DataLoss("cannot seek ", path, " to byte ", p.offset, ": ", std::strerror(err));
  }
  CloseFile();
  file_index_ = index;
  fd_ = fd;
  range_end_ = range_end;
  buffer_offset_ = p.offset;
  begin_ = end_ = 0;
  eof_ = false;
  skip_to_newline_ = false;
  skip_header_line_ = false;  // past the part's start, hence past the header
  lines_in_range_ = 0;
  first_line_offset_ = p.offset;
  line_base_ = p.line > 0 ? p.line - 1 : -1;  // -1: counted on the first bad line, as after Open
  return commit();
}

// Moves the unread bytes to the front of the buffer and appends one read(2).
// Sets eof_ at the end of the file; DataLoss on a read error.
Status LineReader::Refill() {
  char* buffer = buffer_.get();
  if (begin_ > 0) {
    std::memmove(buffer, buffer + begin_, end_ - begin_);
    buffer_offset_ += static_cast<int64_t>(begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (end_ < kBufferBytes) {
    const ssize_t n = ::read(fd_, buffer + end_, kBufferBytes - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::DataLoss("read error on ", options_.files[file_index_], " at byte ",
                              buffer_offset_ + static_cast<int64_t>(end_), ": ", std::strerror(errno));
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(n);
    break;  // parse what we have; one read(2) of up to 4 MiB per refill
  }
  return Status::OK();
}

Status LineParser::ClassifyFirstLine(std::string_view /*line*/, bool* is_header) {
  *is_header = true;
  return Status::OK();
}

Status LineReader::Fail(Status status, Batch* batch) {
  CloseFile();
  error_ = status;
  batch->Clear();
  return status;
}

StatusOr<bool> LineReader::Next(Batch* batch) {
  parser_->ShapeBatch(options_.batch_size, batch);
  batch->Clear();
  if (!opened_) return Status::FailedPrecondition(name_, "::Next before Open");
  if (!error_.ok()) return error_;

  std::string reason;
  while (batch->size < options_.batch_size) {
    // Open the next file of this part.
    if (fd_ < 0) {
      if (file_index_ >= options_.files.size()) break;
      const std::string& path = options_.files[file_index_];
      const int64_t size = file_sizes_[file_index_];
      const int64_t range_begin = PartBoundary(size, options_.part, options_.num_parts);
      range_end_ = PartBoundary(size, options_.part + 1, options_.num_parts);
      if (range_begin >= range_end_) {  // no byte of this file is ours
        ++file_index_;
        continue;
      }
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd_ < 0) {
        const int err = errno;
        if (err == ENOENT) return Fail(Status::NotFound("data file not found: ", path), batch);
        return Fail(Status::DataLoss("cannot open data file ", path, ": ", std::strerror(err)), batch);
      }
      // A line starting exactly at range_begin is ours; so start one byte
      // earlier and drop everything through the first '\n'.
      const int64_t start = range_begin > 0 ? range_begin - 1 : 0;
      if (start > 0 && ::lseek(fd_, start, SEEK_SET) != start) {
        return Fail(Status::DataLoss("cannot seek ", path, " to byte ", start, ": ", std::strerror(errno)), batch);
      }
      buffer_offset_ = start;
      begin_ = end_ = 0;
      eof_ = false;
      skip_to_newline_ = range_begin > 0;
      skip_header_line_ = options_.skip_header && range_begin == 0;
      lines_in_range_ = 0;
      first_line_offset_ = -1;
      line_base_ = range_begin == 0 ? 0 : -1;
    }
    const std::string& path = options_.files[file_index_];

    // Find the next line of this part.
    std::string_view line;
    bool have_line = false;
    bool too_long = false;
    while (true) {
      if (skip_to_newline_) {
        const char* base = buffer_.get();
        const void* nl = std::memchr(base + begin_, '\n', end_ - begin_);
        if (nl != nullptr) {
          begin_ = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
          skip_to_newline_ = false;
          continue;
        }
        begin_ = end_;
        if (eof_) break;
        if (Status st = Refill(); !st.ok()) return Fail(st, batch);
        continue;
      }
      if (eof_ && begin_ == end_) break;  // end of file
      const int64_t line_offset = buffer_offset_ + static_cast<int64_t>(begin_);
      if (line_offset >= range_end_) break;  // next part's line
      const char* base = buffer_.get();
      const void* nl = std::memchr(base + begin_, '\n', end_ - begin_);
      if (nl != nullptr || (eof_ && begin_ < end_) || end_ - begin_ >= kMaxLineBytes) {
        const size_t line_end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - base) : end_;
        if (nl == nullptr && !eof_) {
          too_long = true;
          skip_to_newline_ = true;
        }
        line = std::string_view(base + begin_, line_end - begin_);
        begin_ = nl != nullptr ? line_end + 1 : line_end;
        if (first_line_offset_ < 0) first_line_offset_ = line_offset;
        ++lines_in_range_;
        have_line = true;
        break;
      }
      if (Status st = Refill(); !st.ok()) return Fail(st, batch);
    }
    if (!have_line) {
      CloseFile();
      ++file_index_;
      continue;
    }
    if (skip_header_line_) {  // the file's first line: a header, a record, or an error
      skip_header_line_ = false;
      bool is_header = true;
      if (Status classified = parser_->ClassifyFirstLine(line, &is_header); !classified.ok()) {
        return Fail(Status::InvalidArgument(name_, ": ", path, ":1: ", classified.message()), batch);
      }
      if (is_header) continue;
    }

    bool ok = false;
    if (too_long || line.size() > kMaxLineBytes) {
      reason = "line longer than " + std::to_string(kMaxLineBytes) + " bytes";
    } else {
      ok = parser_->AppendLine(line, batch, &reason);
    }
    if (ok) {
      ++records_;
      continue;
    }

    // A malformed line: count, log with file:line, maybe give up.
    ++bad_;
    if (line_base_ < 0) {
      // Count the lines before this part's first line, once per file.
      line_base_ = 0;
      if (first_line_offset_ > 0) {
        const int counter = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        std::vector<char> block(1 << 20);
        int64_t offset = 0;
        while (counter >= 0 && offset < first_line_offset_) {
          const size_t want = static_cast<size_t>(std::min<int64_t>(block.size(), first_line_offset_ - offset));
          const ssize_t n = ::pread(counter, block.data(), want, offset);
          if (n <= 0) break;
          for (ssize_t i = 0; i < n; ++i) line_base_ += block[i] == '\n';
          offset += n;
        }
        if (counter >= 0) ::close(counter);
      }
    }
    const int64_t line_number = line_base_ + lines_in_range_;
    if (bad_ <= kLoggedBadLines || bad_ % 1000 == 0) {
      LOG(WARNING) << "skipping malformed line " << path << ":" << line_number << ": " << reason
                   << (bad_ == kLoggedBadLines ? " (logging only every 1000th from now on)" : "");
    }
    if (options_.max_bad_lines >= 0 && bad_ > options_.max_bad_lines) {
      return Fail(
          Status::InvalidArgument("too many malformed lines: ", bad_, " > max_bad_lines=", options_.max_bad_lines,
                                  "; the last at ", path, ":", line_number, ": ", reason),
          batch);
    }
  }
  SavePosition();
  return batch->size > 0;
}

}  // namespace ember::data::internal
