#include "data/internal/criteo_format.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "data/internal/line_reader.h"

namespace ember::data::internal {
namespace {

constexpr std::array<bool, 256> MakeHexTable() {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'f'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'F'; ++c) table[c] = true;
  return table;
}
constexpr std::array<bool, 256> kIsHex = MakeHexTable();

bool IsHexToken(std::string_view token) {
  if (token.size() > static_cast<size_t>(kMaxHexTokenDigits)) return false;
  for (char c : token) {
    if (!kIsHex[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

bool ParseFields(std::string_view line, CriteoRecord* record, std::string* error);

}  // namespace

bool ParseCriteoLine(std::string_view line, CriteoRecord* record, std::string* error) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (ParseFields(line, record, error)) return true;
  // One field short is Criteo's own test split, which carries no label: the
  // fields then fail one column off, so name the cause instead.
  if (std::count(line.begin(), line.end(), '\t') == kCriteoNumFields - 2) {
    *error = "has " + std::to_string(kCriteoNumFields - 1) + " tab-separated fields, want " +
             std::to_string(kCriteoNumFields) + " (the label column first, then 13 dense and 26 categorical)";
  }
  return false;
}

namespace {

bool ParseFields(std::string_view line, CriteoRecord* record, std::string* error) {
  const char* p = line.data();
  const char* const end = p + line.size();
  for (int i = 0; i < kCriteoNumFields; ++i) {
    const char* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<size_t>(end - p)));
    const bool last = i == kCriteoNumFields - 1;
    if (tab == nullptr && !last) {
      *error = "has " + std::to_string(i + 1) + " tab-separated fields, want " + std::to_string(kCriteoNumFields);
      return false;
    }
    if (tab != nullptr && last) {
      int fields = kCriteoNumFields;
      for (const char* q = tab; q < end; ++q) fields += *q == '\t';
      *error = "has " + std::to_string(fields) + " tab-separated fields, want " + std::to_string(kCriteoNumFields);
      return false;
    }
    const char* field_end = tab != nullptr ? tab : end;
    const std::string_view field(p, static_cast<size_t>(field_end - p));
    if (i == 0) {
      if (field == "0") {
        record->label = 0.0f;
      } else if (field == "1") {
        record->label = 1.0f;
      } else {
        *error = "label is not 0 or 1: " + QuoteField(field);
        return false;
      }
    } else if (i <= kCriteoNumDense) {
      int64_t x = 0;
      if (!field.empty()) {
        const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), x);
        if (ec != std::errc() || ptr != field.data() + field.size()) {
          *error = "dense field I" + std::to_string(i) + " is not an integer: " + QuoteField(field);
          return false;
        }
      }
      record->dense[i - 1] = DenseTransform(x);
    } else {
      const int c = i - 1 - kCriteoNumDense;
      if (!IsHexToken(field)) {
        *error = "categorical field C" + std::to_string(c + 1) + " is not a hex token of 1.." +
                 std::to_string(kMaxHexTokenDigits) + " digits: " + QuoteField(field);
        return false;
      }
      record->keys[c] = CategoricalKey(c, field);
    }
    p = field_end + 1;
  }
  return true;
}

}  // namespace
}  // namespace ember::data::internal
