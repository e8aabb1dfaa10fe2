#include "data/criteo_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "common/logging.h"
#include "data/internal/criteo_format.h"

namespace ember::data {
namespace {

constexpr size_t kBufferBytes = size_t{4} << 20;   // one read(2)
constexpr size_t kMaxLineBytes = size_t{1} << 20;  // longer lines are malformed
constexpr int64_t kLoggedBadLines = 100;           // per pass; then every 1000th

// First byte of part `part` of `size` bytes cut into `num_parts` ranges,
// without overflow for any size.
int64_t PartBoundary(int64_t size, int part, int num_parts) {
  return (size / num_parts) * part + (size % num_parts) * part / num_parts;
}

}  // namespace

struct CriteoReader::State {
  bool opened = false;
  std::vector<int64_t> file_sizes;

  // The file being read; fd < 0 when none is open.
  size_t file_index = 0;
  int fd = -1;
  int64_t range_end = 0;          // lines starting at or past this offset belong to the next part
  std::unique_ptr<char[]> buffer; // kBufferBytes; unread bytes are buffer[begin, end)
  size_t begin = 0, end = 0;
  int64_t buffer_offset = 0;      // file offset of buffer[0]
  bool eof = false;
  bool skip_to_newline = false;   // dropping bytes through the next '\n'
  int64_t lines_in_range = 0;     // lines of this part of the file taken so far
  int64_t first_line_offset = -1; // file offset of the first of them
  int64_t line_base = -1;         // '\n' before first_line_offset; -1 until needed

  int64_t records = 0;
  int64_t bad = 0;
  Status error;
  ReaderPosition position;        // after the last record returned; see SavePosition

  // Records in `position` where the reader stands now. Called only at batch
  // boundaries (the end of a successful Next, Rewind), where the cursor is
  // just past a record's line or no file is open.
  void SavePosition(const CriteoReaderOptions& options) {
    if (fd >= 0) {
      position.file_index = static_cast<int64_t>(file_index);
      position.offset = buffer_offset + static_cast<int64_t>(begin);
      position.line = line_base >= 0 ? line_base + lines_in_range + 1 : 0;
    } else if (file_index < options.files.size()) {  // the part's start in a file not yet opened
      position.file_index = static_cast<int64_t>(file_index);
      position.offset = PartBoundary(file_sizes[file_index], options.part, options.num_parts);
      position.line = position.offset == 0 ? 1 : 0;
    } else {  // the end of the pass
      position.file_index = static_cast<int64_t>(options.files.size());
      position.offset = 0;
      position.line = 0;
    }
    position.records = records;
    position.bad_lines = bad;
  }

  ~State() { CloseFile(); }
  void CloseFile() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

CriteoReader::CriteoReader(CriteoReaderOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>()) {}
CriteoReader::~CriteoReader() = default;
CriteoReader::CriteoReader(CriteoReader&&) noexcept = default;
CriteoReader& CriteoReader::operator=(CriteoReader&&) noexcept = default;

int64_t CriteoReader::records_read() const { return state_ ? state_->records : 0; }
int64_t CriteoReader::bad_lines() const { return state_ ? state_->bad : 0; }
ReaderPosition CriteoReader::position() const {
  return state_ && state_->opened ? state_->position : ReaderPosition{};
}

Status CriteoReader::Open() {
  if (options_.files.empty()) return Status::InvalidArgument("CriteoReader: no files given");
  if (options_.batch_size <= 0) {
    return Status::InvalidArgument("CriteoReader: batch_size must be > 0, got ", options_.batch_size);
  }
  if (options_.num_parts < 1 || options_.part < 0 || options_.part >= options_.num_parts) {
    return Status::InvalidArgument("CriteoReader: need 0 <= part < num_parts, got part ", options_.part,
                                   " of ", options_.num_parts);
  }
  State& s = *state_;
  s.file_sizes.clear();
  for (const std::string& path : options_.files) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT) return Status::NotFound("data file not found: ", path);
      return Status::InvalidArgument("cannot stat data file ", path, ": ", std::strerror(err));
    }
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("data file is not a regular file: ", path);
    if (st.st_size == 0 && options_.part == 0) LOG(WARNING) << "data file is empty: " << path;
    s.file_sizes.push_back(static_cast<int64_t>(st.st_size));
  }
  if (s.buffer == nullptr) s.buffer = std::make_unique_for_overwrite<char[]>(kBufferBytes);
  s.opened = true;
  return Rewind();
}

Status CriteoReader::Rewind() {
  State& s = *state_;
  if (!s.opened) return Status::FailedPrecondition("CriteoReader::Rewind before Open");
  s.CloseFile();
  s.file_index = 0;
  s.records = 0;
  s.bad = 0;
  s.error = Status::OK();
  s.SavePosition(options_);
  return Status::OK();
}

