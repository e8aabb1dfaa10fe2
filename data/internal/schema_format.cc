#include "data/internal/schema_format.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "common/hash.h"

namespace ember::data::internal {
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

}  // namespace

SchemaLineParser::SchemaLineParser(const Schema& schema, char delimiter, int id_column)
    : columns_(schema.columns),
      delimiter_(delimiter),
      id_column_(id_column),
      num_dense_(schema.num_dense()),
      num_categorical_(schema.num_categorical()),
      has_weight_(schema.has_weight()),
      dense_(static_cast<size_t>(num_dense_)),
      key_ends_(static_cast<size_t>(num_categorical_)) {}

Status SchemaLineParser::ClassifyFirstLine(std::string_view line, bool* is_header) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::vector<std::string_view> fields;
  size_t begin = 0;
  while (true) {
    const size_t next = line.find(delimiter_, begin);
    fields.push_back(line.substr(begin, next == std::string_view::npos ? std::string_view::npos : next - begin));
    if (next == std::string_view::npos) break;
    begin = next + 1;
  }
  if (fields.size() != columns_.size()) {
    return Status::InvalidArgument("the first line has ", fields.size(), " fields where the schema has ",
                                   columns_.size(), ": neither a header of its columns nor a record (",
                                   QuoteField(line), ")");
  }
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].type != ColumnType::kLabel) continue;
    float label = 0;
    *is_header = !ParseNumber(fields[i], &label);
  }
  return Status::OK();
}

void SchemaLineParser::ShapeBatch(int capacity, Batch* batch) {
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

bool SchemaLineParser::AppendLine(std::string_view line, Batch* batch, std::string* reason) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const size_t num_columns = columns_.size();
  const char* p = line.data();
  const char* const end = p + line.size();
  float label = 0, weight = 1;
  int dense_index = 0, field_index = 0;
  keys_.clear();
  std::string_view id;
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
    if (static_cast<int>(i) == id_column_) id = field;
    const SchemaColumn& column = columns_[i];
    switch (column.type) {
      case ColumnType::kLabel:
        if (field == "1") {
          label = 1.f;
        } else if (field == "0") {
          label = 0.f;
        } else if (!ParseNumber(field, &label) || (label != 0.f && label != 1.f)) {
          *reason = "column " + std::to_string(i + 1) + " (label) is not 0 or 1: " + QuoteField(field);
          return false;
        } else {
          label = label == 1.f ? 1.f : 0.f;  // "-0" too
        }
        break;
      case ColumnType::kWeight:
        if (!ParseNumber(field, &weight) || weight < 0.f) {
          *reason = "column " + std::to_string(i + 1) + " (weight) is not a finite number >= 0: " + QuoteField(field);
          return false;
        }
        break;
      case ColumnType::kDense:
      case ColumnType::kLogDense: {
        float x = 0;
        if (!TrimSpaces(field).empty() && !ParseNumber(field, &x)) {
          *reason = "column " + std::to_string(i + 1) + " (" +
                    (column.type == ColumnType::kDense ? "dense" : "logdense") +
                    ") is not a finite number: " + QuoteField(field);
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
  if (id_column_ >= 0) batch->ids.emplace_back(id);
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

}  // namespace ember::data::internal
