#include "data/schema.h"

#include <charconv>

namespace ember::data {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The separator a multi column names: one character or a name.
bool ParseSeparator(std::string_view text, char* separator) {
  if (text == "tab" || text == "\\t") {
    *separator = '\t';
  } else if (text == "space") {
    *separator = ' ';
  } else if (text == "comma") {
    *separator = ',';
  } else if (text.size() == 1 && text[0] != '\n' && text[0] != '\r') {
    *separator = text[0];
  } else {
    return false;
  }
  return true;
}

std::string SeparatorName(char separator) {
  switch (separator) {
    case '\t':
      return "tab";
    case ' ':
      return "space";
    case ',':
      return "comma";
    default:
      return std::string(1, separator);
  }
}

std::string ColumnName(const SchemaColumn& column) {
  switch (column.type) {
    case ColumnType::kLabel:
      return "label";
    case ColumnType::kWeight:
      return "weight";
    case ColumnType::kDense:
      return "dense";
    case ColumnType::kLogDense:
      return "logdense";
    case ColumnType::kCategorical:
      return "cat";
    case ColumnType::kMulti:
      return "multi:" + SeparatorName(column.separator);
    case ColumnType::kSkip:
      return "skip";
  }
  return "?";
}

}  // namespace

int Schema::num_dense() const {
  int n = 0;
  for (const SchemaColumn& c : columns) n += c.type == ColumnType::kDense || c.type == ColumnType::kLogDense;
  return n;
}

int Schema::num_categorical() const {
  int n = 0;
  for (const SchemaColumn& c : columns) n += c.type == ColumnType::kCategorical || c.type == ColumnType::kMulti;
  return n;
}

bool Schema::has_weight() const {
  for (const SchemaColumn& c : columns) {
    if (c.type == ColumnType::kWeight) return true;
  }
  return false;
}

StatusOr<Schema> ParseSchema(std::string_view spec) {
  if (Trim(spec).empty()) return Status::InvalidArgument("schema is empty");
  Schema schema;
  int labels = 0, weights = 0, position = 0;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t comma = spec.find(',', start);
    if (comma == std::string_view::npos) comma = spec.size();
    const std::string_view raw = spec.substr(start, comma - start);
    start = comma + 1;
    ++position;
    const std::string_view piece = Trim(raw);
    auto bad = [&](const std::string& why) {
      return Status::InvalidArgument("schema piece ", position, " '", piece, "': ", why);
    };
    // TYPE*N: the last '*' followed by digits only is a repeat (so `multi:*`
    // is a multi column separated by '*').
    std::string_view type = piece;
    int64_t repeat = 1;
    const size_t star = piece.rfind('*');
    if (star != std::string_view::npos && star + 1 < piece.size() && star > 0 &&
        piece.find_first_not_of("0123456789", star + 1) == std::string_view::npos) {
      type = Trim(piece.substr(0, star));
      const std::string_view count = piece.substr(star + 1);
      const auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), repeat);
      if (ec != std::errc() || ptr != count.data() + count.size() || repeat < 1 || repeat > kMaxSchemaColumns) {
        return bad("the repeat count must be in [1, " + std::to_string(kMaxSchemaColumns) + "]");
      }
    } else if (star != std::string_view::npos && !piece.starts_with("multi:")) {
      return bad("expected TYPE*N with N a positive integer");
    }
    SchemaColumn column;
    if (type == "label") {
      column.type = ColumnType::kLabel;
      labels += static_cast<int>(repeat);
    } else if (type == "weight") {
      column.type = ColumnType::kWeight;
      weights += static_cast<int>(repeat);
    } else if (type == "dense") {
      column.type = ColumnType::kDense;
    } else if (type == "logdense") {
      column.type = ColumnType::kLogDense;
    } else if (type == "cat") {
      column.type = ColumnType::kCategorical;
    } else if (type == "skip") {
      column.type = ColumnType::kSkip;
    } else if (type.starts_with("multi:")) {
      column.type = ColumnType::kMulti;
      if (!ParseSeparator(type.substr(6), &column.separator)) {
        return bad("a multi column needs one separator character after 'multi:' (or tab, space, comma)");
      }
    } else if (type == "multi") {
      return bad("a multi column needs its separator: multi:<one character>, e.g. multi:|");
    } else if (type.empty()) {
      return bad("empty column type (expected label, weight, dense, logdense, cat, multi:<sep> or skip)");
    } else {
      return bad("unknown column type '" + std::string(type) +
                 "' (expected label, weight, dense, logdense, cat, multi:<sep> or skip)");
    }
    if (labels > 1) return bad("more than one label column");
    if (weights > 1) return bad("more than one weight column");
    if (static_cast<int64_t>(schema.columns.size()) + repeat > kMaxSchemaColumns) {
      return bad("more than " + std::to_string(kMaxSchemaColumns) + " columns");
    }
    schema.columns.insert(schema.columns.end(), static_cast<size_t>(repeat), column);
    if (comma == spec.size()) break;
  }
  if (labels == 0) return Status::InvalidArgument("schema '", spec, "' has no label column");
  return schema;
}

std::string FormatSchema(const Schema& schema) {
  std::string spec;
  for (size_t i = 0; i < schema.columns.size();) {
    size_t j = i;
    while (j < schema.columns.size() && schema.columns[j] == schema.columns[i]) ++j;
    if (!spec.empty()) spec += ',';
    spec += ColumnName(schema.columns[i]);
    if (j - i > 1) {
      spec += '*';
      spec += std::to_string(j - i);
    }
    i = j;
  }
  return spec;
}

StatusOr<char> ParseDelimiter(std::string_view text) {
  if (text == "\\t" || text == "tab") return '\t';
  if (text.size() == 1 && text[0] != '\n' && text[0] != '\r') return text[0];
  return Status::InvalidArgument("the delimiter must be one character (or \\t or tab for a tab), got '", text, "'");
}

Status CheckSchemaDelimiter(const Schema& schema, char delimiter) {
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const SchemaColumn& column = schema.columns[i];
    if (column.type == ColumnType::kMulti && column.separator == delimiter) {
      return Status::InvalidArgument("schema column ", i + 1, " (", ColumnName(column),
                                     ") separates its tokens with the column delimiter '", SeparatorName(delimiter),
                                     "'");
    }
  }
  return Status::OK();
}

}  // namespace ember::data