Status CriteoReader::Seek(const ReaderPosition& p) {
  State& s = *state_;
  if (!s.opened) return Status::FailedPrecondition("CriteoReader::Seek before Open");
  const int64_t num_files = static_cast<int64_t>(options_.files.size());
  if (p.file_index < 0 || p.file_index > num_files) {
    return Status::InvalidArgument("CriteoReader::Seek: file_index ", p.file_index, " is not in [0, ", num_files,
                                   "] (", num_files, " files)");
  }
  if (p.records < 0 || p.bad_lines < 0 || p.line < 0) {
    return Status::InvalidArgument("CriteoReader::Seek: negative records (", p.records, "), bad_lines (",
                                   p.bad_lines, ") or line (", p.line, ")");
  }
  if (options_.max_bad_lines >= 0 && p.bad_lines > options_.max_bad_lines) {
    return Status::InvalidArgument("CriteoReader::Seek: bad_lines ", p.bad_lines, " is past max_bad_lines=",
                                   options_.max_bad_lines);
  }
  auto commit = [&] {  // only once `p` is known to be good: a failed Seek changes nothing
    s.records = p.records;
    s.bad = p.bad_lines;
    s.error = Status::OK();
    s.position = p;
    return Status::OK();
  };
  if (p.file_index == num_files) {  // the end of the pass
    if (p.offset != 0) {
      return Status::InvalidArgument("CriteoReader::Seek: the end-of-pass position (file_index ", p.file_index,
                                     ") must have offset 0, got ", p.offset);
    }
    s.CloseFile();
    s.file_index = options_.files.size();
    return commit();
  }
  const size_t index = static_cast<size_t>(p.file_index);
  const std::string& path = options_.files[index];
  const int64_t size = s.file_sizes[index];
  const int64_t range_begin = PartBoundary(size, options_.part, options_.num_parts);
  const int64_t range_end = PartBoundary(size, options_.part + 1, options_.num_parts);
  auto outside = [&](const char* why) {
    return Status::InvalidArgument("CriteoReader::Seek: byte ", p.offset, " of ", path, " ", why, " (part ",
                                   options_.part, " of ", options_.num_parts, " holds the lines starting in [",
                                   range_begin, ", ", range_end, ") of its ", size, " bytes)");
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
    s.CloseFile();
    s.file_index = index;
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
  s.CloseFile();
  s.file_index = index;
  s.fd = fd;
  s.range_end = range_end;
  s.buffer_offset = p.offset;
  s.begin = s.end = 0;
  s.eof = false;
  s.skip_to_newline = false;
  s.lines_in_range = 0;
  s.first_line_offset = p.offset;
  s.line_base = p.line > 0 ? p.line - 1 : -1;  // -1: counted on the first bad line, as after Open
  return commit();
}

// Moves the unread bytes to the front of the buffer and appends one read(2).
// Sets eof at the end of the file; DataLoss on a read error.
static Status RefillBuffer(char* buffer, size_t& begin, size_t& end, int64_t& buffer_offset,
                           bool& eof, int fd, const std::string& path) {
  if (begin > 0) {
    std::memmove(buffer, buffer + begin, end - begin);
    buffer_offset += static_cast<int64_t>(begin);
    end -= begin;
    begin = 0;
  }
  while (end < kBufferBytes) {
    const ssize_t n = ::read(fd, buffer + end, kBufferBytes - end);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::DataLoss("read error on ", path, " at byte ", buffer_offset + static_cast<int64_t>(end),
                              ": ", std::strerror(errno));
    }
    if (n == 0) {
      eof = true;
      break;
    }
    end += static_cast<size_t>(n);
    break;  // parse what we have; one read(2) of up to 4 MiB per refill
  }
  return Status::OK();
}

