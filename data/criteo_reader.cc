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
  return Status::OK();
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
      s.line_base = -1;
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
  return batch->size > 0;
}

}  // namespace ember::data
