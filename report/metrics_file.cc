#include "report/metrics_file.h"

#include <sys/stat.h>

#include "common/files.h"

namespace ember::report {
namespace {

// The field every line of `event` needs as its x coordinate; "" for none.
std::string_view RequiredNumberField(std::string_view event) {
  if (event == "progress" || event == "checkpoint") return "step";
  if (event == "eval") return "epoch";
  return "";
}

// At most `limit` bytes of `line`, for an error message.
std::string Excerpt(std::string_view line, size_t limit = 60) {
  if (line.size() <= limit) return std::string(line);
  return std::string(line.substr(0, limit)) + "...";
}

}  // namespace

StatusOr<MetricsFile> ParseMetricsText(const std::string& path, std::string_view text) {
  MetricsFile file;
  file.path = path;
  int64_t line_number = 0;
  for (std::string_view line : SplitString(text, '\n')) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    const std::string where = path + ":" + std::to_string(line_number);
    StatusOr<JsonValue> parsed = ParseJson(line);
    if (!parsed.ok()) {
      return Status::InvalidArgument(where, ": not a JSON line (", parsed.status().message(), "): '", Excerpt(line),
                                     "'");
    }
    if (!parsed->is_object()) return Status::InvalidArgument(where, ": not a JSON object: '", Excerpt(line), "'");
    const JsonValue* event = parsed->Find("event");
    if (event == nullptr || !event->is_string()) {
      return Status::InvalidArgument(where, ": no \"event\" string (is this a --metrics_out file?): '", Excerpt(line),
                                     "'");
    }
    const std::string_view x_field = RequiredNumberField(event->string());
    if (!x_field.empty()) {
      const JsonValue* x = parsed->Find(x_field);
      if (x == nullptr || !x->is_number()) {
        return Status::InvalidArgument(where, ": the ", event->string(), " line has no number \"", x_field, "\"");
      }
    }
    MetricsLine metrics_line;
    metrics_line.line_number = line_number;
    metrics_line.event = event->string();
    metrics_line.fields = std::move(*parsed);
    file.lines.push_back(std::move(metrics_line));
  }
  if (file.lines.empty()) {
    return Status::InvalidArgument(path, ": no lines (an `ember train --metrics_out` file holds one JSON object a ",
                                   "line)");
  }
  return file;
}

StatusOr<MetricsFile> ReadMetricsFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path, ": not a regular file");
  }
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseMetricsText(path, text);
}

}  // namespace ember::report
