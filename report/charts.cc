#include "report/charts.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string_view>

namespace ember::report {
namespace {

// The sections of the events the job writes, in page order; any other
// event with a number "step" follows them as a section of its own.
struct KnownEvent {
  std::string_view event;
  std::string_view section;
  std::string_view x_field;
};
constexpr KnownEvent kKnownEvents[] = {
    {"progress", "Training", "step"},
    {"eval", "Evaluation", "epoch"},
    {"checkpoint", "Checkpoints", "step"},
};

// Fields that are never a chart's y: the x coordinates, the line's kind,
// the key that splits a run's series, and the progress line's share of the
// epoch and time left (estimates for the reader of the line).
bool IsStructuralField(std::string_view field) {
  return field == "event" || field == "step" || field == "epoch" || field == "server" || field == "epoch_done" ||
         field == "eta_seconds";
}

// Counts of an eval line come after its metrics.
int FieldRank(std::string_view event, std::string_view field) {
  return event == "eval" && (field == "examples" || field == "test_users") ? 1 : 0;
}

struct Labels {
  std::string title;
  std::string y_label;
};

Labels LabelsOf(std::string_view event, std::string_view field) {
  const std::string f(field);
  if (event == "progress" && field == "loss") return {"training loss", "loss (mean per sample)"};
  if (event == "progress" && field == "samples_per_sec") return {"training throughput", "samples/s"};
  if (event == "eval") {
    if (field == "test_auc") return {"AUC", "AUC"};
    if (field == "test_logloss") return {"logloss", "logloss (mean per sample)"};
    if (field == "test_gauc") return {"GAUC", "GAUC (per-user AUC)"};
    if (field.starts_with("test_hr@")) return {"HR@" + f.substr(8), "hit rate @" + f.substr(8)};
    if (field.starts_with("test_ndcg@")) return {"NDCG@" + f.substr(10), "NDCG @" + f.substr(10)};
    if (field == "examples") return {"evaluated examples", "examples"};
    if (field == "test_users") return {"evaluated users", "users"};
  }
  if (event == "checkpoint" && field == "bytes") return {"checkpoint size", "bytes"};
  if (event == "checkpoint" && field == "seconds") return {"checkpoint write time", "seconds"};
  const std::string title = event == "progress" || event == "eval" ? f : std::string(event) + " " + f;
  if (field.ends_with("_bytes") || field == "bytes") return {title, f + " (bytes)"};
  if (field.ends_with("_seconds") || field == "seconds") return {title, f + " (s)"};
  if (field.ends_with("_per_sec")) return {title, f + " (per second)"};
  return {title, f};
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The x field of `event`'s lines; "" when the event is not drawn.
std::string_view XFieldOf(std::string_view event, const std::vector<MetricsFile>& runs) {
  for (const KnownEvent& known : kKnownEvents) {
    if (known.event == event) return known.x_field;
  }
  if (event == "final") return "";
  for (const MetricsFile& run : runs) {
    for (const MetricsLine& line : run.lines) {
      if (line.event != event) continue;
      const JsonValue* step = line.fields.Find("step");
      if (step != nullptr && step->is_number()) return "step";
    }
  }
  return "";
}

// The events to draw, in page order.
std::vector<std::string> EventsInPageOrder(const std::vector<MetricsFile>& runs) {
  std::vector<std::string> events;
  for (const KnownEvent& known : kKnownEvents) events.emplace_back(known.event);
  for (const MetricsFile& run : runs) {
    for (const MetricsLine& line : run.lines) {
      if (std::find(events.begin(), events.end(), line.event) == events.end() && !XFieldOf(line.event, runs).empty()) {
        events.push_back(line.event);
      }
    }
  }
  return events;
}

// The fields of `event` that some line holds as a number or null, in the
// order of their first appearance, ranked (FieldRank).
std::vector<std::string> FieldsOf(std::string_view event, const std::vector<MetricsFile>& runs) {
  std::vector<std::string> fields;
  for (const MetricsFile& run : runs) {
    for (const MetricsLine& line : run.lines) {
      if (line.event != event) continue;
      for (const JsonValue::Member& member : line.fields.members()) {
        if (IsStructuralField(member.first) || !(member.second.is_number() || member.second.is_null())) continue;
        if (std::find(fields.begin(), fields.end(), member.first) == fields.end()) fields.push_back(member.first);
      }
    }
  }
  std::stable_sort(fields.begin(), fields.end(), [&](const std::string& a, const std::string& b) {
    return FieldRank(event, a) < FieldRank(event, b);
  });
  return fields;
}

// The series of one field of one run: one, or one per server.
void AddRunSeries(const MetricsFile& run, int run_index, const std::string& run_label, std::string_view event,
                  std::string_view x_field, const std::string& field, Chart* chart) {
  // Keyed by the server (absent: the run's one series), in order of appearance.
  std::vector<std::optional<double>> keys;
  std::map<std::optional<double>, Series> by_key;
  for (const MetricsLine& line : run.lines) {
    if (line.event != event) continue;
    const JsonValue* x = line.fields.Find(x_field);
    const JsonValue* y = line.fields.Find(field);
    if (x == nullptr || !x->is_number() || y == nullptr || !(y->is_number() || y->is_null())) continue;
    std::optional<double> key;
    const JsonValue* server = line.fields.Find("server");
    if (server != nullptr && server->is_number()) key = server->number();
    auto [it, added] = by_key.try_emplace(key);
    if (added) {
      keys.push_back(key);
      it->second.run = run_index;
      it->second.label = run_label;
      if (key) {
        char server_label[48];
        std::snprintf(server_label, sizeof(server_label), " server %g", *key);
        it->second.label += server_label;
      }
    }
    Point point;
    point.x = x->number();
    if (y->is_number()) point.y = y->number();
    it->second.points.push_back(point);
  }
  int dash = 0;
  for (const std::optional<double>& key : keys) {
    Series& series = by_key[key];
    series.dash = dash++;
    chart->series.push_back(std::move(series));
  }
}

}  // namespace

std::string RunColor(int index) {
  // Distinct on white and for the common forms of colour blindness (Tableau 10).
  static constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                             "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kPalette[index % 10];
}

ReportData BuildReportData(const std::vector<MetricsFile>& runs) {
  ReportData data;
  for (size_t r = 0; r < runs.size(); ++r) {
    RunInfo info;
    info.path = runs[r].path;
    info.label = BaseName(runs[r].path);
    for (size_t other = 0; other < runs.size(); ++other) {
      if (other != r && BaseName(runs[other].path) == info.label) info.label = runs[r].path;
    }
    info.color = RunColor(static_cast<int>(r));
    info.lines = static_cast<int64_t>(runs[r].lines.size());
    for (const MetricsLine& line : runs[r].lines) {
      if (line.event == "final") info.final_line = line.fields;
    }
    data.runs.push_back(std::move(info));
  }
  for (const std::string& event : EventsInPageOrder(runs)) {
    const std::string_view x_field = XFieldOf(event, runs);
    std::string section(event);
    for (const KnownEvent& known : kKnownEvents) {
      if (known.event == event) section = known.section;
    }
    for (const std::string& field : FieldsOf(event, runs)) {
      Chart chart;
      chart.id = event + "." + field;
      chart.section = section;
      chart.event = event;
      chart.field = field;
      Labels labels = LabelsOf(event, field);
      chart.title = std::move(labels.title);
      chart.y_label = std::move(labels.y_label);
      chart.x_label = std::string(x_field);
      for (size_t r = 0; r < runs.size(); ++r) {
        AddRunSeries(runs[r], static_cast<int>(r), data.runs[r].label, event, x_field, field, &chart);
      }
      data.charts.push_back(std::move(chart));
    }
  }
  return data;
}

JsonValue ReportDataToJson(const ReportData& data) {
  JsonValue runs = JsonValue::Array();
  for (const RunInfo& run : data.runs) {
    JsonValue info = JsonValue::Object();
    info.Set("label", JsonValue::String(run.label))
        .Set("path", JsonValue::String(run.path))
        .Set("color", JsonValue::String(run.color))
        .Set("lines", JsonValue::Number(static_cast<double>(run.lines)))
        .Set("final", run.final_line ? *run.final_line : JsonValue());
    runs.Append(std::move(info));
  }
  JsonValue charts = JsonValue::Array();
  for (const Chart& chart : data.charts) {
    JsonValue series_list = JsonValue::Array();
    for (const Series& series : chart.series) {
      JsonValue points = JsonValue::Array();
      for (const Point& point : series.points) {
        JsonValue xy = JsonValue::Array();
        xy.Append(JsonValue::Number(point.x));
        xy.Append(point.y ? JsonValue::Number(*point.y) : JsonValue());
        points.Append(std::move(xy));
      }
      JsonValue entry = JsonValue::Object();
      entry.Set("run", JsonValue::Number(series.run))
          .Set("label", JsonValue::String(series.label))
          .Set("color", JsonValue::String(data.runs[series.run].color))
          .Set("dash", JsonValue::Number(series.dash))
          .Set("points", std::move(points));
      series_list.Append(std::move(entry));
    }
    JsonValue entry = JsonValue::Object();
    entry.Set("id", JsonValue::String(chart.id))
        .Set("section", JsonValue::String(chart.section))
        .Set("event", JsonValue::String(chart.event))
        .Set("field", JsonValue::String(chart.field))
        .Set("title", JsonValue::String(chart.title))
        .Set("x", JsonValue::String(chart.x_label))
        .Set("y", JsonValue::String(chart.y_label))
        .Set("series", std::move(series_list));
    charts.Append(std::move(entry));
  }
  JsonValue root = JsonValue::Object();
  root.Set("format", JsonValue::String("ember-report/1")).Set("runs", std::move(runs)).Set("charts", std::move(charts));
  return root;
}

}  // namespace ember::report
