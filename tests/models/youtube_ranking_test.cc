// YouTube DNN's ranking model (models/youtube_dnn.h, youtube_ranking):
// finite-difference gradients under sample weights, and on generated
// impressions with clicks and watch times (data/synthetic_watch.h), weighted
// logistic regression learns exp(logit) ~ the expected watch time of an
// impression, which the same model trained without the weights does not.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/logging.h"
#include "data/schema.h"
#include "data/synthetic_watch.h"
#include "job/local_job.h"
#include "models/model.h"
#include "tests/util/model_gradients.h"

namespace ember::models {
namespace {

ModelOptions RankingOptions() {
  ModelOptions options;
  options.name = "youtube_ranking";
  options.num_dense = 2;
  options.num_categorical = 3;
  options.embedding_dim = 3;
  options.hidden = {5, 4};
  options.seed = 7;
  return options;
}

TEST(YouTubeRankingTest, WeightedGradientsMatchCentralDifferences) {
  StatusOr<std::unique_ptr<Model>> model = CreateModel(RankingOptions());
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ((*model)->tables().size(), 1u);
  EXPECT_EQ((*model)->tables()[0].name, "embeddings");
  data::Batch batch;
  batch.num_dense = 2;
  batch.fields.resize(3);
  batch.Clear();
  const int n = 5;
  for (int b = 0; b < n; ++b) {
    for (int f = 0; f < 3; ++f) {
      batch.fields[f].keys.push_back(HashFieldToken(f, std::to_string((b + f) % 3)));
      batch.fields[f].offsets.push_back(b + 1);
    }
    batch.dense.push_back(0.5f * b);
    batch.dense.push_back(1.f - 0.3f * b);
    batch.labels.push_back(b % 2 == 0 ? 1.f : 0.f);
    batch.weights.push_back(b % 2 == 0 ? 0.5f + b : 1.f);  // watch times of the clicks
  }
  batch.size = n;
  testing_util::ExpectGradientsMatchCentralDifferences(**model, batch, static_cast<double>(n));
}

class WatchTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitLogging("youtube_ranking_test");
    dir_ = ::testing::TempDir() + "/ember_watch_" + std::to_string(::getpid());
    data::WatchSyntheticOptions options;
    options.out_dir = dir_;
    options.train_rows = 300'000;
    options.test_rows = 20'000;
    options.num_users = 500;
    options.num_videos = 300;
    ASSERT_TRUE(data::GenerateSyntheticWatch(options).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Trains youtube_ranking on train.csv, weighted by the weight column or
  // not, and returns its predicted odds p / (1 - p) = exp(logit) for every
  // row of test.csv.
  std::vector<double> PredictedOdds(bool weighted) {
    job::JobOptions job;
    job.worker.train_files = {dir_ + "/train.csv"};
    job.worker.eval_files = {dir_ + "/test.csv"};
    job.worker.data_format = "schema";
    StatusOr<data::Schema> schema = data::ParseSchema(weighted ? "label,weight,cat*3" : "label,skip,cat*3");
    EXPECT_TRUE(schema.ok()) << schema.status();
    job.worker.schema = *schema;
    job.worker.schema_header = true;
    job.worker.pipeline.progress_every_steps = 1000;
    job.worker.batch_size = 512;
    job.worker.epochs = 3;
    job.worker.model.name = "youtube_ranking";
    job.worker.model.num_dense = 0;
    job.worker.model.num_categorical = 3;
    job.worker.model.embedding_dim = 8;
    job.worker.model.hidden = {32, 16};
    job.worker.model.deep_optimizer.learning_rate = 0.05f;
    job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
    job.worker.dense_optimizer.learning_rate = 0.002f;
    job.eval_scores_out = dir_ + (weighted ? "/weighted.scores" : "/plain.scores");
    job.seed = 3;
    StatusOr<scheduler::JobResult> result = job::RunLocalJob(job);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<double> odds;
    std::ifstream in(job.eval_scores_out);
    double p;
    while (in >> p) odds.push_back(p / (1 - p));
    return odds;
  }

  // Column `column` of test_truth.csv.
  std::vector<double> Truth(int column) {
    std::ifstream in(dir_ + "/test_truth.csv");
    std::string line;
    std::getline(in, line);  // header
    std::vector<double> values;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string field;
      for (int c = 0; c <= column; ++c) std::getline(fields, field, ',');
      values.push_back(std::stod(field));
    }
    return values;
  }

  std::string dir_;
};

// Pearson correlation of log(a) and log(b).
double LogCorrelation(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = a.size();
  double ma = 0, mb = 0;
  for (size_t i = 0; i < n; ++i) ma += std::log(a[i]), mb += std::log(b[i]);
  ma /= n, mb /= n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = std::log(a[i]) - ma, y = std::log(b[i]) - mb;
    sab += x * y, saa += x * x, sbb += y * y;
  }
  return sab / std::sqrt(saa * sbb);
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

TEST_F(WatchTimeTest, WeightedLogisticRegressionLearnsExpectedWatchTime) {
  const std::vector<double> expected_watch = Truth(2);  // P(click) * mean watch time
  const std::vector<double> weighted = PredictedOdds(/*weighted=*/true);
  const std::vector<double> plain = PredictedOdds(/*weighted=*/false);
  ASSERT_EQ(weighted.size(), expected_watch.size());
  ASSERT_EQ(plain.size(), expected_watch.size());
  const double weighted_corr = LogCorrelation(weighted, expected_watch);
  const double plain_corr = LogCorrelation(plain, expected_watch);
  // What weighted logistic regression converges to: the odds
  // P(click) * m / (1 - P(click)) = E[T] / (1 - P(click)).
  const std::vector<double> odds_target = Truth(3);
  const double ratio = Mean(weighted) / Mean(odds_target);
  std::cout << "log-correlation with E[watch time]: weighted " << weighted_corr << ", unweighted " << plain_corr
            << "; mean exp(logit) / mean odds target = " << ratio
            << ", / mean E[T] = " << Mean(weighted) / Mean(expected_watch) << "\n";
  EXPECT_GT(weighted_corr, 0.8);
  EXPECT_GT(weighted_corr, plain_corr + 0.1);
  EXPECT_GT(ratio, 0.8);
  EXPECT_LT(ratio, 1.25);
}

}  // namespace
}  // namespace ember::models
