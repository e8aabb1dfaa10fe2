// DLRM (models/dlrm.h): its tables, and training in local mode on
// generated data to within 0.03 of the true click model's AUC.
#include "models/dlrm.h"

#include <gtest/gtest.h>

#include "common/logging.h"
#include "data/synthetic.h"
#include "job/local_job.h"
#include "tests/util/generated_job.h"

namespace ember::models {
namespace {

TEST(DlrmModelTest, FirstOrderAndEmbeddingTables) {
  ModelOptions options;
  options.name = "dlrm";
  options.embedding_dim = 8;
  options.hidden = {16};
  options.bottom_hidden = {8};
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<sparse::TableConfig>& tables = (*model)->tables();
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "wide");
  EXPECT_EQ(tables[0].dim, 1);
  EXPECT_EQ(tables[1].name, "deep");
  EXPECT_EQ(tables[1].dim, 8);
  // bottom: 13 -> 8 -> 8; top: (8 + 27*26/2) -> 16 -> 1.
  EXPECT_EQ((*model)->dense_params()->size(), (13 * 8 + 8) + (8 * 8 + 8) + (359 * 16 + 16) + (16 + 1));
  options.embedding_dim = 0;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  options.embedding_dim = 8;
  options.bottom_hidden = {0};
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  // Without dense features (Avazu): no bottom MLP; the top MLP over the
  // 26*25/2 dot products of the fields alone.
  options.bottom_hidden = {};
  options.num_dense = 0;
  model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ((*model)->dense_params()->size(), (325 * 16 + 16) + (16 + 1));
  options.num_categorical = 1;  // no pair to interact
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(DlrmModelTest, ReachesOracleAucOnGeneratedData) {
  InitLogging("dlrm_test");
  testing_util::ExpectSmallJobReachesOracleAuc("dlrm",
                                               [](job::JobOptions* job) { job->worker.model.bottom_hidden = {32}; });
}

}  // namespace
}  // namespace ember::models
