// DeepFM (models/deepfm.h): its tables, and training in local mode on
// generated data to within 0.03 of the true click model's AUC.
#include "models/deepfm.h"

#include <gtest/gtest.h>

#include "common/logging.h"
#include "data/synthetic.h"
#include "job/local_job.h"
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
  const std::vector<sparse::TableConfig>& tables = (*model)->tables();
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
  testing_util::ExpectSmallJobReachesOracleAuc("deepfm");
}

}  // namespace
}  // namespace ember::models
