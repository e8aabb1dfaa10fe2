#include "data/schema_reader.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>

#include "common/hash.h"
#include "data/internal/line_reader.h"

namespace ember::data {
namespace {


std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// A finite number, the whole (space-trimmed) field.
bool ParseNumber(std::string_view field, float* value) {
  field = TrimSpaces(field);
  if (field.empty()) return false;
  const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), *value);
  return ec == std::errc() && ptr == field.data() + field.size() && std::isfinite(*value);
}

// The schema's format as a LineParser. A line is parsed into scratch space
// first, so that a malformed line leaves the batch untouched.
class SchemaParser : public internal::LineParser {
 public:
  SchemaParser(const Schema& schema, char delimiter)
      : columns_(schema.columns),
        delimiter_(delimiter),
        num_dense_(schema.num_dense()),
        num_categorical_(schema.num_categorical()),
        has_weight_(schema.has_weight()),
        dense_(static_cast<size_t>(num_dense_)),
        key_ends_(static_cast<size_t>(num_categorical_)) {}

  void ShapeBatch(int capacity, Batch* batch) override {
    if (batch->fields.size() != static_cast<size_t>(num_categorical_)) batch->fields.resize(num_categorical_);
    batch->num_dense = num_dense_;
    const size_t records = static_cast<size_t>(capacity);
    batch->labels.reserve(records);
    if (has_weight_) batch->weights.reserve(records);
    batch->dense.reserve(records * static_cast<size_t>(num_dense_));
    for (SparseField& field : batch->fields) {
      field.keys.reserve(records);
      field.offsets.reserve(records + 1);
    }
  }

  bool AppendLine(std::string_view line, Batch* batch, std::string* reason) override {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t num_columns = columns_.size();
    const char* p = line.data();
    const char* const end = p + line.size();
    float label = 0, weight = 1;
    int dense_index = 0, field_index = 0;
    keys_.clear();
    for (size_t i = 0; i < num_columns; ++i) {
      const bool last = i + 1 == num_columns;
      const char* next = static_cast<const char*>(std::memchr(p, delimiter_, static_cast<size_t>(end - p)));
      if (next == nullptr && !last) {
        *reason = "has " + std::to_string(i + 1) + " fields, the schema wants " + std::to_string(num_columns);
        return false;
      }
      if (next != nullptr && last) {
        size_t fields = num_columns;
        for (const char* q = next; q < end; ++q) fields += *q == delimiter_;
        *reason = "has " + std::to_string(fields) + " fields, the schema wants " + std::to_string(num_columns);
        return false;
      }
      const char* field_end = next != nullptr ? next : end;
      const std::string_view field(p, static_cast<size_t>(field_end - p));
      p = field_end + 1;
      const SchemaColumn& column = columns_[i];
      switch (column.type) {
        case ColumnType::kLabel:
          if (field == "1") {
            label = 1.f;
          } else if (field == "0") {
            label = 0.f;
          } else if (!ParseNumber(field, &label) || (label != 0.f && label != 1.f)) {
            *reason = "column " + std::to_string(i + 1) + " (label) is not 0 or 1: " + internal::QuoteField(field);
            return false;
          } else {
            label = label == 1.f ? 1.f : 0.f;  // "-0" too
          }
          break;
        case ColumnType::kWeight:
          if (!ParseNumber(field, &weight) || weight < 0.f) {
            *reason = "column " + std::to_string(i + 1) + " (weight) is not a finite number >= 0: " + internal::QuoteField(field);
            return false;
          }
          break;
        case ColumnType::kDense:
        case ColumnType::kLogDense: {
          float x = 0;
          if (!TrimSpaces(field).empty() && !ParseNumber(field, &x)) {
            *reason = "column " + std::to_string(i + 1) + " (" +
                      (column.type == ColumnType::kDense ? "dense" : "logdense") +
                      ") is not a finite number: " + internal::QuoteField(field);
            return false;
          }
          if (column.type == ColumnType::kLogDense) {
            x = x > 0.f ? static_cast<float>(std::log1p(static_cast<double>(x))) : 0.f;
          }
          dense_[dense_index++] = x;
          break;
        }
        case ColumnType::kCategorical:
          keys_.push_back(HashFieldToken(static_cast<uint32_t>(field_index), field));
          key_ends_[field_index++] = keys_.size();
          break;
        case ColumnType::kMulti: {
          const char* t = field.data();
          const char* const field_stop = t + field.size();
          while (t < field_stop) {
            const char* sep =
                static_cast<const char*>(std::memchr(t, column.separator, static_cast<size_t>(field_stop - t)));
            const char* token_end = sep != nullptr ? sep : field_stop;
            if (token_end > t) {
              keys_.push_back(HashFieldToken(static_cast<uint32_t>(field_index),
                                             std::string_view(t, static_cast<size_t>(token_end - t))));
            }
            t = token_end + 1;
          }
          key_ends_[field_index++] = keys_.size();
          break;
        }
        case ColumnType::kSkip:
          break;
      }
    }
    ++batch->size;
    batch->labels.push_back(label);
    if (has_weight_) batch->weights.push_back(weight);
    batch->dense.insert(batch->dense.end(), dense_.begin(), dense_.end());
    size_t key_begin = 0;
    for (int f = 0; f < num_categorical_; ++f) {
      SparseField& out = batch->fields[f];
      out.keys.insert(out.keys.end(), keys_.begin() + static_cast<ptrdiff_t>(key_begin),
                      keys_.begin() + static_cast<ptrdiff_t>(key_ends_[f]));
      out.offsets.push_back(static_cast<int32_t>(out.keys.size()));
      key_begin = key_ends_[f];
    }
    return true;
  }

 private:
  const std::vector<SchemaColumn> columns_;
  const char delimiter_;
  const int num_dense_;
  const int num_categorical_;
  const bool has_weight_;
  std::vector<float> dense_;      // this line's dense values
  std::vector<Key> keys_;         // this line's keys, field after field
  std::vector<size_t> key_ends_;  // field f's keys end at keys_[key_ends_[f]]
};

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
              std::make_unique<SchemaParser>(options.schema, options.delimiter)) {}
  internal::LineReader lines;
};

SchemaReader::SchemaReader(SchemaReaderOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(options_)) {}
SchemaReader::~SchemaReader() = default;

int64_t SchemaReader::records_read() const { return state_->lines.records_read(); }
int64_t SchemaReader::bad_lines() const { return state_->lines.bad_lines(); }
ReaderPosition SchemaReader::position() const { return state_->lines.position(); }
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
