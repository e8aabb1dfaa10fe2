// report/json.h: a JSON value, a parser of one JSON text and a writer.
//
// JsonValue holds null, a bool, a number (a double), a string, an array or
// an object (its members in the order written; a name given twice keeps
// both, Find returns the first). ParseJson reads RFC 8259 JSON: one value,
// whitespace around it, nesting at most kMaxJsonDepth deep; it fails with
// InvalidArgument "column N: what was expected". ToJson writes compact JSON
// whose numbers read back to the same double (17 significant digits; a
// non-finite number is written as null) and whose strings escape '<', '>'
// and '&', so that the text can sit inside an HTML <script> element.
// Values are plain data: a const JsonValue may be read from any thread.
//
//   StatusOr<JsonValue> line = ParseJson(R"({"event": "eval", "test_auc": 0.71})");
//   const JsonValue* auc = line->Find("test_auc");   // auc->number() == 0.71
//   JsonValue out = JsonValue::Object();
//   out.Set("auc", JsonValue::Number(0.71));
//   std::string text = ToJson(out);                  // {"auc":0.70999999999999996}
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ember::report {

inline constexpr int kMaxJsonDepth = 64;

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;  // null
  static JsonValue Bool(bool value);
  static JsonValue Number(double value);
  static JsonValue String(std::string value);
  static JsonValue Array();
  static JsonValue Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // The value of its type; undefined for another type.
  bool boolean() const { return bool_; }
  double number() const { return number_; }
  const std::string& string() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<Member>& members() const { return members_; }

  // The first member named `name` of an object; nullptr if there is none
  // or this is not an object.
  const JsonValue* Find(std::string_view name) const;
  // Appends an item to an array (undefined for another type).
  JsonValue& Append(JsonValue item);
  // Appends a member to an object (undefined for another type); returns *this.
  JsonValue& Set(std::string name, JsonValue value);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<Member> members_;
};

// Parses `text` as one JSON value. InvalidArgument "column N: ..." (N counts
// bytes from 1) for anything else: a syntax error, trailing text, a number
// out of a double's range, nesting deeper than kMaxJsonDepth.
StatusOr<JsonValue> ParseJson(std::string_view text);

// Compact JSON of `value` (see the file comment for numbers and escapes).
std::string ToJson(const JsonValue& value);

}  // namespace ember::report
