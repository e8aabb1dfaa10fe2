// report/page.h: the report page of one or more training runs, one
// self-contained HTML file (`ember report`).
//
// The page needs no network: its style sheet and its script are inline
// (report/page_assets.h), and the script draws the charts as inline SVG
// from the data, which the page embeds as a JSON object in
// <script id="ember-data" type="application/json"> (ReportDataToJson,
// report/charts.h; fields in report/README.md), so that a test reads the
// series back. Pure functions but WriteReport; thread-safe.
//
//   Status written = WriteReport({"a/metrics.jsonl", "b/metrics.jsonl"}, "report.html");
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "report/charts.h"

namespace ember::report {

// The HTML of the page for `data`.
std::string RenderReportPage(const ReportData& data);

struct ReportSummary {
  int runs = 0;
  int charts = 0;
  int series = 0;
};

// Reads every metrics file (report/metrics_file.h: NotFound or
// InvalidArgument naming the file, and the line where it is one line),
// renders the page and writes it to `out_path` through a temporary file
// (Internal naming it on failure). InvalidArgument for no files or a file
// given twice. `summary` (optional) receives what the page holds.
Status WriteReport(const std::vector<std::string>& metrics_paths, const std::string& out_path,
                   ReportSummary* summary = nullptr);

}  // namespace ember::report