StatusOr<bool> CriteoReader::Next(Batch* batch) {
  State& s = *state_;
  if (batch->fields.size() != static_cast<size_t>(kNumCategorical)) batch->fields.resize(kNumCategorical);
  batch->num_dense = kNumDense;
  batch->Clear();
  if (!s.opened) return Status::FailedPrecondition("CriteoReader::Next before Open");
  if (!s.error.ok()) return s.error;

  const size_t capacity = static_cast<size_t>(options_.batch_size);
  batch->labels.reserve(capacity);
  batch->dense.reserve(capacity * kNumDense);
  for (SparseField& field : batch->fields) {
    field.keys.reserve(capacity);
    field.offsets.reserve(capacity + 1);
  }

  auto fail = [&](Status status) -> StatusOr<bool> {
    s.CloseFile();
    s.error = status;
    batch->Clear();
    return status;
  };

  internal::CriteoRecord record;
  std::string reason;
  while (batch->size < options_.batch_size) {
    // Open the next file of this part.
    if (s.fd < 0) {
      if (s.file_index >= options_.files.size()) break;
      const std::string& path = options_.files[s.file_index];
      const int64_t size = s.file_sizes[s.file_index];
      const int64_t range_begin = PartBoundary(size, options_.part, options_.num_parts);
      s.range_end = PartBoundary(size, options_.part + 1, options_.num_parts);
      if (range_begin >= s.range_end) {  // no byte of this file is ours
        ++s.file_index;
        continue;
      }
      s.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (s.fd < 0) {
        const int err = errno;
        if (err == ENOENT) return fail(Status::NotFound("data file not found: ", path));
        return fail(Status::DataLoss("cannot open data file ", path, ": ", std::strerror(err)));
      }
      // A line starting exactly at range_begin is ours; so start one byte
      // earlier and drop everything through the first '\n'.
      const int64_t start = range_begin > 0 ? range_begin - 1 : 0;
      if (start > 0 && ::lseek(s.fd, start, SEEK_SET) != start) {
        return fail(Status::DataLoss("cannot seek ", path, " to byte ", start, ": ", std::strerror(errno)));
      }
      s.buffer_offset = start;
      s.begin = s.end = 0;
      s.eof = false;
      s.skip_to_newline = range_begin > 0;
      s.lines_in_range = 0;
      s.first_line_offset = -1;
      s.line_base = range_begin == 0 ? 0 : -1;
    }
    const std::string& path = options_.files[s.file_index];

    // Find the next line of this part.
    std::string_view line;
    bool have_line = false;
    bool too_long = false;
    while (true) {
      if (s.skip_to_newline) {
        const char* base = s.buffer.get();
        const void* nl = std::memchr(base + s.begin, '\n', s.end - s.begin);
        if (nl != nullptr) {
          s.begin = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
          s.skip_to_newline = false;
          continue;
        }
        s.begin = s.end;
        if (s.eof) break;
        if (Status st = RefillBuffer(s.buffer.get(), s.begin, s.end, s.buffer_offset, s.eof, s.fd, path); !st.ok()) {
          return fail(st);
        }
        continue;
      }
      if (s.eof && s.begin == s.end) break;                                  // end of file
      const int64_t line_offset = s.buffer_offset + static_cast<int64_t>(s.begin);
      if (line_offset >= s.range_end) break;                                 // next part's line
      const char* base = s.buffer.get();
      const void* nl = std::memchr(base + s.begin, '\n', s.end - s.begin);
      if (nl != nullptr || (s.eof && s.begin < s.end) || s.end - s.begin >= kMaxLineBytes) {
        const size_t line_end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - base) : s.end;
        if (nl == nullptr && !s.eof) {
          too_long = true;
          s.skip_to_newline = true;
        }
        line = std::string_view(base + s.begin, line_end - s.begin);
        s.begin = nl != nullptr ? line_end + 1 : line_end;
        if (s.first_line_offset < 0) s.first_line_offset = line_offset;
        ++s.lines_in_range;
        have_line = true;
        break;
      }
      if (Status st = RefillBuffer(s.buffer.get(), s.begin, s.end, s.buffer_offset, s.eof, s.fd, path); !st.ok()) {
        return fail(st);
      }
    }
    if (!have_line) {
      s.CloseFile();
      ++s.file_index;
      continue;
    }

    bool ok = false;
    if (too_long || line.size() > kMaxLineBytes) {
      reason = "line longer than " + std::to_string(kMaxLineBytes) + " bytes";
    } else {
      ok = internal::ParseCriteoLine(line, &record, &reason);
    }
    if (ok) {
      const int64_t b = batch->size++;
      batch->labels.push_back(record.label);
      batch->dense.insert(batch->dense.end(), record.dense, record.dense + kNumDense);
      for (int c = 0; c < kNumCategorical; ++c) {
        SparseField& field = batch->fields[c];
        field.keys.push_back(record.keys[c]);
        field.offsets.push_back(static_cast<int32_t>(b + 1));
      }
      ++s.records;
      continue;
    }

    // A malformed line: count, log with file:line, maybe give up.
    ++s.bad;
    if (s.line_base < 0) {
      // Count the lines before this part's first line, once per file.
      s.line_base = 0;
      if (s.first_line_offset > 0) {
        const int counter = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        std::vector<char> block(1 << 20);
        int64_t offset = 0;
        while (counter >= 0 && offset < s.first_line_offset) {
          const size_t want = static_cast<size_t>(std::min<int64_t>(block.size(), s.first_line_offset - offset));
          const ssize_t n = ::pread(counter, block.data(), want, offset);
          if (n <= 0) break;
          for (ssize_t i = 0; i < n; ++i) s.line_base += block[i] == '\n';
          offset += n;
        }
        if (counter >= 0) ::close(counter);
      }
    }
    const int64_t line_number = s.line_base + s.lines_in_range;
    if (s.bad <= kLoggedBadLines || s.bad % 1000 == 0) {
      LOG(WARNING) << "skipping malformed line " << path << ":" << line_number << ": " << reason
                   << (s.bad == kLoggedBadLines ? " (logging only every 1000th from now on)" : "");
    }
    if (options_.max_bad_lines >= 0 && s.bad > options_.max_bad_lines) {
      return fail(Status::InvalidArgument("too many malformed lines: ", s.bad, " > max_bad_lines=",
                                          options_.max_bad_lines, "; the last at ", path, ":", line_number,
                                          ": ", reason));
    }
  }
  s.SavePosition(options_);
  return batch->size > 0;
}

}  // namespace ember::data
