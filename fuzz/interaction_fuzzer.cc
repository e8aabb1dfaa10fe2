// fuzz/interaction_fuzzer.cc: user-item interaction files (data/interactions.h).
// Each line of the input goes through the line format
// (data/internal/interaction_format.h) as InteractionData::Load reads it:
// the separator detected from the first line, the fields, the header test,
// the interaction; and through the NCF eval-negatives line parser. Then the
// input, as a file, through Load itself (the leave-one-out split and the
// eval negatives), whose result must be consistent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "data/interactions.h"
#include "data/internal/interaction_format.h"
#include "fuzz/fuzz_util.h"

namespace {

// True when `part` lies inside `whole` (a view the parser returned into it).
bool Inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void ParseLines(std::string_view text) {
  using namespace ember::data::internal;
  std::string separator;
  std::vector<std::string_view> fields;
  std::string reason;
  int64_t line_number = 0;
  size_t begin = 0;
  while (begin < text.size()) {  // as interactions.cc's ForEachLine
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_number;
    if (separator.empty()) separator = DetectSeparator(line);
    FUZZ_CHECK(!separator.empty());
    SplitFields(line, separator, &fields);
    for (std::string_view field : fields) FUZZ_CHECK(Inside(field, line));
    if (line_number == 1 && IsHeader(fields)) continue;
    Interaction interaction;
    if (ParseInteraction(fields, &interaction, &reason)) {
      FUZZ_CHECK(!interaction.user.empty() && !interaction.item.empty());
      FUZZ_CHECK(Inside(interaction.user, line) && Inside(interaction.item, line));
    }
    std::string_view user, item;
    if (!line.empty() && ParseNegativesLine(line, &fields, &user, &item)) {
      FUZZ_CHECK(Inside(user, line) && Inside(item, line));
    }
  }
}

void CheckLoaded(const ember::data::InteractionData& data) {
  const auto num_items = static_cast<int32_t>(data.item_keys().size());
  FUZZ_CHECK(data.train_counts().size() == data.item_keys().size());
  for (const ember::data::InteractionData::User& user : data.users()) {
    FUZZ_CHECK(std::is_sorted(user.rated.begin(), user.rated.end()));
    FUZZ_CHECK(std::adjacent_find(user.rated.begin(), user.rated.end()) == user.rated.end());
    for (int32_t item : user.rated) FUZZ_CHECK(item >= 0 && item < num_items);
    for (int32_t item : user.train_items) {
      FUZZ_CHECK(std::binary_search(user.rated.begin(), user.rated.end(), item));
    }
    if (user.test_item < 0) continue;
    FUZZ_CHECK(std::binary_search(user.rated.begin(), user.rated.end(), user.test_item));
    std::unordered_set<ember::Key> rated_keys;
    for (int32_t item : user.rated) rated_keys.insert(data.item_keys()[item]);
    for (ember::Key negative : user.eval_negatives) FUZZ_CHECK(!rated_keys.count(negative));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  ParseLines(std::string_view(reinterpret_cast<const char*>(data), size));

  static fuzz::TempFile file;
  data::InteractionDataOptions options;
  options.files = {file.Write(data, size)};
  options.max_bad_lines = -1;
  options.eval_negatives = 5;
  options.holdout_validation = size % 2 == 1;  // both splits, by the input
  const StatusOr<std::shared_ptr<const data::InteractionData>> loaded = data::InteractionData::Load(options);
  FUZZ_CHECK(loaded.ok());  // no limit on bad lines: every file loads
  CheckLoaded(**loaded);
  return 0;
}
