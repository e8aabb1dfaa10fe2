// data/internal/line_reader.h: the one streaming line reader behind every
// line-per-record text format (CriteoReader, SchemaReader). It owns the file
// machinery; a LineParser owns the format.
//
// The reader streams its part of every file (each file cut into num_parts
// equal byte ranges; a line belongs to the range holding its first byte) in
// 4 MiB read(2) blocks, hands each line (without its '\n') to the parser,
// counts and logs malformed lines with their whole-file `file:line` (up to
// max_bad_lines per pass), and keeps the ReaderPosition of the last record
// returned for checkpoints (see data/reader.h and docs/data_formats.md for the
// position and Seek contract). With skip_header, the first line of every
// file may be a header: the parser decides per file (ClassifyFirstLine)
// whether it is one (read past), a record, or neither (the reader fails
// naming file:1). Only the part whose range holds byte 0 sees it; it counts
// in line numbers.
//
// Thread-compatible: one reader and its parser are one thread's objects.
//
//   LineReader reader("CriteoReader", options, std::make_unique<CriteoParser>());
//   RETURN_IF_ERROR(reader.Open());
//   ASSIGN_OR_RETURN(bool more, reader.Next(&batch));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "data/reader.h"

namespace ember::data::internal {

// Longer lines are malformed (and a position after a part's last line is at
// most this far past the part's range, which Seek relies on).
inline constexpr size_t kMaxLineBytes = size_t{1} << 20;

// For a parser's messages: a field's text in quotes, cut after 32 bytes.
std::string QuoteField(std::string_view text);

// One text format: turns a line into a record of a Batch.
class LineParser {
 public:
  virtual ~LineParser() = default;
  // Gives *batch this format's num_dense and number of fields and reserves
  // room for `capacity` records. Called at the start of every Next(),
  // before the batch is cleared.
  virtual void ShapeBatch(int capacity, Batch* batch) = 0;
  // Parses `line` (without its '\n'; a trailing '\r' is the parser's to
  // drop) and appends it to *batch as record batch->size, incrementing
  // size. On a malformed line returns false, leaves *batch unchanged and
  // sets *reason to a one-line reason naming the field.
  virtual bool AppendLine(std::string_view line, Batch* batch, std::string* reason) = 0;
  // With skip_header, the first line of every file: sets *is_header when
  // `line` is the file's header (then it is no record), clears it when the
  // line is to be parsed as a record. InvalidArgument with a one-line
  // reason when it is neither (a header that does not match the format).
  // Default: every first line is a header.
  virtual Status ClassifyFirstLine(std::string_view line, bool* is_header);
};

struct LineReaderOptions {
  std::vector<std::string> files;  // read in this order. REQUIRED, non-empty.
  int batch_size = 512;            // > 0
  int64_t max_bad_lines = 1000;    // negative: no limit
  int part = 0;                    // 0 <= part < num_parts
  int num_parts = 1;
  bool skip_header = false;  // a file's first line may be a header (ClassifyFirstLine)
};

class LineReader {
 public:
  // `name` prefixes option and Seek errors ("CriteoReader: ...").
  LineReader(std::string name, LineReaderOptions options, std::unique_ptr<LineParser> parser);
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The Reader contract (data/reader.h), with the errors that
  // data/criteo_reader.h documents for CriteoReader.
  Status Open();
  StatusOr<bool> Next(Batch* batch);
  Status Rewind();
  Status Seek(const ReaderPosition& position);
  ReaderPosition position() const;
  double fraction_done() const;
  int64_t records_read() const { return records_; }
  int64_t bad_lines() const { return bad_; }

 private:
  void SavePosition();
  void CloseFile();
  Status Refill();
  Status Fail(Status status, Batch* batch);

  const std::string name_;
  const LineReaderOptions options_;
  const std::unique_ptr<LineParser> parser_;

  bool opened_ = false;
  std::vector<int64_t> file_sizes_;

  // The file being read; fd_ < 0 when none is open.
  size_t file_index_ = 0;
  int fd_ = -1;
  int64_t range_end_ = 0;           // lines starting at or past this offset belong to the next part
  std::unique_ptr<char[]> buffer_;  // kBufferBytes; unread bytes are buffer_[begin_, end_)
  size_t begin_ = 0, end_ = 0;
  int64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
  bool skip_to_newline_ = false;    // dropping bytes through the next '\n'
  bool skip_header_line_ = false;   // the next line taken is the file's header
  int64_t lines_in_range_ = 0;      // lines of this part of the file taken so far
  int64_t first_line_offset_ = -1;  // file offset of the first of them
  int64_t line_base_ = -1;          // '\n' before first_line_offset_; -1 until needed

  int64_t records_ = 0;
  int64_t bad_ = 0;
  Status error_;
  ReaderPosition position_;  // after the last record returned; see SavePosition
};

}  // namespace ember::data::internal
