// data/schema.h: the column schema of a delimited text file (--schema), and
// its parser. Pure functions and plain values; thread-safe.
//
// A spec lists the column types in file order, comma-separated:
//
//   label        the click label: a number equal to 0 or 1. Exactly one.
//   weight       the sample weight: a finite number >= 0. At most one.
//   dense        a raw float feature; empty -> 0
//   logdense     a float feature under Criteo's transform: x > 0 -> log(1+x),
//                else (and empty) 0
//   cat          one categorical token -> one key; an empty token is a token
//   multi:<sep>  a multi-valued categorical column: tokens separated by the
//                one character <sep> (`multi:|`; `multi:tab` or `multi:\t`,
//                `multi:space`, `multi:comma` name those); empty -> no keys
//   skip         a column that is read past
//
// and `TYPE*N` repeats a type N times. Criteo's TSV is
// `label,logdense*13,cat*26` (with tab as the delimiter).
//
//   ASSIGN_OR_RETURN(Schema schema, ParseSchema("label,weight,dense*2,cat*20,multi:|"));
//   schema.num_dense();        // 2
//   schema.num_categorical();  // 21
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ember::data {

enum class ColumnType { kLabel, kWeight, kDense, kLogDense, kCategorical, kMulti, kSkip };

struct SchemaColumn {
  ColumnType type = ColumnType::kSkip;
  char separator = 0;  // kMulti: the separator of its tokens
  bool operator==(const SchemaColumn&) const = default;
};

struct Schema {
  std::vector<SchemaColumn> columns;  // one per column of a line, in file order

  // Dense (dense and logdense) columns: the Batch's num_dense.
  int num_dense() const;
  // cat and multi columns: the Batch's fields, in column order.
  int num_categorical() const;
  bool has_weight() const;
  bool operator==(const Schema&) const = default;
};

// The most columns a schema may have.
inline constexpr int kMaxSchemaColumns = 100000;

// Parses a spec (see above; spaces around pieces are ignored). InvalidArgument
// naming the bad piece and its 1-based position: an unknown type, a bad
// repeat count, a multi without a one-character separator (or with '\n' or
// '\r'), no label or more than one, more than one weight, more than
// kMaxSchemaColumns columns, an empty spec.
StatusOr<Schema> ParseSchema(std::string_view spec);

// The spec of `schema` with repeats folded (`label,logdense*13,cat*26`);
// ParseSchema(FormatSchema(s)) == s.
std::string FormatSchema(const Schema& schema);

// The column delimiter named by `text`: one character, or `\t` / `tab` for a
// tab. InvalidArgument for anything else, '\n' and '\r'.
StatusOr<char> ParseDelimiter(std::string_view text);

// InvalidArgument naming the column when a multi column's separator is the
// column delimiter.
Status CheckSchemaDelimiter(const Schema& schema, char delimiter);

}  // namespace ember::data
