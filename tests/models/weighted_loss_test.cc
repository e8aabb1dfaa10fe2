// Per-sample weights (data::Batch::weights) in the logistic loss of every
// CTR model: the loss is sum_b w_b l_b / B and its gradient w (sigmoid(z) - y) / B.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/random.h"
#include "models/internal/parts.h"
#include "models/model.h"

namespace ember::models {
namespace {

double Bce(double z, double y) { return std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z))); }
double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

data::Batch LabelBatch(const std::vector<float>& labels, const std::vector<float>& weights) {
  data::Batch batch;
  batch.num_dense = 0;
  batch.Clear();
  batch.size = static_cast<int64_t>(labels.size());
  batch.labels = labels;
  batch.weights = weights;
  return batch;
}

TEST(WeightedLossTest, LogisticLossScalesEachSampleByItsWeight) {
  const std::vector<float> logits = {0.3f, -1.2f, 2.0f, 0.0f};
  const std::vector<float> labels = {1, 0, 0, 1};
  const std::vector<float> weights = {2.0f, 0.0f, 0.5f, 1.0f};
  ops::Tensor z = ops::Tensor::Empty({4, 1});
  for (int b = 0; b < 4; ++b) z.data()[b] = logits[b];

  ops::Tensor dlogits;
  StepResult weighted;
  internal::LogisticLoss loss;
  ASSERT_TRUE(loss.Compute(LabelBatch(labels, weights), z, &dlogits, &weighted).ok());
  double want_loss = 0;
  for (int b = 0; b < 4; ++b) {
    want_loss += weights[b] * Bce(logits[b], labels[b]) / 4;
    EXPECT_NEAR(dlogits.data()[b], weights[b] * (Sigmoid(logits[b]) - labels[b]) / 4, 1e-6) << b;
  }
  EXPECT_NEAR(weighted.mean_loss, want_loss, 1e-6);
  EXPECT_EQ(dlogits.data()[1], 0.f);  // a weight-0 sample has no gradient

  // No weights: every weight is 1.
  StepResult plain;
  ASSERT_TRUE(loss.Compute(LabelBatch(labels, {}), z, &dlogits, &plain).ok());
  double plain_loss = 0;
  for (int b = 0; b < 4; ++b) {
    plain_loss += Bce(logits[b], labels[b]) / 4;
    EXPECT_NEAR(dlogits.data()[b], (Sigmoid(logits[b]) - labels[b]) / 4, 1e-6) << b;
  }
  EXPECT_NEAR(plain.mean_loss, plain_loss, 1e-6);
  EXPECT_GT(std::abs(plain.mean_loss - weighted.mean_loss), 1e-3);
  // The probabilities do not depend on the weights.
  EXPECT_EQ(plain.probabilities, weighted.probabilities);

  // Weights of the wrong length are refused.
  StepResult bad;
  EXPECT_EQ(loss.Compute(LabelBatch(labels, {1.f, 2.f}), z, &dlogits, &bad).code(), StatusCode::kInvalidArgument);
}

// A batch of `num_dense` (0 or 2) dense features and 2 fields (field 1 with
// two keys per sample).
data::Batch ModelBatch(int num_dense, const std::vector<float>& labels, const std::vector<float>& weights) {
  data::Batch batch;
  batch.num_dense = num_dense;
  batch.fields.resize(2);
  batch.Clear();
  for (size_t b = 0; b < labels.size(); ++b) {
    batch.labels.push_back(labels[b]);
    if (num_dense == 2) {
      batch.dense.push_back(0.1f * static_cast<float>(b));
      batch.dense.push_back(1.0f - 0.2f * static_cast<float>(b));
    }
    for (int f = 0; f < 2; ++f) {
      batch.fields[f].keys.push_back(HashFieldToken(f, std::to_string(b)));
      if (f == 1) batch.fields[f].keys.push_back(HashFieldToken(f, "shared"));
      batch.fields[f].offsets.push_back(static_cast<int32_t>(batch.fields[f].keys.size()));
    }
  }
  batch.size = static_cast<int64_t>(labels.size());
  batch.weights = weights;
  return batch;
}

// Loss, dense gradients and row gradients of one TrainStep.
struct Step {
  double loss = 0;
  std::vector<float> dense_grads;
  std::vector<std::vector<float>> row_grads;
};

