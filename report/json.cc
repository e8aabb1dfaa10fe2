#include "report/json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace ember::report {

JsonValue JsonValue::Bool(bool value) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::Number(double value) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.number_ = value;
  return v;
}

JsonValue JsonValue::String(std::string value) {
  JsonValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(value);
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.type_ = Type::kArray;
  return v;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.type_ = Type::kObject;
  return v;
}

const JsonValue* JsonValue::Find(std::string_view name) const {
  for (const Member& member : members_) {
    if (member.first == name) return &member.second;
  }
  return nullptr;
}

JsonValue& JsonValue::Append(JsonValue item) {
  items_.push_back(std::move(item));
  return items_.back();
}

JsonValue& JsonValue::Set(std::string name, JsonValue value) {
  members_.emplace_back(std::move(name), std::move(value));
  return *this;
}

namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  StatusOr<JsonValue> ParseDocument() {
    SkipWhitespace();
    ASSIGN_OR_RETURN(JsonValue value, ParseValue(0));
    SkipWhitespace();
    if (pos_ != text_.size()) return Error("text after the JSON value");
    return value;
  }

 private:
  Status Error(std::string_view what) const { return Status::InvalidArgument("column ", pos_ + 1, ": ", what); }

  void SkipWhitespace() {
    while (pos_ < text_.size() &&
           (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  StatusOr<JsonValue> ParseValue(int depth) {
    if (pos_ >= text_.size()) return Error("expected a value, found the end of the line");
    const char c = text_[pos_];
    if (c == '{' || c == '[') {
      if (depth >= kMaxJsonDepth) return Error("nested deeper than 64 levels");
      return c == '{' ? ParseObject(depth + 1) : ParseArray(depth + 1);
    }
    if (c == '"') {
      ASSIGN_OR_RETURN(std::string s, ParseString());
      return JsonValue::String(std::move(s));
    }
    if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber();
    if (Consume("true")) return JsonValue::Bool(true);
    if (Consume("false")) return JsonValue::Bool(false);
    if (Consume("null")) return JsonValue();
    return Error("expected a value (object, array, string, number, true, false or null)");
  }

  StatusOr<JsonValue> ParseObject(int depth) {
    JsonValue object = JsonValue::Object();
    ++pos_;  // '{'
    SkipWhitespace();
    if (Consume("}")) return object;
    while (true) {
      SkipWhitespace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Error("expected a member name in double quotes");
      ASSIGN_OR_RETURN(std::string name, ParseString());
      SkipWhitespace();
      if (!Consume(":")) return Error("expected ':' after a member name");
      SkipWhitespace();
      ASSIGN_OR_RETURN(JsonValue value, ParseValue(depth));
      object.Set(std::move(name), std::move(value));
      SkipWhitespace();
      if (Consume("}")) return object;
      if (!Consume(",")) return Error("expected ',' or '}' in an object");
    }
  }

  StatusOr<JsonValue> ParseArray(int depth) {
    JsonValue array = JsonValue::Array();
    ++pos_;  // '['
    SkipWhitespace();
    if (Consume("]")) return array;
    while (true) {
      SkipWhitespace();
      ASSIGN_OR_RETURN(JsonValue item, ParseValue(depth));
      array.Append(std::move(item));
      SkipWhitespace();
      if (Consume("]")) return array;
      if (!Consume(",")) return Error("expected ',' or ']' in an array");
    }
  }

  bool IsDigit(size_t at) const { return at < text_.size() && text_[at] >= '0' && text_[at] <= '9'; }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  StatusOr<JsonValue> ParseNumber() {
    const size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    if (!IsDigit(pos_)) return Error("expected a digit");
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      while (IsDigit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (!IsDigit(pos_)) return Error("expected a digit after '.'");
      while (IsDigit(pos_)) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (!IsDigit(pos_)) return Error("expected a digit in the exponent");
      while (IsDigit(pos_)) ++pos_;
    }
    const std::string digits(text_.substr(start, pos_ - start));
    const double value = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(value)) {
      pos_ = start;
      return Error("number out of the range of a double");
    }
    return JsonValue::Number(value);
  }

  StatusOr<unsigned> ParseHex4() {
    if (pos_ + 4 > text_.size()) return Error("expected 4 hex digits after \\u");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9') {
        code |= static_cast<unsigned>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        code |= static_cast<unsigned>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        code |= static_cast<unsigned>(h - 'A' + 10);
      } else {
        --pos_;
        return Error("expected a hex digit in \\u");
      }
    }
    return code;
  }

  static void AppendUtf8(unsigned code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  // A string starting at the opening quote; the escapes of RFC 8259 section 7.
  StatusOr<std::string> ParseString() {
    ++pos_;  // '"'
    std::string out;
    while (true) {
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) return Error("unterminated string");
      const char escaped = text_[pos_++];
      switch (escaped) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          ASSIGN_OR_RETURN(unsigned code, ParseHex4());
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (!Consume("\\u")) return Error("expected the low half of a surrogate pair");
            ASSIGN_OR_RETURN(unsigned low, ParseHex4());
            if (low < 0xDC00 || low > 0xDFFF) return Error("expected the low half of a surrogate pair");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Error("a low surrogate without its high half");
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          --pos_;
          return Error("unknown escape in a string");
      }
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void WriteString(const std::string& s, std::string* out) {
  out->push_back('"');
  for (const char c : s) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (byte < 0x20 || c == '<' || c == '>' || c == '&') {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", byte);
      out->append(escaped);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void Write(const JsonValue& value, std::string* out) {
  switch (value.type()) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(value.boolean() ? "true" : "false");
      return;
    case JsonValue::Type::kNumber: {
      if (!std::isfinite(value.number())) {
        out->append("null");
        return;
      }
      char number[32];
      std::snprintf(number, sizeof(number), "%.17g", value.number());
      out->append(number);
      return;
    }
    case JsonValue::Type::kString:
      WriteString(value.string(), out);
      return;
    case JsonValue::Type::kArray: {
      out->push_back('[');
      for (size_t i = 0; i < value.items().size(); ++i) {
        if (i > 0) out->push_back(',');
        Write(value.items()[i], out);
      }
      out->push_back(']');
      return;
    }
    case JsonValue::Type::kObject: {
      out->push_back('{');
      for (size_t i = 0; i < value.members().size(); ++i) {
        if (i > 0) out->push_back(',');
        WriteString(value.members()[i].first, out);
        out->push_back(':');
        Write(value.members()[i].second, out);
      }
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

StatusOr<JsonValue> ParseJson(std::string_view text) { return Parser(text).ParseDocument(); }

std::string ToJson(const JsonValue& value) {
  std::string out;
  Write(value, &out);
  return out;
}

}  // namespace ember::report
