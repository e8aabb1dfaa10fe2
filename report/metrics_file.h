// report/metrics_file.h: reading one `ember train --metrics_out` file.
//
// The file holds one JSON object a line, each with a string "event"
// (docs/architecture.md, "The scheduler", lists them): "progress" (step, epoch,
// samples_per_sec, loss), "eval" (epoch, examples, test_auc, test_logloss,
// and test_gauc, test_users, test_hr@K, test_ndcg@K where the job computes
// them), "checkpoint" (step, path, bytes, seconds) and "final". A line of
// another event is kept as it is, so that newer files still read. Blank
// lines are skipped. Pure functions; thread-safe.
//
//   StatusOr<MetricsFile> run = ReadMetricsFile("out/d/metrics.jsonl");
//   for (const MetricsLine& line : run->lines) if (line.event == "eval") ...
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "report/json.h"

namespace ember::report {

struct MetricsLine {
  int64_t line_number = 0;  // 1-based, in the file
  std::string event;        // the "event" field
  JsonValue fields;         // the whole object, "event" included
};

struct MetricsFile {
  std::string path;
  std::vector<MetricsLine> lines;  // in file order, blank lines left out
};

// Parses `text` as the contents of the file `path` (named in errors only).
// InvalidArgument "PATH:LINE: ..." for a line that is not a JSON object, has
// no string "event", or is a progress or checkpoint line without a number
// "step" or an eval line without a number "epoch"; InvalidArgument "PATH: no
// lines ..." when no line is left.
StatusOr<MetricsFile> ParseMetricsText(const std::string& path, std::string_view text);

// Reads and parses the file: NotFound naming it when it cannot be opened,
// then as ParseMetricsText.
StatusOr<MetricsFile> ReadMetricsFile(const std::string& path);

}  // namespace ember::report
