#include "data/schema_reader.h"

#include <memory>
#include <utility>

#include "data/internal/line_reader.h"
#include "data/internal/schema_format.h"

namespace ember::data {
namespace {

internal::LineReaderOptions LineOptions(const SchemaReaderOptions& options) {
  return {.files = options.files,
          .batch_size = options.batch_size,
          .max_bad_lines = options.max_bad_lines,
          .part = options.part,
          .num_parts = options.num_parts,
          .skip_header = options.header};
}

}  // namespace

struct SchemaReader::State {
  explicit State(const SchemaReaderOptions& options)
      : lines("SchemaReader", LineOptions(options),
              std::make_unique<internal::SchemaLineParser>(options.schema, options.delimiter, options.id_column)) {}
  internal::LineReader lines;
};

SchemaReader::SchemaReader(SchemaReaderOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}
SchemaReader::~SchemaReader() = default;

int64_t SchemaReader::records_read() const { return state_->lines.records_read(); }
int64_t SchemaReader::bad_lines() const { return state_->lines.bad_lines(); }
ReaderPosition SchemaReader::position() const { return state_->lines.position(); }
double SchemaReader::fraction_done() const { return state_->lines.fraction_done(); }
Status SchemaReader::Rewind() { return state_->lines.Rewind(); }
Status SchemaReader::Seek(const ReaderPosition& position) { return state_->lines.Seek(position); }
StatusOr<bool> SchemaReader::Next(Batch* batch) { return state_->lines.Next(batch); }

Status SchemaReader::Open() {
  const Schema& schema = options_.schema;
  int labels = 0, weights = 0;
  for (const SchemaColumn& column : schema.columns) {
    labels += column.type == ColumnType::kLabel;
    weights += column.type == ColumnType::kWeight;
  }
  if (labels != 1 || weights > 1) {
    return Status::InvalidArgument("SchemaReader: the schema '", FormatSchema(schema), "' needs exactly one label ",
                                   "and at most one weight column");
  }
  if (options_.delimiter == '\n' || options_.delimiter == '\r') {
    return Status::InvalidArgument("SchemaReader: the delimiter cannot be a newline or carriage return");
  }
  RETURN_IF_ERROR(CheckSchemaDelimiter(schema, options_.delimiter).WithContext("SchemaReader"));
  return state_->lines.Open();
}

}  // namespace ember::data
