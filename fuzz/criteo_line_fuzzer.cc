// fuzz/criteo_line_fuzzer.cc: one line of a Criteo TSV file
// (data/internal/criteo_format.h, ParseCriteoLine), the whole input as the
// line. A line that parses has 0/1 as its label and finite dense values.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "data/internal/criteo_format.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember::data::internal;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  CriteoRecord record;
  std::string error;
  if (!ParseCriteoLine(line, &record, &error)) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(record.label == 0.0f || record.label == 1.0f);
  for (float x : record.dense) FUZZ_CHECK(std::isfinite(x) && x >= 0.0f);
  return 0;
}
