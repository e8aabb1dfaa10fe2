// fuzz/metrics_file_fuzzer.cc: `ember report`'s reading of --metrics_out
// files (report/metrics_file.h: ParseMetricsText, on report/json.h's
// ParseJson), the whole input as one file, then the charts and the page
// made from what it accepts. What ToJson writes of a parsed value must parse
// back and write the same text again, and the page's data must not end its
// <script> element early (the page holds exactly two "</script>").
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "report/charts.h"
#include "report/json.h"
#include "report/metrics_file.h"
#include "report/page.h"

namespace {

void CheckRoundTrip(const ember::report::JsonValue& value) {
  const std::string once = ember::report::ToJson(value);
  const ember::StatusOr<ember::report::JsonValue> again = ember::report::ParseJson(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(ember::report::ToJson(*again) == once);
}

size_t Count(const std::string& text, std::string_view what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++count;
  return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember::report;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const ember::StatusOr<JsonValue> whole = ParseJson(text);
  if (whole.ok()) CheckRoundTrip(*whole);
  const ember::StatusOr<MetricsFile> file = ParseMetricsText("fuzz.jsonl", text);
  if (!file.ok()) return 0;
  FUZZ_CHECK(!file->lines.empty());
  for (const MetricsLine& line : file->lines) {
    FUZZ_CHECK(line.fields.is_object() && line.line_number >= 1);
    CheckRoundTrip(line.fields);
  }
  const ReportData report = BuildReportData({*file});
  FUZZ_CHECK(report.runs.size() == 1);
  const std::string page = RenderReportPage(report);
  FUZZ_CHECK(Count(page, "</script>") == 2);
  return 0;
}
