// Finite-difference gradients of the CTR models (lr, wide_deep, deepfm, dcn,
// dlrm, youtube_ranking) on one small batch with dense features, repeated
// keys across samples and fields, a multi-key field and an empty one: the
// row gradients of every sparse table and every dense parameter's gradient;
// and DLRM without dense features.
#include <gtest/gtest.h>

#include "models/model.h"
#include "tests/util/model_batches.h"
#include "tests/util/model_gradients.h"

namespace ember::models {
namespace {

using testing_util::CtrBatch;
using testing_util::kCtrDense;
using testing_util::kCtrFields;

class CtrGradientTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CtrGradientTest, RowAndDenseGradientsMatchCentralDifferences) {
  ModelOptions options;
  options.name = GetParam();
  options.num_dense = kCtrDense;
  options.num_categorical = kCtrFields;
  options.embedding_dim = 3;
  options.hidden = {5, 4};
  options.cross_layers = 2;
  options.bottom_hidden = {4};
  options.wide_crosses = {{0, 2}};
  options.seed = 10;
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const data::Batch batch = CtrBatch();
  testing_util::ExpectGradientsMatchCentralDifferences(**model, batch, static_cast<double>(batch.size));
}

// DLRM on data without dense features: no bottom MLP.
TEST(CtrGradientTest, DlrmWithoutDenseFeaturesMatchesCentralDifferences) {
  ModelOptions options;
  options.name = "dlrm";
  options.num_dense = 0;
  options.num_categorical = kCtrFields;
  options.embedding_dim = 3;
  options.hidden = {5, 4};
  options.seed = 11;
  StatusOr<std::unique_ptr<Model>> model = CreateModel(options);
  ASSERT_TRUE(model.ok()) << model.status();
  data::Batch batch = CtrBatch();
  batch.num_dense = 0;
  batch.dense.clear();
  testing_util::ExpectGradientsMatchCentralDifferences(**model, batch, static_cast<double>(batch.size));
}

INSTANTIATE_TEST_SUITE_P(Models, CtrGradientTest,
                         ::testing::Values("lr", "wide_deep", "deepfm", "dcn", "dlrm", "youtube_ranking"));

}  // namespace
}  // namespace ember::models
