// fuzz/schema_fuzzer.cc: the --schema spec and --schema_delimiter
// (data/schema.h: ParseSchema, ParseDelimiter, CheckSchemaDelimiter), the
// whole input as each. A spec that parses must come back from FormatSchema
// unchanged, as schema.h promises.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/schema.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const StatusOr<char> delimiter = data::ParseDelimiter(text);
  if (delimiter.ok()) FUZZ_CHECK(*delimiter != '\n' && *delimiter != '\r');
  const StatusOr<data::Schema> schema = data::ParseSchema(text);
  if (!schema.ok()) return 0;
  FUZZ_CHECK(!schema->columns.empty() && schema->columns.size() <= static_cast<size_t>(data::kMaxSchemaColumns));
  const StatusOr<data::Schema> again = data::ParseSchema(data::FormatSchema(*schema));
  FUZZ_CHECK(again.ok() && *again == *schema);
  for (char c : {',', '\t', '|', ' '}) data::CheckSchemaDelimiter(*schema, c).IgnoreError();
  return 0;
}
