// Finite-difference gradients of the CTR models (lr, wide_deep, deepfm, dcn,
// dlrm, youtube_ranking) on one small batch with dense features, repeated
// keys across samples and fields, a multi-key field and an empty one: the
// row gradients of every sparse table and every dense parameter's gradient.
#include <gtest/gtest.h>

#include "models/model.h"
#include "tests/util/model_gradients.h"

namespace ember::models {
namespace {

constexpr int kDense = 3;
constexpr int kFields = 4;

data::Batch CtrBatch() {
  data::Batch batch;
  batch.num_dense = kDense;
  batch.fields.resize(kFields);
  batch.Clear();
  const int n = 6;
  for (int b = 0; b < n; ++b) {
    for (int f = 0; f < kFields; ++f) {
      data::SparseField& field = batch.fields[f];
      if (f == 3 && b % 3 == 0) {
        // field 3: sample 0 and 3 empty, the others two keys
      } else {
        field.keys.push_back(HashFieldToken(f, std::to_string((b * (f + 1)) % 4)));
        if (f == 3) field.keys.push_back(HashFieldToken(f, std::to_string(b % 2 + 7)));
      }
      field.offsets.push_back(static_cast<int32_t>(field.keys.size()));
    }
    for (int d = 0; d < kDense; ++d) batch.dense.push_back(0.3f * static_cast<float>((b + 2 * d) % 5) - 0.4f);
    batch.labels.push_back(b % 3 == 1 ? 1.f : 0.f);
  }
  batch.size = n;
  return batch;
}

class CtrGradientTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CtrGradientTest, RowAndDenseGradientsMatchCentralDifferences) {
  ModelOptions options;
  options.name = GetParam();
  options.num_dense = kDense;
  options.num_categorical = kFields;
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

INSTANTIATE_TEST_SUITE_P(Models, CtrGradientTest,
                         ::testing::Values("lr", "wide_deep", "deepfm", "dcn", "dlrm", "youtube_ranking"));

}  // namespace
}  // namespace ember::models
