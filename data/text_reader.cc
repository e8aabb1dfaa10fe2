#include "data/text_reader.h"

#include <utility>

#include "data/criteo_reader.h"
#include "data/schema_reader.h"

namespace ember::data {

StatusOr<std::unique_ptr<Reader>> MakeTextReader(TextReaderOptions options) {
  if (options.format == "schema") {
    SchemaReaderOptions schema_options;
    schema_options.files = std::move(options.files);
    schema_options.schema = std::move(options.schema);
    schema_options.delimiter = options.delimiter;
    schema_options.header = options.header;
    schema_options.batch_size = options.batch_size;
    schema_options.max_bad_lines = options.max_bad_lines;
    schema_options.part = options.part;
    schema_options.num_parts = options.num_parts;
    schema_options.id_column = options.id_column;
    return std::unique_ptr<Reader>(std::make_unique<SchemaReader>(std::move(schema_options)));
  }
  if (options.format == "criteo" && options.id_column >= 0) {
    return Status::InvalidArgument("an id column needs --data_format=schema (Criteo's columns are all features)");
  }
  if (options.format == "criteo") {
    CriteoReaderOptions criteo_options;
    criteo_options.files = std::move(options.files);
    criteo_options.batch_size = options.batch_size;
    criteo_options.max_bad_lines = options.max_bad_lines;
    criteo_options.part = options.part;
    criteo_options.num_parts = options.num_parts;
    return std::unique_ptr<Reader>(std::make_unique<CriteoReader>(std::move(criteo_options)));
  }
  return Status::InvalidArgument("data format '", options.format, "': a text reader reads criteo or schema files");
}

}  // namespace ember::data
