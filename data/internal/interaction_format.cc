#include "data/internal/interaction_format.h"

#include <algorithm>
#include <charconv>

namespace ember::data::internal {
namespace {

bool IsNumber(std::string_view text) {
  double value;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool HasDigit(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string DetectSeparator(std::string_view first_line) {
  if (first_line.find("::") != std::string_view::npos) return "::";
  if (first_line.find('\t') != std::string_view::npos) return "\t";
  if (first_line.find(',') != std::string_view::npos) return ",";
  return " ";
}

void SplitFields(std::string_view line, const std::string& separator, std::vector<std::string_view>* fields) {
  fields->clear();
  if (separator == " ") {
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      if (i == line.size()) break;
      size_t end = i;
      while (end < line.size() && line[end] != ' ' && line[end] != '\t') ++end;
      fields->push_back(line.substr(i, end - i));
      i = end;
    }
    return;
  }
  size_t begin = 0;
  while (true) {
    const size_t at = line.find(separator, begin);
    if (at == std::string_view::npos) {
      fields->push_back(line.substr(begin));
      return;
    }
    fields->push_back(line.substr(begin, at - begin));
    begin = at + separator.size();
  }
}

bool IsHeader(const std::vector<std::string_view>& fields) {
  if (fields.size() < 2) return false;
  if (fields.size() == 2) return !HasDigit(fields[0]) && !HasDigit(fields[1]);
  for (size_t i = 2; i < fields.size() && i < 4; ++i) {
    if (!IsNumber(fields[i])) return true;
  }
  return false;
}

bool ParseInteraction(const std::vector<std::string_view>& fields, Interaction* out, std::string* reason) {
  if (fields.size() < 2 || fields[0].empty() || fields[1].empty()) {
    *reason = "needs a user and an item";
    return false;
  }
  out->user = fields[0];
  out->item = fields[1];
  out->time = 0;
  if (fields.size() >= 4) {
    auto [ptr, error] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), out->time);
    if (error != std::errc() || ptr != fields[3].data() + fields[3].size()) {
      *reason = "the timestamp is not an integer";
      return false;
    }
  }
  return true;
}

bool ParseNegativesLine(std::string_view line, std::vector<std::string_view>* fields, std::string_view* user,
                        std::string_view* item) {
  SplitFields(line, "\t", fields);
  const std::string_view pair = (*fields)[0];
  const size_t comma = pair.find(',');
  if (pair.size() < 5 || pair.front() != '(' || pair.back() != ')' || comma == std::string_view::npos) return false;
  *user = pair.substr(1, comma - 1);
  *item = pair.substr(comma + 1, pair.size() - comma - 2);
  return true;
}

}  // namespace ember::data::internal
