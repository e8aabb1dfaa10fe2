// data/reader.h: what the worker needs of a data reader, whatever the format.
//
// A Reader streams one pass (an epoch) over its part of the data as Batches,
// goes back to the start with Rewind(), and tells where it stands with
// position() so that a checkpoint can store it and a fresh reader of the same
// data and part can continue with Open() + Seek(position). CriteoReader
// (criteo_reader.h), SchemaReader (schema_reader.h; its positions mean what
// CriteoReader's do) and InteractionReader (interactions.h) implement it.
// One reader is one thread's object (thread-compatible, not thread-safe).
//
//   std::unique_ptr<Reader> reader = ...;
//   RETURN_IF_ERROR(reader->Open());
//   Batch batch;
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, reader->Next(&batch));
//     if (!more) break;
//     Train(batch);
//   }
#pragma once

#include <cstdint>

#include "common/status.h"
#include "data/batch.h"

namespace ember::data {

// Where a reader stands in a pass: the next record it would read. Plain data,
// to be stored in a checkpoint field by field. Each reader says what its
// fields mean; `records` is always the records returned in this pass so far.
struct ReaderPosition {
  // CriteoReader: index into options.files; options.files.size() at the end
  // of the pass. InteractionReader: always 0.
  int64_t file_index = 0;
  // CriteoReader: byte offset in that file of the next line to read (0 at the
  // end of the pass); the first byte of this part's range of the file (which
  // need not be a line start) stands for this part's first line in it.
  // InteractionReader: 0.
  int64_t offset = 0;
  // CriteoReader: 1-based whole-file line number of that line; 0 when not
  // known (counted lazily). InteractionReader: 0.
  int64_t line = 0;
  int64_t records = 0;    // records returned in this pass so far
  int64_t bad_lines = 0;  // malformed lines skipped in this pass so far

  bool operator==(const ReaderPosition&) const = default;
};

// The end of a pass that skipped malformed lines and returned no record:
// DataLoss saying so (the lines' warnings name each), so that a job never
// trains or evaluates on nothing and exits 0. OK otherwise, an empty part
// included.
inline Status CheckPassReadRecords(const ReaderPosition& end) {
  if (end.records > 0 || end.bad_lines == 0) return Status::OK();
  return Status::DataLoss("every line read was malformed (", end.bad_lines,
                          " lines, no record; the warnings above name each line and why)");
}

class Reader {
 public:
  virtual ~Reader() = default;
  // Checks the options and the files; positions the reader at the start of
  // its part. InvalidArgument / NotFound naming the bad option or file.
  virtual Status Open() = 0;
  // Clears *batch and fills it with up to the batch size of records; false
  // (batch->size == 0) at the end of the pass. FailedPrecondition before Open().
  virtual StatusOr<bool> Next(Batch* batch) = 0;
  // Back to the start of this part's pass; resets the counters and any error.
  virtual Status Rewind() = 0;
  // Just after the last record returned (O(1), no I/O).
  virtual ReaderPosition position() const = 0;
  // The share of this part's pass behind position(), in [0, 1]: of its
  // bytes for the text readers, of its samples for InteractionReader; 1 for
  // an empty part. An estimate for progress lines (O(files), no I/O).
  virtual double fraction_done() const = 0;
  // Continues this pass from `position`, taken from a reader of the same data
  // and part. InvalidArgument when it does not belong to this pass.
  virtual Status Seek(const ReaderPosition& position) = 0;
};

}  // namespace ember::data
