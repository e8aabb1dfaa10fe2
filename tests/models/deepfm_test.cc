// DeepFM (models/deepfm.h): its tables, and training in local mode on
// generated data to within 0.03 of the true click model's AUC.
#include "models/deepfm.h"

#include <gtest/gtest.h>


#include "common/logging.h"
#include "data/synthetic.h"
#include "scheduler/local_job.h"
#include "tests/util/generated_job.h"

namespace ember::models {
namespace {

TEST(DeepFmModelTest, FirstOrderAndEmbeddingTables) {
  ModelOptions options;
  options.name = "deepfm";
  options.embedding_dim = 8;
  options.hidden = {16};
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<storage::TableConfig>& tables = (*model)->tables();
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
  testing_util::GeneratedData data("deepfm", 300'000, 30'000, /*seed=*/7);
  ASSERT_TRUE(data.status().ok()) << data.status();
  const data::SyntheticSummary& summary = data.summary();
  scheduler::JobOptions job = testing_util::SmallJob(data, "deepfm");
  StatusOr<scheduler::JobResult> result = scheduler::RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 1u);
  const double auc = result->evals.back().auc;
  std::cout << "deepfm test AUC " << auc << ", oracle " << summary.test_auc << "\n";
  EXPECT_GE(auc, summary.test_auc - 0.03) << "oracle " << summary.test_auc;
  EXPECT_EQ(result->evals.back().examples, 30'000);
}

}  // namespace
}  // namespace ember::models
