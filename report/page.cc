#include "report/page.h"

#include <algorithm>

#include "common/files.h"
#include "report/metrics_file.h"
#include "report/page_assets.h"

namespace ember::report {
namespace {

std::string EscapeHtml(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string RenderReportPage(const ReportData& data) {
  std::string labels;
  for (const RunInfo& run : data.runs) labels += (labels.empty() ? "" : ", ") + run.label;
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<title>ember report: " + EscapeHtml(labels) + "</title>\n";
  page += "<style>";
  page += kPageStyle;
  page += "</style>\n</head>\n<body>\n";
  page += "<header><h1>ember report</h1><p id=\"subtitle\">" + EscapeHtml(labels) + "</p></header>\n";
  page +=
      "<main id=\"report\"><noscript><p class=\"error\">This page draws its charts with JavaScript; the series "
      "are the JSON of the element ember-data in its source.</p></noscript></main>\n";
  // ToJson escapes '<', '>' and '&' in strings, so no "</script>" can end
  // the element early.
  page += "<script id=\"ember-data\" type=\"application/json\">";
  page += ToJson(ReportDataToJson(data));
  page += "</script>\n<script>";
  page += kPageScript;
  page += "</script>\n</body>\n</html>\n";
  return page;
}

Status WriteReport(const std::vector<std::string>& metrics_paths, const std::string& out_path, ReportSummary* summary) {
  if (metrics_paths.empty()) return Status::InvalidArgument("no metrics files given");
  std::vector<MetricsFile> runs;
  for (size_t i = 0; i < metrics_paths.size(); ++i) {
    if (std::find(metrics_paths.begin(), metrics_paths.begin() + i, metrics_paths[i]) != metrics_paths.begin() + i) {
      return Status::InvalidArgument(metrics_paths[i], ": given twice");
    }
    ASSIGN_OR_RETURN(MetricsFile run, ReadMetricsFile(metrics_paths[i]));
    runs.push_back(std::move(run));
  }
  const ReportData data = BuildReportData(runs);
  RETURN_IF_ERROR(WriteFileAtomically(out_path, RenderReportPage(data)));
  if (summary != nullptr) {
    summary->runs = static_cast<int>(data.runs.size());
    summary->charts = static_cast<int>(data.charts.size());
    summary->series = 0;
    for (const Chart& chart : data.charts) summary->series += static_cast<int>(chart.series.size());
  }
  return Status::OK();
}

}  // namespace ember::report
