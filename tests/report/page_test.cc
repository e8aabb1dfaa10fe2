// The report page: its embedded series against the metrics files it was
// made from, its charts, its refusals, and that it needs no network.
#include "report/page.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/files.h"
#include "report/charts.h"
#include "report/json.h"

namespace ember::report {
namespace {

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

// A run's metrics as `ember train --metrics_out` writes them.
struct RunValues {
  std::vector<double> steps, loss, samples_per_sec;
  std::vector<double> auc, logloss, hr;  // per epoch; a NaN is written as null
  std::vector<double> checkpoint_steps, checkpoint_bytes;

  std::string Text() const {
    std::string text;
    for (size_t i = 0; i < steps.size(); ++i) {
      text += "{\"event\": \"progress\", \"step\": " + Number(steps[i]) +
              ", \"epoch\": 0, \"samples_per_sec\": " + Number(samples_per_sec[i]) + ", \"loss\": " + Number(loss[i]) +
              "}\n";
    }
    for (size_t i = 0; i < checkpoint_steps.size(); ++i) {
      text += "{\"event\": \"checkpoint\", \"step\": " + Number(checkpoint_steps[i]) + ", \"path\": \"ckpt/step-" +
              std::to_string(i) + "\", \"bytes\": " + Number(checkpoint_bytes[i]) + ", \"seconds\": 0.25}\n";
    }
    for (size_t e = 0; e < auc.size(); ++e) {
      text += "{\"event\": \"eval\", \"epoch\": " + std::to_string(e) +
              ", \"examples\": 4000, \"test_auc\": " + (std::isnan(auc[e]) ? std::string("null") : Number(auc[e])) +
              ", \"test_logloss\": " + Number(logloss[e]) +
              (hr.empty() ? "" : ", \"test_users\": 50, \"test_hr@10\": " + Number(hr[e])) + "}\n";
    }
    text += "{\"event\": \"final\", \"steps\": " + Number(steps.back()) + ", \"test_auc\": " + Number(auc.back()) +
            ", \"dense_checksums\": \"86817615f55af956\"}\n";
    return text;
  }
};

class ReportPageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_report_page_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_ + "/a");
    std::filesystem::create_directories(dir_ + "/b");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  // The JSON object of <script id="ember-data"> in the page at `path`.
  static JsonValue EmbeddedData(const std::string& path) {
    StatusOr<std::string> page = ReadFileToString(path);
    EXPECT_TRUE(page.ok()) << page.status();
    const std::string open = "<script id=\"ember-data\" type=\"application/json\">";
    const size_t start = page->find(open);
    EXPECT_NE(start, std::string::npos);
    const size_t end = page->find("</script>", start);
    StatusOr<JsonValue> data =
        ParseJson(std::string_view(*page).substr(start + open.size(), end - start - open.size()));
    EXPECT_TRUE(data.ok()) << data.status();
    return data.ok() ? *data : JsonValue();
  }

  static const JsonValue* FindChart(const JsonValue& data, std::string_view id) {
    for (const JsonValue& chart : data.Find("charts")->items()) {
      if (chart.Find("id")->string() == id) return &chart;
    }
    ADD_FAILURE() << "no chart " << id;
    return nullptr;
  }

  // The series' points equal (x[i], y[i]), bit for bit; a NaN y is null.
  static void ExpectPoints(const JsonValue& series, const std::vector<double>& x, const std::vector<double>& y) {
    const std::vector<JsonValue>& points = series.Find("points")->items();
    ASSERT_EQ(points.size(), x.size()) << series.Find("label")->string();
    for (size_t i = 0; i < points.size(); ++i) {
      EXPECT_EQ(points[i].items()[0].number(), x[i]) << i;
      if (std::isnan(y[i])) {
        EXPECT_TRUE(points[i].items()[1].is_null()) << i;
      } else {
        EXPECT_EQ(points[i].items()[1].number(), y[i]) << i;
      }
    }
  }

  std::string dir_;
};

