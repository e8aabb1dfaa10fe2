// A whole job in one process on generated data: the scheduler, servers and
// workers as threads over inproc sockets, as `ember train` runs it.
#include "job/local_job.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/files.h"
#include "common/logging.h"
#include "data/synthetic.h"
#include "tests/util/command.h"
#include "tests/util/generated_job.h"

namespace ember::scheduler {
namespace {

// One generated data set shared by every test of this binary.
class LocalJobTest : public ::testing::Test {
 protected:
  static constexpr int64_t kTrainRows = 300'000;
  static void SetUpTestSuite() {
    InitLogging("local_job_test");
    data_ = new testing_util::GeneratedData("local_job", kTrainRows, 30'000, /*seed=*/7);
    ASSERT_TRUE(data_->status().ok()) << data_->status();
    oracle_auc_ = data_->summary().test_auc;
  }
  static void TearDownTestSuite() { delete data_; }

  // The small Wide & Deep job, crossing the generator's interacting pairs.
  static job::JobOptions SmallWideDeep() {
    job::JobOptions job = testing_util::SmallJob(*data_, "wide_deep");
    StatusOr<std::vector<models::FieldCross>> crosses = models::ParseFieldCrosses(data_->summary().interactions, 26);
    EXPECT_TRUE(crosses.ok()) << crosses.status();
    if (crosses.ok()) job.worker.model.wide_crosses = *crosses;
    return job;
  }

  static testing_util::GeneratedData* data_;
  static double oracle_auc_;
};

testing_util::GeneratedData* LocalJobTest::data_ = nullptr;
double LocalJobTest::oracle_auc_ = 0;

TEST_F(LocalJobTest, WideDeepReachesOracleAuc) {
  job::JobOptions job = SmallWideDeep();
  job.metrics_out = data_->dir() + "/metrics.jsonl";
  StatusOr<JobResult> result = job::RunLocalJob(job);
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
  job::JobOptions job = SmallWideDeep();
  job.worker.epochs = 1;
  job.num_servers = 1;
  StatusOr<JobResult> one = job::RunLocalJob(job);
  ASSERT_TRUE(one.ok()) << one.status();
  job.num_servers = 2;
  StatusOr<JobResult> two = job::RunLocalJob(job);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->rows_per_server.size(), 2u);
  const double total = static_cast<double>(two->rows_per_server[0] + two->rows_per_server[1]);
  EXPECT_EQ(total, static_cast<double>(one->rows_per_server[0]));
  EXPECT_NEAR(two->rows_per_server[0] / total, 0.5, 0.05);
  EXPECT_NEAR(two->evals.back().auc, one->evals.back().auc, 0.005);
}

TEST_F(LocalJobTest, TwoWorkersReadDisjointPartsAndTrain) {
  job::JobOptions job = SmallWideDeep();
  job.worker.epochs = 1;
  job.num_workers = 2;
  job.num_servers = 2;
  StatusOr<JobResult> result = job::RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->samples, kTrainRows);
  EXPECT_EQ(result->evals.back().examples, 30'000);
  EXPECT_GE(result->evals.back().auc, oracle_auc_ - 0.02);
}

TEST_F(LocalJobTest, LogisticRegressionLearns) {
  job::JobOptions job = SmallWideDeep();
  job.worker.model.name = "lr";
  job.worker.epochs = 2;
  job.worker.dense_optimizer.learning_rate = 0.01f;
  StatusOr<JobResult> result = job::RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 2u);  // one evaluation per epoch
  EXPECT_EQ(result->samples, 2 * kTrainRows);
  EXPECT_GE(result->evals.back().auc, oracle_auc_ - 0.03);
  EXPECT_GT(result->evals.back().auc, 0.6);
}

TEST_F(LocalJobTest, TooManyBadLinesStopTheJobWithTheFileName) {
  const std::string bad = data_->dir() + "/bad.tsv";
  std::string lines;
  for (int i = 0; i < 20; ++i) lines += "1\tnot-a-criteo-line\n";
  ASSERT_TRUE(WriteFileAtomically(bad, lines).ok());
  job::JobOptions job = SmallWideDeep();
  job.worker.train_files = {bad};
  job.worker.max_bad_lines = 5;
  job.num_workers = 2;
  StatusOr<JobResult> result = job::RunLocalJob(job);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().ToString().find("bad.tsv"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace ember::scheduler