Step TrainStep(Model* model, const data::Batch& batch) {
  std::vector<SparseInput> inputs;
  model->PrepareInputs(batch, &inputs);
  Rng rng(3);
  std::vector<ops::Tensor> rows;
  for (size_t t = 0; t < inputs.size(); ++t) {
    rows.push_back(ops::Tensor::Empty({static_cast<int64_t>(inputs[t].unique.keys.size()), model->tables()[t].dim}));
    for (int64_t i = 0; i < rows[t].numel(); ++i) rows[t].data()[i] = static_cast<float>(rng.Normal(0, 0.5));
  }
  EXPECT_TRUE(model->dense_params()->ZeroGrads().ok());
  std::vector<ops::Tensor> row_grads;
  StepResult result;
  EXPECT_TRUE(model->TrainStep(batch, inputs, rows, &row_grads, &result).ok());
  Step step;
  step.loss = result.mean_loss;
  const ops::Tensor grads = model->dense_params()->flat_grads();
  step.dense_grads.assign(grads.data(), grads.data() + grads.numel());
  for (const ops::Tensor& g : row_grads) step.row_grads.emplace_back(g.data(), g.data() + g.numel());
  return step;
}

// wide_deep with 2 dense features, and lr without any (the wide part alone,
// as for a CSV of categorical columns only).
class WeightedTrainStepTest : public ::testing::TestWithParam<std::pair<const char*, int>> {};

TEST_P(WeightedTrainStepTest, TrainStepFollowsTheWeights) {
  ModelOptions options;
  options.name = GetParam().first;
  options.num_dense = GetParam().second;
  options.num_categorical = 2;
  options.embedding_dim = 3;
  options.hidden = {4};
  options.seed = 9;
  const int d = options.num_dense;
  StatusOr<std::unique_ptr<Model>> created = CreateModel(options);
  ASSERT_TRUE(created.ok()) << created.status();
  Model& model = **created;
  const std::vector<float> labels = {1, 0, 1, 0};

  const Step unweighted = TrainStep(&model, ModelBatch(d, labels, {}));
  const Step ones = TrainStep(&model, ModelBatch(d, labels, {1, 1, 1, 1}));
  const Step twos = TrainStep(&model, ModelBatch(d, labels, {2, 2, 2, 2}));
  EXPECT_DOUBLE_EQ(ones.loss, unweighted.loss);
  EXPECT_EQ(ones.dense_grads, unweighted.dense_grads);
  EXPECT_NEAR(twos.loss, 2 * unweighted.loss, 1e-6);
  ASSERT_EQ(twos.dense_grads.size(), unweighted.dense_grads.size());
  double norm = 0;
  for (size_t i = 0; i < twos.dense_grads.size(); ++i) {
    EXPECT_NEAR(twos.dense_grads[i], 2 * unweighted.dense_grads[i], 1e-6) << i;
    norm += std::abs(unweighted.dense_grads[i]);
  }
  ASSERT_EQ(twos.row_grads.size(), unweighted.row_grads.size());
  for (size_t t = 0; t < twos.row_grads.size(); ++t) {
    for (size_t i = 0; i < twos.row_grads[t].size(); ++i) {
      EXPECT_NEAR(twos.row_grads[t][i], 2 * unweighted.row_grads[t][i], 1e-6) << t << " " << i;
      norm += std::abs(unweighted.row_grads[t][i]);
    }
  }
  EXPECT_GT(norm, 1e-4);  // there is a gradient to scale

  // Flipping the label of a weight-0 sample changes nothing; of a weighted one, the loss.
  const std::vector<float> flipped = {1, 0, 1, 1};
  const Step zero = TrainStep(&model, ModelBatch(d, labels, {1, 1, 1, 0}));
  const Step zero_flipped = TrainStep(&model, ModelBatch(d, flipped, {1, 1, 1, 0}));
  EXPECT_DOUBLE_EQ(zero.loss, zero_flipped.loss);
  EXPECT_EQ(zero.dense_grads, zero_flipped.dense_grads);
  EXPECT_EQ(zero.row_grads, zero_flipped.row_grads);
  const Step one_flipped = TrainStep(&model, ModelBatch(d, flipped, {1, 1, 1, 1}));
  EXPECT_GT(std::abs(one_flipped.loss - unweighted.loss), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, WeightedTrainStepTest,
                         ::testing::Values(std::make_pair("wide_deep", 2), std::make_pair("lr", 0)));

}  // namespace
}  // namespace ember::models
