// DCN-v2 (models/dcn.h): its tables and parameters, option checks, and
// training in local mode on generated data to within 0.03 of the true click
// model's AUC.
#include "models/dcn.h"

#include <gtest/gtest.h>

#include <iostream>

#include "common/logging.h"
#include "data/synthetic.h"
#include "job/local_job.h"
#include "tests/util/generated_job.h"

namespace ember::models {
namespace {

TEST(DcnModelTest, TablesAndCrossParameters) {
  ModelOptions options;
  options.name = "dcn";
  options.embedding_dim = 4;
  options.hidden = {16};
  options.cross_layers = 2;
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::vector<sparse::TableConfig>& tables = (*model)->tables();
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
  testing_util::ExpectSmallJobReachesOracleAuc("dcn", [](job::JobOptions* job) { job->worker.model.cross_layers = 2; });
}

}  // namespace
}  // namespace ember::models
