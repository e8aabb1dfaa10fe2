// report/charts.h: the charts of a report, built from the runs' metrics
// files.
//
// One chart per numeric field of an event, each holding one series per run
// that has the field (and, for a line with a number "server", one per run
// and server):
//   - section "Training": every "progress" field but step and epoch (loss,
//     samples_per_sec) over the step;
//   - section "Evaluation": every "eval" field but epoch (AUC, logloss,
//     GAUC, HR@K, NDCG@K, then the example and user counts) over the epoch;
//   - section "Checkpoints": bytes and seconds of each "checkpoint" over
//     its step;
//   - a section per other event whose lines have a number "step" (the
//     counters a newer job may write, e.g. of the servers and their tier),
//     named after the event, its fields over the step.
// A point's y is absent where the file holds null (a NaN the job wrote).
// Runs are labelled by their file name, or by their path where two runs
// share a name. Pure functions; thread-safe.
//
//   std::vector<MetricsFile> runs = ...;       // report/metrics_file.h
//   ReportData report = BuildReportData(runs);
//   for (const Chart& chart : report.charts) ...
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/json.h"
#include "report/metrics_file.h"

namespace ember::report {

struct Point {
  double x = 0;
  std::optional<double> y;  // absent: null in the file
};

struct Series {
  int run = 0;                // index into ReportData::runs
  std::string label;          // the run's label, plus " server N" for a per-server series
  int dash = 0;               // 0: solid; 1, 2, ...: the run's second, third, ... series in the chart
  std::vector<Point> points;  // in file order
};

struct Chart {
  std::string id;       // "<event>.<field>", unique in a report
  std::string section;  // "Training", "Evaluation", "Checkpoints" or the event's name
  std::string event;    // the lines' "event"
  std::string field;    // the field drawn
  std::string title;    // e.g. "AUC", "training loss"
  std::string x_label;  // "step" or "epoch"
  std::string y_label;  // the field with its unit, e.g. "samples/s"
  std::vector<Series> series;
};

struct RunInfo {
  std::string label;  // the file's name, or its path where names clash
  std::string path;
  std::string color;  // "#rrggbb": the colour of its series
  int64_t lines = 0;
  std::optional<JsonValue> final_line;  // the last "final" line, if any
};

struct ReportData {
  std::vector<RunInfo> runs;
  std::vector<Chart> charts;  // sections in the order above; in a section, by field
};

// The colour of run `index` (a fixed palette, repeating after 10 runs).
std::string RunColor(int index);

ReportData BuildReportData(const std::vector<MetricsFile>& runs);

// The data as the JSON object that the page embeds (report/README.md
// documents its fields).
JsonValue ReportDataToJson(const ReportData& data);

}  // namespace ember::report
