// DCN-v2 (models/dcn.h): its tables and parameters, option checks, and
// training in local mode on generated data to within 0.03 of the true click
// model's AUC.
#include "models/dcn.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common/logging.h"
#include "data/synthetic.h"
#include "scheduler/local_job.h"

namespace ember::models {
namespace {

namespace fs = std::filesystem;

TEST(DcnModelTest, TablesAndCrossParameters) {
  ModelOptions options;
  options.name = "dcn";
  options.embedding_dim = 4;
  options.hidden = {16};
  options.cross_layers = 2;
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<ps::TableConfig>& tables = (*model)->tables();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "wide");
  EXPECT_EQ(tables[0].dim, 1);
  EXPECT_EQ(tables[1].name, "deep");
  EXPECT_EQ(tables[1].dim, 4);
  const int64_t d = 26 * 4 + 13;
  ops::ParameterSet* params = (*model)->dense_params();
  EXPECT_TRUE(params->Find("cross.0.weight").ok());
  EXPECT_TRUE(params->Find("cross.1.bias").ok());
  EXPECT_FALSE(params->Find("cross.2.weight").ok());
  EXPECT_EQ(params->size(), 2 * (d * d + d) + (d * 16 + 16) + (16 + 1));

  options.cross_layers = 0;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  options.cross_layers = 1;
  options.embedding_dim = 0;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(DcnModelTest, ReachesOracleAucOnGeneratedData) {
  InitLogging("dcn_test");
  const std::string dir = ::testing::TempDir() + "/ember_dcn_" + std::to_string(::getpid());
  fs::create_directories(dir);
  data::SyntheticOptions data_options;
  data_options.out_dir = dir;
  data_options.train_rows = 300'000;
  data_options.test_rows = 30'000;
  data_options.seed = 7;
  data::SyntheticSummary summary;
  ASSERT_TRUE(data::GenerateSyntheticCriteo(data_options, &summary).ok());

  scheduler::JobOptions job;
  job.worker.train_files = {dir + "/train.tsv"};
  job.worker.eval_files = {dir + "/test.tsv"};
  job.worker.batch_size = 512;
  job.worker.epochs = 1;
  job.worker.progress_every_steps = 100;
  job.worker.model.name = "dcn";
  job.worker.model.embedding_dim = 8;
  job.worker.model.hidden = {64, 32};
  job.worker.model.cross_layers = 2;
  job.worker.model.wide_optimizer.type = ps::SparseOptimizerType::kFtrl;
  job.worker.model.wide_optimizer.ftrl_alpha = 0.1f;
  job.worker.model.wide_optimizer.ftrl_l1 = 0.5f;
  job.worker.model.deep_optimizer.type = ps::SparseOptimizerType::kAdagrad;
  job.worker.model.deep_optimizer.learning_rate = 0.02f;
  job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
  job.worker.dense_optimizer.learning_rate = 0.001f;
  job.seed = 3;
  StatusOr<scheduler::JobResult> result = scheduler::RunLocalJob(job);
  fs::remove_all(dir);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 1u);
  const double auc = result->evals.back().auc;
  std::cout << "dcn test AUC " << auc << ", oracle " << summary.test_auc << "\n";
  EXPECT_GE(auc, summary.test_auc - 0.03) << "oracle " << summary.test_auc;
  EXPECT_EQ(result->evals.back().examples, 30'000);
  EXPECT_EQ(result->samples, data_options.train_rows);
}

}  // namespace
}  // namespace ember::models
