// A whole job in one process on generated data: the scheduler, servers and
// workers as threads over inproc sockets, as `ember train` runs it.
#include "scheduler/local_job.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/files.h"
#include "common/logging.h"
#include "data/synthetic.h"
#include "tests/util/command.h"

namespace ember::scheduler {
namespace {

namespace fs = std::filesystem;

// One generated data set shared by every test of this binary.
class LocalJobTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTrainRows = 300'000;
  static void SetUpTestSuite() {
    InitLogging("local_job_test");
    dir_ = new std::string(::testing::TempDir() + "/ember_local_job_" + std::to_string(::getpid()));
    fs::create_directories(*dir_);
    data::SyntheticOptions options;
    options.out_dir = *dir_;
    options.train_rows = kTrainRows;
    options.test_rows = 30'000;
    options.seed = 7;
    data::SyntheticSummary summary;
    ASSERT_TRUE(data::GenerateSyntheticCriteo(options, &summary).ok());
    oracle_auc_ = summary.test_auc;
    crosses_ = new std::string(summary.interactions);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  static JobOptions SmallWideDeep() {
    JobOptions job;
    job.worker.train_files = {*dir_ + "/train.tsv"};
    job.worker.eval_files = {*dir_ + "/test.tsv"};
    job.worker.batch_size = 512;
    job.worker.epochs = 1;
    job.worker.progress_every_steps = 100;
    job.worker.model.name = "wide_deep";
    job.worker.model.embedding_dim = 8;
    job.worker.model.hidden = {64, 32};
    StatusOr<std::vector<models::FieldCross>> crosses = models::ParseFieldCrosses(*crosses_, 26);
    EXPECT_TRUE(crosses.ok()) << crosses.status();
    if (crosses.ok()) job.worker.model.wide_crosses = *crosses;
    job.worker.model.wide_optimizer.type = ps::SparseOptimizerType::kFtrl;
    job.worker.model.wide_optimizer.ftrl_alpha = 0.1f;
    job.worker.model.wide_optimizer.ftrl_l1 = 0.5f;
    job.worker.model.deep_optimizer.type = ps::SparseOptimizerType::kAdagrad;
    job.worker.model.deep_optimizer.learning_rate = 0.02f;
    job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
    job.worker.dense_optimizer.learning_rate = 0.001f;
    job.seed = 3;
    return job;
  }

  static std::string* dir_;
  static std::string* crosses_;
  static double oracle_auc_;
};

std::string* LocalJobTest::dir_ = nullptr;
std::string* LocalJobTest::crosses_ = nullptr;
double LocalJobTest::oracle_auc_ = 0;

TEST_F(LocalJobTest, WideDeepReachesOracleAuc) {
  JobOptions job = SmallWideDeep();
  job.metrics_out = *dir_ + "/metrics.jsonl";
  StatusOr<JobResult> result = RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 1u);
  const double auc = result->evals.back().auc;
  EXPECT_GE(auc, oracle_auc_ - 0.02) << "oracle " << oracle_auc_;
  EXPECT_EQ(result->evals.back().examples, 30'000);
  EXPECT_EQ(result->samples, kTrainRows);
  // The metrics file ends with the final line.
  const std::string final_line = testing_util::FinalMetricsLine(job.metrics_out);
  ASSERT_FALSE(final_line.empty());
  StatusOr<double> final_auc = JsonNumberField(final_line, "test_auc");
  ASSERT_TRUE(final_auc.ok());
  EXPECT_DOUBLE_EQ(*final_auc, auc);
  EXPECT_TRUE(JsonNumberField(final_line, "samples_per_sec").ok());
  StatusOr<std::string> metrics = ReadFileToString(job.metrics_out);
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find("\"event\": \"progress\""), std::string::npos);
}

TEST_F(LocalJobTest, TwoServersSplitKeysEvenlyAndMatchOneServer) {
  JobOptions job = SmallWideDeep();
  job.worker.epochs = 1;
  job.num_servers = 1;
  StatusOr<JobResult> one = RunLocalJob(job);
  ASSERT_TRUE(one.ok()) << one.status();
  job.num_servers = 2;
  StatusOr<JobResult> two = RunLocalJob(job);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->rows_per_server.size(), 2u);
  const double total = static_cast<double>(two->rows_per_server[0] + two->rows_per_server[1]);
  EXPECT_EQ(total, static_cast<double>(one->rows_per_server[0]));
  EXPECT_NEAR(two->rows_per_server[0] / total, 0.5, 0.05);
  EXPECT_NEAR(two->evals.back().auc, one->evals.back().auc, 0.005);
}

TEST_F(LocalJobTest, TwoWorkersReadDisjointPartsAndTrain) {
  JobOptions job = SmallWideDeep();
  job.worker.epochs = 1;
  job.num_workers = 2;
  job.num_servers = 2;
  StatusOr<JobResult> result = RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->samples, kTrainRows);
  EXPECT_EQ(result->evals.back().examples, 30'000);
  EXPECT_GE(result->evals.back().auc, oracle_auc_ - 0.02);
}

TEST_F(LocalJobTest, LogisticRegressionLearns) {
  JobOptions job = SmallWideDeep();
  job.worker.model.name = "lr";
  job.worker.epochs = 2;
  job.worker.dense_optimizer.learning_rate = 0.01f;
  StatusOr<JobResult> result = RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 2u);  // one evaluation per epoch
  EXPECT_EQ(result->samples, 2 * kTrainRows);
  EXPECT_GE(result->evals.back().auc, oracle_auc_ - 0.03);
  EXPECT_GT(result->evals.back().auc, 0.6);
}

TEST_F(LocalJobTest, TooManyBadLinesStopTheJobWithTheFileName) {
  const std::string bad = *dir_ + "/bad.tsv";
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "1\tnot-a-criteo-line\n";
  ASSERT_TRUE(WriteFileAtomically(bad, lines).ok());
  JobOptions job = SmallWideDeep();
  job.worker.train_files = {bad};
  job.worker.max_bad_lines = 5;
  job.num_workers = 2;
  StatusOr<JobResult> result = RunLocalJob(job);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().ToString().find("bad.tsv"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace ember::scheduler
