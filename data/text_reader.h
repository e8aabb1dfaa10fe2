// data/text_reader.h: the reader of a text format named by --data_format,
// chosen in one place for every caller (the worker's train and eval passes,
// `ember eval`).
//
// "criteo" is a CriteoReader (criteo_reader.h), "schema" a SchemaReader
// (schema_reader.h) with the schema, delimiter and header below; the other
// fields mean what they mean in both readers' options. The reader is
// returned unopened. Interaction files (--data_format=interactions) are not
// text records one per line: InteractionReader (interactions.h) is built
// from loaded InteractionData instead.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader,
//                    MakeTextReader({.format = "criteo", .files = {"train.tsv"}}));
//   RETURN_IF_ERROR(reader->Open());
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/reader.h"
#include "data/schema.h"

namespace ember::data {

struct TextReaderOptions {
  std::string format = "criteo";   // "criteo" or "schema". Default: criteo
  std::vector<std::string> files;  // read in this order. REQUIRED, non-empty (checked by Open).
  // format "schema" only: the columns (REQUIRED there), the delimiter and
  // whether every file starts with a header line.
  Schema schema;
  char delimiter = ',';          // Default: ','
  bool header = false;           // Default: false
  int batch_size = 512;          // Default: 512
  int64_t max_bad_lines = 1000;  // Default: 1000
  int part = 0;                  // 0 <= part < num_parts. Default: 0 of 1
  int num_parts = 1;
  int id_column = -1;  // format "schema" only: SchemaReaderOptions::id_column. Default: -1, none
};

// The unopened reader of `options.format`; InvalidArgument naming the format
// when it is neither "criteo" nor "schema".
StatusOr<std::unique_ptr<Reader>> MakeTextReader(TextReaderOptions options);

}  // namespace ember::data
