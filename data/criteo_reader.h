// data/criteo_reader.h: a streaming reader of Criteo TSV files into Batches.
//
// Format (see data/internal/criteo_format.h): exactly 40 tab-separated
// fields per line: label (0/1), I1..I13 (decimal integers, may be empty or
// negative), C1..C26 (hex tokens of 1..16 digits, may be empty). The last
// line of a file needs no trailing newline; a trailing '\r' is ignored.
//
//   dense      x > 0 -> log(1+x); x <= 0 or empty -> 0
//   sparse     key = HashFieldToken(c, token), c = 0 for C1 ... 25 for C26.
//              An empty token gets the key of the token "" for that field
//              (a learned "missing" value): every field has exactly one key
//              per sample.
//
// A malformed line is counted, logged once as a WARNING with its
// `file:line` and the reason, and skipped; past `max_bad_lines` of them in
// one pass, Next() fails with InvalidArgument naming the last one.
//
// Parts: every file is cut into `num_parts` equal byte ranges, and a line
// belongs to the part whose range holds its first byte, so the parts of a
// file hold every line exactly once. Reader `part` reads its range of every
// file, in file order. Line numbers in messages are those of the whole file.
//
// Positions, for checkpoints: position() is where the reader stands after
// the last record returned (a batch boundary), not where read(2) stopped; a
// fresh reader with the same files, part and num_parts continues from it with
// Open() + Seek(position) and returns exactly the batches, the counters and
// the warnings that the uninterrupted reader would have. Malformed lines
// after the last record returned are on the far side: position().bad_lines
// does not count them, and they are read (counted, logged) after the Seek.
//
// Reads 4 MiB blocks with read(2) and parses with std::from_chars (the file
// machinery is data/internal/line_reader.h, shared with SchemaReader); one
// reader is one thread's object (thread-compatible, not thread-safe).
//
//   CriteoReader reader({.files = {"train.tsv"}, .batch_size = 512, .part = rank, .num_parts = workers});
//   RETURN_IF_ERROR(reader.Open());
//   Batch batch;
//   for (int epoch = 0; epoch < epochs; ++epoch) {
//     while (true) {
//       ASSIGN_OR_RETURN(bool more, reader.Next(&batch));
//       if (!more) break;
//       Train(batch);
//     }
//     RETURN_IF_ERROR(reader.Rewind());
//   }
//
//   ReaderPosition saved = reader.position();       // at a checkpoint
//   ...
//   CriteoReader resumed(same_options);              // on restart
//   RETURN_IF_ERROR(resumed.Open());
//   RETURN_IF_ERROR(resumed.Seek(saved));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "data/reader.h"

namespace ember::data {

struct CriteoReaderOptions {
  std::vector<std::string> files;  // read in this order. REQUIRED, non-empty.
  int batch_size = 512;            // records per batch, > 0. Default: 512
  // Past this many malformed lines in one pass, Next() fails with
  // InvalidArgument naming the last bad file:line. 0 fails on the first one;
  // negative means no limit. Default: 1000
  int64_t max_bad_lines = 1000;
  // This reader's part of the data, 0 <= part < num_parts. Default: 0 of 1
  int part = 0;
  int num_parts = 1;
};

class CriteoReader : public Reader {
 public:
  static constexpr int kNumDense = 13;
  static constexpr int kNumCategorical = 26;

  explicit CriteoReader(CriteoReaderOptions options);
  ~CriteoReader() override;
  CriteoReader(const CriteoReader&) = delete;
  CriteoReader& operator=(const CriteoReader&) = delete;
  CriteoReader(CriteoReader&&) noexcept;
  CriteoReader& operator=(CriteoReader&&) noexcept;

  // Checks the options (InvalidArgument naming the bad one) and that every
  // file exists and is a regular file (NotFound / InvalidArgument naming it).
  // Positions the reader at the start of its part.
  Status Open() override;

  // Clears *batch, then fills it with up to batch_size records: num_dense =
  // 13, 26 fields with one key per sample. Returns true if it holds at least
  // one record, false (and batch->size == 0) at the end of this pass over
  // the data. InvalidArgument past max_bad_lines; NotFound / DataLoss when a
  // file vanished or cannot be read (the path in the message);
  // FailedPrecondition before Open(). After an error, Next() keeps failing
  // with it until Rewind().
  StatusOr<bool> Next(Batch* batch) override;

  // Back to the start of this part, for the next epoch; resets the counters
  // and any error. FailedPrecondition before Open().
  Status Rewind() override;

  // Records returned and malformed lines skipped in the current pass.
  int64_t records_read() const;
  int64_t bad_lines() const;

  // The position just after the last record returned by a successful Next()
  // (the end of the pass once Next() returned false or a short batch), or
  // the start of this part after Open/Rewind/Seek. Unchanged by a failed
  // Next(). O(1), no I/O. Before Open(), a default ReaderPosition.
  ReaderPosition position() const override;
  double fraction_done() const override;

  // After Open(): continues this pass from `position`, taken from a reader
  // with the same files, part and num_parts. The counters continue from
  // position.records / bad_lines and position() returns `position`; clears
  // any error. InvalidArgument naming the file (or the index) when
  // file_index is out of range, the offset is outside this part's byte range
  // of the file or not at a line start, or a counter is negative or
  // bad_lines is past max_bad_lines; NotFound / DataLoss as Next() when the
  // file cannot be opened or read; FailedPrecondition before Open(). A failed
  // Seek leaves the reader as it was. Reads at most ~1 MiB to check the
  // offset; position.line is trusted, not checked.
  Status Seek(const ReaderPosition& position) override;

  const CriteoReaderOptions& options() const { return options_; }

 private:
  struct State;
  CriteoReaderOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace ember::data
