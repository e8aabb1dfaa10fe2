// data/internal/schema_format.h: the line format of delimited text under a
// Schema (data/schema_reader.h states it), as the LineParser that
// SchemaReader runs through LineReader. Own header so that the fuzz target of
// the line format calls it without files. Thread-compatible: one parser is
// one thread's object.
//
//   SchemaLineParser parser(schema, ',');
//   parser.ShapeBatch(capacity, &batch);
//   batch.Clear();
//   if (!parser.AppendLine(line, &batch, &reason)) ... the line is malformed ...
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/hash.h"
#include "data/batch.h"
#include "data/internal/line_reader.h"
#include "data/schema.h"

namespace ember::data::internal {

// The LineParser of `schema`'s columns separated by `delimiter`. The caller
// has checked the schema and the delimiter as SchemaReader::Open does
// (exactly one label, at most one weight, no '\n' or '\r' delimiter,
// CheckSchemaDelimiter). A line is parsed into scratch space first, so that
// a malformed line leaves the batch untouched.
class SchemaLineParser : public LineParser {
 public:
  // id_column >= 0: that column's text goes to Batch::ids.
  SchemaLineParser(const Schema& schema, char delimiter, int id_column = -1);

  void ShapeBatch(int capacity, Batch* batch) override;
  bool AppendLine(std::string_view line, Batch* batch, std::string* reason) override;
  // A header has the schema's number of fields and a label field that is
  // not a number (a column name); a line of that many fields whose label is
  // a number is a record. Another field count: InvalidArgument naming both.
  Status ClassifyFirstLine(std::string_view line, bool* is_header) override;

 private:
  const std::vector<SchemaColumn> columns_;
  const char delimiter_;
  const int id_column_;
  const int num_dense_;
  const int num_categorical_;
  const bool has_weight_;
  std::vector<float> dense_;      // this line's dense values
  std::vector<Key> keys_;         // this line's keys, field after field
  std::vector<size_t> key_ends_;  // field f's keys end at keys_[key_ends_[f]]
};

}  // namespace ember::data::internal