TEST_F(ReportPageTest, EmbedsEachRunsSeriesAsTheFileHoldsThem) {
  RunValues first;
  first.steps = {2, 4, 6, 8};
  first.loss = {0.57770820273988555, 0.74301539521588023, 0.52, 0.1 + 0.2};
  first.samples_per_sec = {6789.6851077321126, 17950.86486289604, 20110.434961017079, 1.0 / 3};
  first.auc = {0.67684209358231862, 0.70401882285846107, 0.71597007361884379};
  first.logloss = {0.53983878903710625, 0.51158880549456631, 0.5049048103456617};
  first.checkpoint_steps = {4, 8};
  first.checkpoint_bytes = {4416355, 4416400};
  RunValues second;
  second.steps = {10, 20};
  second.loss = {0.6, 0.4};
  second.samples_per_sec = {5000, 5200.25};
  second.auc = {std::nan(""), 0.8};  // a diverged first evaluation
  second.logloss = {0.7, 0.45};
  second.hr = {0.5605, 0.58050000000000002};
  const std::string a = Write("a/wide_deep.jsonl", first.Text());
  const std::string b = Write("b/din.jsonl", second.Text());
  const std::string out = dir_ + "/report.html";
  ReportSummary summary;
  ASSERT_TRUE(WriteReport({a, b}, out, &summary).ok());

  const JsonValue data = EmbeddedData(out);
  EXPECT_EQ(data.Find("format")->string(), "ember-report/1");
  const std::vector<JsonValue>& runs = data.Find("runs")->items();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].Find("label")->string(), "wide_deep.jsonl");  // the file name
  EXPECT_EQ(runs[1].Find("label")->string(), "din.jsonl");
  EXPECT_EQ(runs[0].Find("path")->string(), a);
  EXPECT_EQ(runs[0].Find("final")->Find("dense_checksums")->string(), "86817615f55af956");
  EXPECT_NE(runs[0].Find("color")->string(), runs[1].Find("color")->string());

  // The charts, in page order: training, evaluation (metrics, then counts), checkpoints.
  std::vector<std::string> ids;
  for (const JsonValue& chart : data.Find("charts")->items()) ids.push_back(chart.Find("id")->string());
  EXPECT_EQ(ids, (std::vector<std::string>{"progress.samples_per_sec", "progress.loss", "eval.test_auc",
                                           "eval.test_logloss", "eval.test_hr@10", "eval.examples", "eval.test_users",
                                           "checkpoint.bytes", "checkpoint.seconds"}));
  EXPECT_EQ(summary.runs, 2);
  EXPECT_EQ(summary.charts, 9);

  const JsonValue* loss = FindChart(data, "progress.loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_EQ(loss->Find("x")->string(), "step");
  EXPECT_EQ(loss->Find("section")->string(), "Training");
  ASSERT_EQ(loss->Find("series")->items().size(), 2u);
  ExpectPoints(loss->Find("series")->items()[0], first.steps, first.loss);
  ExpectPoints(loss->Find("series")->items()[1], second.steps, second.loss);
  EXPECT_EQ(loss->Find("series")->items()[1].Find("label")->string(), "din.jsonl");
  const JsonValue* rate = FindChart(data, "progress.samples_per_sec");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->Find("y")->string(), "samples/s");
  ExpectPoints(rate->Find("series")->items()[0], first.steps, first.samples_per_sec);
  ExpectPoints(rate->Find("series")->items()[1], second.steps, second.samples_per_sec);

  const JsonValue* auc = FindChart(data, "eval.test_auc");
  ASSERT_NE(auc, nullptr);
  EXPECT_EQ(auc->Find("x")->string(), "epoch");
  EXPECT_EQ(auc->Find("title")->string(), "AUC");
  ExpectPoints(auc->Find("series")->items()[0], {0, 1, 2}, first.auc);
  ExpectPoints(auc->Find("series")->items()[1], {0, 1}, second.auc);  // null stays null
  const JsonValue* logloss = FindChart(data, "eval.test_logloss");
  ASSERT_NE(logloss, nullptr);
  ExpectPoints(logloss->Find("series")->items()[0], {0, 1, 2}, first.logloss);
  // HR@10: only the second run has it.
  const JsonValue* hr = FindChart(data, "eval.test_hr@10");
  ASSERT_NE(hr, nullptr);
  EXPECT_EQ(hr->Find("title")->string(), "HR@10");
  ASSERT_EQ(hr->Find("series")->items().size(), 1u);
  EXPECT_EQ(hr->Find("series")->items()[0].Find("run")->number(), 1);
  ExpectPoints(hr->Find("series")->items()[0], {0, 1}, second.hr);

  const JsonValue* bytes = FindChart(data, "checkpoint.bytes");
  ASSERT_NE(bytes, nullptr);
  ASSERT_EQ(bytes->Find("series")->items().size(), 1u);
  ExpectPoints(bytes->Find("series")->items()[0], first.checkpoint_steps, first.checkpoint_bytes);
}

