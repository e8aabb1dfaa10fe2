// data/schema_reader.h: a streaming reader of delimited text files (CSV, TSV)
// whose columns a Schema (data/schema.h, --schema) describes, into Batches.
//
// Each line holds exactly schema.columns.size() fields separated by the one
// character `delimiter` (no quoting: a quote is part of the field); a
// trailing '\r' is ignored; the last line needs no '\n'. With `header`, the
// first line of each file is its header when its label field is not a
// number, a record when it is, and an error (InvalidArgument naming file:1)
// when its field count is not the schema's.
//
//   label      a number equal to 0 or 1 ("1", "0.0", "1e0")
//   weight     a finite number >= 0 -> Batch::weights (empty when the
//              schema has no weight column: every weight is 1)
//   dense      a float; empty -> 0
//   logdense   a float; x > 0 -> log(1+x), else (and empty) 0
//   cat        key = HashFieldToken(c, token), c the 0-based index of the
//              column among the cat and multi columns; the token's text as it
//              is (an empty token is hashed as "": a learned missing value)
//   multi:SEP  one key per non-empty token between the SEPs, as for cat (in
//              order, repeats kept); an empty field has no keys
//   skip       read past
// Spaces around numbers are allowed; a number is what std::from_chars reads
// (no '+', no hex), and nan/inf are malformed.
//
// A malformed line (a wrong field count, a label not 0/1, a non-numeric or
// non-finite dense or weight value, an empty or negative weight, a line over
// 1 MiB) is counted, logged as a WARNING with its whole-file `file:line` and
// the reason, and skipped; past max_bad_lines in one pass, Next() fails with
// InvalidArgument. Parts, positions, Seek and Rewind are those of
// CriteoReader (same file machinery, data/internal/line_reader.h); the header
// is skipped by the part whose byte range holds the file's byte 0 only.
//
// One reader is one thread's object (thread-compatible, not thread-safe).
//
//   ASSIGN_OR_RETURN(Schema schema, ParseSchema("label,weight,dense*2,cat*3,multi:|"));
//   SchemaReader reader({.files = {"train.csv"}, .schema = schema, .header = true});
//   RETURN_IF_ERROR(reader.Open());
//   ASSIGN_OR_RETURN(bool more, reader.Next(&batch));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "data/reader.h"
#include "data/schema.h"

namespace ember::data {

struct SchemaReaderOptions {
  std::vector<std::string> files;  // read in this order. REQUIRED, non-empty.
  Schema schema;                   // REQUIRED (from ParseSchema)
  char delimiter = ',';            // between the fields of a line. Default: ','
  bool header = false;             // files may start with a header, detected per file. Default: false
  int batch_size = 512;            // records per batch, > 0. Default: 512
  // As CriteoReaderOptions: past this many malformed lines in one pass,
  // Next() fails; 0 fails on the first, negative means no limit. Default: 1000
  int64_t max_bad_lines = 1000;
  int part = 0;  // 0 <= part < num_parts. Default: 0 of 1
  int num_parts = 1;
  // >= 0: the text of this column (0-based, any type) of every record goes
  // to Batch::ids (`ember predict --id_column`). Default: -1, none
  int id_column = -1;
};

class SchemaReader : public Reader {
 public:
  explicit SchemaReader(SchemaReaderOptions options);
  ~SchemaReader() override;
  SchemaReader(const SchemaReader&) = delete;
  SchemaReader& operator=(const SchemaReader&) = delete;

  // Checks the options and the schema (InvalidArgument naming the bad one: no
  // label, a multi separator equal to the delimiter, '\n' or '\r' as the
  // delimiter) and the files as CriteoReader::Open does.
  Status Open() override;
  // Clears *batch, then fills it with up to batch_size records: num_dense =
  // schema.num_dense(), schema.num_categorical() fields, weights when the
  // schema has a weight column. Errors as CriteoReader::Next.
  StatusOr<bool> Next(Batch* batch) override;
  Status Rewind() override;
  ReaderPosition position() const override;
  double fraction_done() const override;
  Status Seek(const ReaderPosition& position) override;

  int64_t records_read() const;
  int64_t bad_lines() const;
  const SchemaReaderOptions& options() const { return options_; }

 private:
  struct State;
  SchemaReaderOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace ember::data
