// data/internal/criteo_format.h: the Criteo TSV record format, one line at a
// time. Shared by the reader and the synthetic generator so that both apply
// exactly the same transforms. Pure functions; thread-safe.
//
// A line is exactly 40 tab-separated fields:
//   label      "0" or "1"
//   I1..I13    decimal integers (may be negative), or empty
//   C1..C26    hex tokens of 1..16 hex digits (either case), or empty
// A trailing '\r' (CRLF files) is ignored.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/hash.h"

namespace ember::data::internal {

inline constexpr int kCriteoNumDense = 13;
inline constexpr int kCriteoNumCategorical = 26;
inline constexpr int kCriteoNumFields = 1 + kCriteoNumDense + kCriteoNumCategorical;
inline constexpr int kMaxHexTokenDigits = 16;

struct CriteoRecord {
  float label = 0;
  float dense[kCriteoNumDense];
  Key keys[kCriteoNumCategorical];
};

// The dense transform: log(1+x) for x > 0, else 0 (also used for empty).
inline float DenseTransform(int64_t x) { return x > 0 ? static_cast<float>(std::log1p(static_cast<double>(x))) : 0.0f; }

// The key of categorical field `field` (0-based: C1 is 0) holding `token`;
// an empty token ("missing") is hashed like any other token.
inline Key CategoricalKey(int field, std::string_view token) {
  return HashFieldToken(static_cast<uint32_t>(field), token);
}

// Parses one line (without its '\n'). Returns true and fills *record, or
// returns false and sets *error to a one-line reason naming the field.
bool ParseCriteoLine(std::string_view line, CriteoRecord* record, std::string* error);

}  // namespace ember::data::internal