TEST_F(ReportPageTest, ThePageNeedsNoNetwork) {
  RunValues run;
  run.steps = {1};
  run.loss = {0.5};
  run.samples_per_sec = {10};
  run.auc = {0.6};
  run.logloss = {0.6};
  const std::string out = dir_ + "/report.html";
  ASSERT_TRUE(WriteReport({Write("m.jsonl", run.Text())}, out).ok());
  StatusOr<std::string> page = ReadFileToString(out);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->starts_with("<!DOCTYPE html>"));
  // The one URL is the SVG namespace, an identifier that is never fetched.
  std::string without_namespace = *page;
  const std::string svg_namespace = "http://www.w3.org/2000/svg";
  for (size_t at; (at = without_namespace.find(svg_namespace)) != std::string::npos;) {
    without_namespace.erase(at, svg_namespace.size());
  }
  for (const char* fetch : {"http:", "https:", "//cdn", "<link", " src=", "@import", "url(", "fetch(", "XMLHttp"}) {
    EXPECT_EQ(without_namespace.find(fetch), std::string::npos) << fetch;
  }
  EXPECT_NE(page->find("<style>"), std::string::npos);
  EXPECT_NE(page->find("document.getElementById('ember-data')"), std::string::npos);
}

TEST_F(ReportPageTest, SplitsServerCountersAndLabelsClashingNames) {
  const std::string counters =
      "{\"event\": \"server\", \"step\": 10, \"server\": 0, \"rows\": 100, \"tier_reads\": 3}\n"
      "{\"event\": \"server\", \"step\": 10, \"server\": 1, \"rows\": 120, \"tier_reads\": 5}\n"
      "{\"event\": \"server\", \"step\": 20, \"server\": 0, \"rows\": 150, \"tier_reads\": null}\n"
      "{\"event\": \"note\", \"text\": \"no step: not drawn\"}\n";
  std::vector<MetricsFile> runs(2);
  runs[0].path = dir_ + "/a/m.jsonl";
  runs[1].path = dir_ + "/b/m.jsonl";
  for (MetricsFile& run : runs) {
    StatusOr<MetricsFile> parsed = ParseMetricsText(run.path, counters);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    run.lines = parsed->lines;
  }
  const ReportData data = BuildReportData(runs);
  // Two files named m.jsonl: each run is labelled by its path.
  EXPECT_EQ(data.runs[0].label, runs[0].path);
  EXPECT_EQ(data.runs[1].label, runs[1].path);
  ASSERT_EQ(data.charts.size(), 2u);
  const Chart& rows = data.charts[0];
  EXPECT_EQ(rows.id, "server.rows");
  EXPECT_EQ(rows.section, "server");
  EXPECT_EQ(rows.x_label, "step");
  ASSERT_EQ(rows.series.size(), 4u);  // 2 runs x 2 servers
  EXPECT_EQ(rows.series[0].label, runs[0].path + " server 0");
  EXPECT_EQ(rows.series[0].dash, 0);
  EXPECT_EQ(rows.series[1].label, runs[0].path + " server 1");
  EXPECT_EQ(rows.series[1].dash, 1);
  ASSERT_EQ(rows.series[0].points.size(), 2u);
  EXPECT_EQ(rows.series[0].points[1].x, 20);
  EXPECT_EQ(*rows.series[0].points[1].y, 150);
  const Chart& reads = data.charts[1];
  EXPECT_EQ(reads.id, "server.tier_reads");
  EXPECT_FALSE(reads.series[0].points[1].y.has_value());  // null in the file
}

TEST_F(ReportPageTest, RefusalsNameTheFileAndLine) {
  const std::string good = Write("good.jsonl", "{\"event\": \"progress\", \"step\": 2, \"loss\": 0.5}\n");
  const std::string bad = Write("bad.jsonl",
                                "{\"event\": \"progress\", \"step\": 2, \"loss\": 0.5}\n"
                                "{\"event\": \"progress\", \"step\": 4, \"loss\": 0.4}\n"
                                "{\"event\": \"progress\", \"step\": 6, \"lo\n");
  const std::string empty = Write("empty.jsonl", "");
  const std::string missing = dir_ + "/missing.jsonl";
  const std::string out = dir_ + "/report.html";

  Status status = WriteReport({good, bad}, out);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find(bad + ":3: not a JSON line"), std::string_view::npos) << status;
  status = WriteReport({good, empty}, out);
  EXPECT_NE(status.message().find(empty + ": no lines"), std::string_view::npos) << status;
  status = WriteReport({missing}, out);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(missing), std::string_view::npos) << status;
  status = WriteReport({good, good}, out);
  EXPECT_NE(status.message().find(good + ": given twice"), std::string_view::npos) << status;
  EXPECT_EQ(WriteReport({}, out).code(), StatusCode::kInvalidArgument);
  // No page is left behind by a refusal.
  struct stat st;
  EXPECT_NE(stat(out.c_str(), &st), 0);
  status = WriteReport({good}, dir_ + "/no/such/dir/report.html");
  EXPECT_EQ(status.code(), StatusCode::kInternal);
  EXPECT_NE(status.message().find(dir_ + "/no/such/dir/report.html"), std::string_view::npos) << status;
}

}  // namespace
}  // namespace ember::report
