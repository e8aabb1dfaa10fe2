// DeepFM (models/deepfm.h): its tables, and training in local mode on
// generated data to within 0.03 of the true click model's AUC.
#include "models/deepfm.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/logging.h"
#include "data/synthetic.h"
#include "scheduler/local_job.h"

namespace ember::models {
namespace {

namespace fs = std::filesystem;

TEST(DeepFmModelTest, FirstOrderAndEmbeddingTables) {
  ModelOptions options;
  options.name = "deepfm";
  options.embedding_dim = 8;
  options.hidden = {16};
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<ps::TableConfig>& tables = (*model)->tables();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "wide");
  EXPECT_EQ(tables[0].dim, 1);
  EXPECT_EQ(tables[1].name, "deep");
  EXPECT_EQ(tables[1].dim, 8);
  options.embedding_dim = 0;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(DeepFmModelTest, ReachesOracleAucOnGeneratedData) {
  InitLogging("deepfm_test");
  const std::string dir = ::testing::TempDir() + "/ember_deepfm_" + std::to_string(::getpid());
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
  job.worker.model.name = "deepfm";
  job.worker.model.embedding_dim = 8;
  job.worker.model.hidden = {64, 32};
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
  std::cout << "deepfm test AUC " << auc << ", oracle " << summary.test_auc << "\n";
  EXPECT_GE(auc, summary.test_auc - 0.03) << "oracle " << summary.test_auc;
  EXPECT_EQ(result->evals.back().examples, 30'000);
}

}  // namespace
}  // namespace ember::models
