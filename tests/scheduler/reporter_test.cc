// Reporter: the scheduler's report lines, byte for byte (tests and scripts
// read them), and the JSON lines and eval scores files beside them.
#include "scheduler/reporter.h"
#include "scheduler/epoch_progress.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "common/files.h"

namespace ember::scheduler {
namespace {

class ReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_reporter_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ReporterOptions Options() {
    ReporterOptions options;
    options.out = &out_;
    options.metrics_out = dir_ + "/metrics.jsonl";
    options.eval_scores_out = dir_ + "/scores.txt";
    return options;
  }
  std::string File(const std::string& name) {
    StatusOr<std::string> text = ReadFileToString(dir_ + "/" + name);
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  std::string dir_;
  std::ostringstream out_;
};

// How JsonObject writes `value` (17 significant digits).
std::string JsonNumber(double value) {
  const std::string object = JsonObject().Add("v", value).ToString();  // {"v": X}
  return object.substr(6, object.size() - 7);
}

// The number under `name` in a JSON line; NaN (and a failure) if absent.
double Field(const std::string& json, const char* name) {
  StatusOr<double> value = JsonNumberField(json, name);
  EXPECT_TRUE(value.ok()) << name << " in " << json;
  return value.ok() ? *value : std::numeric_limits<double>::quiet_NaN();
}

EvalMetrics Metrics() {
  EvalMetrics metrics;
  metrics.epoch = 2;
  metrics.examples = 1000;
  metrics.auc = 0.781234;
  metrics.logloss = 0.456789;
  return metrics;
}

TEST_F(ReporterTest, ProgressLineSaysTheShareOfTheEpochAndTheTimeLeft) {
  Reporter reporter(Options());
  ASSERT_TRUE(reporter.Open().ok());
  reporter.Progress(/*step=*/20, /*epoch=*/1, /*samples_per_sec=*/51234.6, /*loss=*/0.4567891, /*epoch_done=*/0.374,
                    /*seconds_left=*/-1);
  reporter.Progress(30, 1, 100, 0.5, 0.5, 42.4);
  reporter.Progress(40, 1, 100, 0.5, 0.6, 185);
  reporter.Progress(50, 1, 100, 0.5, 0.7, 7620);
  EXPECT_EQ(out_.str(),
            "step 20  epoch 1  51235 samples/s  loss 0.45679  37% of epoch\n"
            "step 30  epoch 1  100 samples/s  loss 0.50000  50% of epoch  42 s left\n"
            "step 40  epoch 1  100 samples/s  loss 0.50000  60% of epoch  3 min 05 s left\n"
            "step 50  epoch 1  100 samples/s  loss 0.50000  70% of epoch  2 h 07 min left\n");
  const std::string metrics = File("metrics.jsonl");
  EXPECT_EQ(metrics.substr(0, metrics.find('\n') + 1),
            "{\"event\": \"progress\", \"step\": 20, \"epoch\": 1, \"samples_per_sec\": " + JsonNumber(51234.6) +
                ", \"loss\": " + JsonNumber(0.4567891) + ", \"epoch_done\": " + JsonNumber(0.374) + "}\n");
  const std::string second = metrics.substr(metrics.find('\n') + 1);
  EXPECT_EQ(Field(second, "eta_seconds"), 42.4) << second;
}

TEST(EpochProgressTest, MeanOfTheNewestReportsAndTheRateSinceTheEpochsFirst) {
  using Clock = EpochProgress::Clock;
  const Clock::time_point t0 = Clock::now();
  const auto at = [&](int seconds) { return t0 + std::chrono::seconds(seconds); };
  EpochProgress progress(2);
  EXPECT_EQ(progress.done(), 0);
  EXPECT_LT(progress.seconds_left(t0), 0);
  // A resumed epoch starts part-way: the rate counts from the first report.
  progress.Update(0, /*epoch=*/3, /*step=*/100, 0.5, t0);
  EXPECT_EQ(progress.done(), 0.5);
  EXPECT_LT(progress.seconds_left(at(1)), 0) << "no progress since the first report";
  progress.Update(1, 3, 100, 0.4, t0);
  EXPECT_DOUBLE_EQ(progress.done(), 0.45);
  // Worker 0 reports step 150 first: worker 1's step-100 report is not
  // mixed in; then both.
  progress.Update(0, 3, 150, 0.7, at(10));
  EXPECT_DOUBLE_EQ(progress.done(), 0.7);
  progress.Update(1, 3, 150, 0.6, at(10));
  EXPECT_DOUBLE_EQ(progress.done(), 0.65);
  // From 0.5 (the first report) to 0.65 in 10 s: 0.35 more takes 23.3 s.
  EXPECT_NEAR(progress.seconds_left(at(10)), 0.35 * 10 / 0.15, 1e-9);
  // An old epoch's report is ignored; a new epoch starts over; ranks out of
  // range are dropped, values clamped to [0, 1], NaN counts as 0.
  progress.Update(0, 2, 160, 0.0, at(11));
  EXPECT_DOUBLE_EQ(progress.done(), 0.65);
  progress.Update(1, 4, 200, 7.0, at(12));
  EXPECT_DOUBLE_EQ(progress.done(), 1.0);
  progress.Update(5, 4, 200, 0.5, at(12));
  progress.Update(0, 4, 200, std::nan(""), at(12));
  EXPECT_DOUBLE_EQ(progress.done(), 0.5);
}

TEST_F(ReporterTest, EvalLines) {
  Reporter reporter(Options());
  ASSERT_TRUE(reporter.Open().ok());
  reporter.Eval(Metrics());
  EvalMetrics with_all = Metrics();
  with_all.has_gauc = true;
  with_all.gauc = 0.654321;
  with_all.ranking_k = 10;
  with_all.ranking_users = 300;
  with_all.hit_rate = 0.5;
  with_all.ndcg = 0.25;
  reporter.Eval(with_all);
  EvalMetrics nan_gauc = Metrics();
  nan_gauc.has_gauc = true;  // computed, and NaN: printed as such
  reporter.Eval(nan_gauc);
  EXPECT_EQ(out_.str(),
            "eval  epoch 2  examples 1000  AUC 0.78123  logloss 0.45679\n"
            "eval  epoch 2  examples 1000  AUC 0.78123  logloss 0.45679  GAUC 0.65432  users 300  HR@10 0.50000  "
            "NDCG@10 0.25000\n"
            "eval  epoch 2  examples 1000  AUC 0.78123  logloss 0.45679  GAUC nan\n");
  const std::string metrics = File("metrics.jsonl");
  std::vector<std::string> lines;
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u) << metrics;
  EXPECT_EQ(lines[0].find("\"test_gauc\""), std::string::npos) << lines[0];
  EXPECT_EQ(lines[0].rfind("{\"event\": \"eval\", \"epoch\": 2, \"examples\": 1000, \"test_auc\": ", 0), 0u)
      << lines[0];
  EXPECT_EQ(Field(lines[0], "test_auc"), 0.781234);
  EXPECT_EQ(Field(lines[0], "test_logloss"), 0.456789);
  EXPECT_EQ(Field(lines[1], "test_gauc"), 0.654321);
  EXPECT_EQ(Field(lines[1], "test_users"), 300);
  EXPECT_EQ(Field(lines[1], "test_hr@10"), 0.5);
  EXPECT_EQ(Field(lines[1], "test_ndcg@10"), 0.25);
  EXPECT_NE(lines[2].find("\"test_gauc\": null"), std::string::npos) << lines[2];
}

TEST_F(ReporterTest, EvalScoresFileHoldsTheLastEvaluation) {
  Reporter reporter(Options());
  ASSERT_TRUE(reporter.Open().ok());
  ASSERT_TRUE(reporter.EvalScores(std::vector<float>{0.25f, 0.1f}).ok());
  EXPECT_EQ(File("scores.txt"), "0.25\n0.100000001\n");
  ASSERT_TRUE(reporter.EvalScores(std::vector<float>{0.5f}).ok());
  EXPECT_EQ(File("scores.txt"), "0.5\n");
  // Without the option nothing is written.
  ReporterOptions no_files;
  no_files.out = &out_;
  Reporter quiet(no_files);
  ASSERT_TRUE(quiet.Open().ok());
  EXPECT_TRUE(quiet.EvalScores(std::vector<float>{0.75f}).ok());
  quiet.Progress(1, 0, 0, 0, 0, -1);
  EXPECT_EQ(File("scores.txt"), "0.5\n");
}

TEST_F(ReporterTest, CheckpointLines) {
  Reporter reporter(Options());
  ASSERT_TRUE(reporter.Open().ok());
  reporter.CheckpointWriting(40, "/ckpt/step-40.tmp");
  reporter.CheckpointCommitted(40, "/ckpt/step-40", /*bytes=*/12'345'678, /*seconds=*/0.5);
  reporter.CheckpointCommitted(41, "/ckpt/step-41", /*bytes=*/0, /*seconds=*/0);
  EXPECT_EQ(out_.str(),
            "checkpoint step 40: writing /ckpt/step-40.tmp\n"
            "checkpoint step 40: committed /ckpt/step-40 (12.3 MB in 0.50 s, 25 MB/s)\n"
            "checkpoint step 41: committed /ckpt/step-41 (0.0 MB in 0.00 s, 0 MB/s)\n");
  EXPECT_EQ(File("metrics.jsonl"),
            "{\"event\": \"checkpoint\", \"step\": 40, \"path\": \"/ckpt/step-40\", \"bytes\": 12345678, "
            "\"seconds\": " +
                JsonNumber(0.5) +
                "}\n"
                "{\"event\": \"checkpoint\", \"step\": 41, \"path\": \"/ckpt/step-41\", \"bytes\": 0, "
                "\"seconds\": " +
                JsonNumber(0) + "}\n");
}

TEST_F(ReporterTest, FinalLine) {
  JobResult result;
  result.steps = 120;
  result.samples = 61440;
  result.samples_per_sec = 98765.4;
  result.dense_checksums = {0x1, 0xabcdef0123456789ULL};
  result.sparse_checksums = {0xff};
  {
    Reporter reporter(Options());
    ASSERT_TRUE(reporter.Open().ok());
    reporter.Final(result);
  }
  EXPECT_EQ(out_.str(), "final: steps 120, samples 61440, 98765 samples/s\n");
  const std::string no_eval = File("metrics.jsonl");
  EXPECT_EQ(no_eval.rfind("{\"event\": \"final\", \"steps\": 120, \"samples\": 61440, \"samples_per_sec\": ", 0), 0u)
      << no_eval;
  EXPECT_NE(no_eval.find("\"dense_checksums\": \"0000000000000001,abcdef0123456789\", "
                         "\"sparse_checksums\": \"00000000000000ff\", \"table_checksums\": \"\"}\n"),
            std::string::npos)
      << no_eval;

  EvalMetrics last = Metrics();
  last.gauc = 0.6;  // in the JSON line when not NaN, never on the report line
  last.ranking_k = 5;
  last.hit_rate = 0.4;
  last.ndcg = 0.3;
  result.evals = {Metrics(), last};
  out_.str("");
  Reporter reporter(Options());
  ASSERT_TRUE(reporter.Open().ok());
  reporter.Final(result);
  EXPECT_EQ(out_.str(),
            "final: steps 120, samples 61440, 98765 samples/s, test AUC 0.78123, test logloss 0.45679, test HR@5 "
            "0.40000, test NDCG@5 0.30000\n");
  const std::string with_eval = File("metrics.jsonl");
  EXPECT_EQ(Field(with_eval, "test_auc"), 0.781234);
  EXPECT_EQ(Field(with_eval, "test_logloss"), 0.456789);
  EXPECT_EQ(Field(with_eval, "test_gauc"), 0.6);
  EXPECT_EQ(Field(with_eval, "test_hr@5"), 0.4);
  EXPECT_EQ(Field(with_eval, "test_ndcg@5"), 0.3);
  EXPECT_LT(with_eval.find("test_ndcg@5"), with_eval.find("samples_per_sec"));
}

TEST_F(ReporterTest, AnUnwritableMetricsFileIsNamed) {
  ReporterOptions options = Options();
  options.metrics_out = dir_ + "/no/such/dir/metrics.jsonl";
  Reporter reporter(options);
  const Status opened = reporter.Open();
  EXPECT_EQ(opened.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(opened.message(), "cannot write --metrics_out=" + options.metrics_out);
}

}  // namespace
}  // namespace ember::scheduler
