// data/internal/interaction_format.h: the line formats of data/interactions.h,
// one line at a time: the interaction files (`user SEP item [SEP rating [SEP
// timestamp [SEP side features...]]]`, the separator detected from the first
// line) and the NCF eval-negatives file (`(user,item)<TAB>neg1<TAB>neg2...`).
// InteractionData::Load reads the files and calls these; the fuzz target of
// the format calls them without files. Pure functions; thread-safe. The
// string_views returned point into the line.
//
//   std::string separator = DetectSeparator(first_line);
//   SplitFields(line, separator, &fields);
//   if (line_number == 1 && IsHeader(fields)) ... skip it ...
//   Interaction interaction;
//   if (!ParseInteraction(fields, &interaction, &reason)) ... a malformed line ...
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::data::internal {

// "::", "\t", "," or " " (runs of spaces and tabs), the first that
// `first_line` holds in this order; " " when it holds none.
std::string DetectSeparator(std::string_view first_line);

// Splits `line` by `separator` into *fields (cleared first); " " means runs
// of spaces and tabs (no empty fields), any other separator keeps empty
// fields and gives at least one.
void SplitFields(std::string_view line, const std::string& separator, std::vector<std::string_view>* fields);

// A header: a non-number as the rating or the timestamp, or, with only two
// fields, two names without a digit (`user,item`).
bool IsHeader(const std::vector<std::string_view>& fields);

// One interaction line: its user and item tokens, its timestamp (0 when the
// line has none).
struct Interaction {
  std::string_view user;
  std::string_view item;
  int64_t time = 0;
};

// The fields of one interaction line into *out. False, with *reason, for
// fewer than 2 fields or an empty user or item ("needs a user and an item")
// and for a timestamp that is not an integer.
bool ParseInteraction(const std::vector<std::string_view>& fields, Interaction* out, std::string* reason);

// One line of an NCF eval-negatives file: *fields its tab-separated fields
// (fields[1..] are the negatives' item tokens, empty ones to be skipped),
// *user and *item the tokens of the first field "(user,item)" (split at its
// first comma). False when the first field is not of that form.
bool ParseNegativesLine(std::string_view line, std::vector<std::string_view>* fields, std::string_view* user,
                        std::string_view* item);

}  // namespace ember::data::internal
