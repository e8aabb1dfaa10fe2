// tests/util/model_gradients.h: the finite-difference check of a model's
// TrainStep gradients, shared by the model tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/random.h"
#include "models/model.h"

namespace ember::testing_util {

// Fills random rows (N(0, row_stddev)) for the batch's unique keys, moves
// every dense parameter by N(0, 0.1) (so that no ReLU input sits exactly on
// its kink, as with zero biases and an empty input), runs TrainStep, and compares with central differences of the mean loss:
//  - every dense parameter: d mean_loss / d p;
//  - every row value: summed_scale * d mean_loss / d x (the row gradients
//    are of the SUMMED loss: summed_scale is the batch size, or the number
//    of softmax groups for a sampled-softmax model).
inline void ExpectGradientsMatchCentralDifferences(models::Model& model, const data::Batch& batch,
                                                   double summed_scale, double row_stddev = 0.7,
                                                   double tolerance = 2e-3) {
  std::vector<models::SparseInput> inputs;
  model.PrepareInputs(batch, &inputs);
  ASSERT_EQ(inputs.size(), model.tables().size());
  Rng rng(11);
  std::vector<ops::Tensor> rows;
  for (size_t t = 0; t < inputs.size(); ++t) {
    rows.push_back(ops::Tensor::Empty({static_cast<int64_t>(inputs[t].unique.keys.size()), model.tables()[t].dim}));
    for (int64_t i = 0; i < rows[t].numel(); ++i) rows[t].data()[i] = static_cast<float>(rng.Normal(0, row_stddev));
  }
  ops::ParameterSet* params = model.dense_params();
  ops::Tensor values = params->flat_values();
  for (int64_t i = 0; i < values.numel(); ++i) values.data()[i] += static_cast<float>(rng.Normal(0, 0.1));
  params->ZeroGrads();
  std::vector<ops::Tensor> row_grads;
  models::StepResult result;
  const Status step = model.TrainStep(batch, inputs, rows, &row_grads, &result);
  ASSERT_TRUE(step.ok()) << step;
  const std::vector<float> dense_grads(params->flat_grads().data(),
                                       params->flat_grads().data() + params->flat_grads().numel());
  auto mean_loss = [&]() {
    models::StepResult r;
    std::vector<ops::Tensor> unused;
    EXPECT_TRUE(model.TrainStep(batch, inputs, rows, &unused, &r).ok());
    return r.mean_loss;
  };
  const double eps = 1e-3;
  auto numeric = [&](float& x) {
    const float saved = x;
    x = saved + static_cast<float>(eps);
    const double up = mean_loss();
    x = saved - static_cast<float>(eps);
    const double down = mean_loss();
    x = saved;
    return (up - down) / (2 * eps);
  };
  for (size_t t = 0; t < rows.size(); ++t) {
    ASSERT_EQ(row_grads[t].numel(), rows[t].numel()) << "table " << t;
    for (int64_t i = 0; i < rows[t].numel(); ++i) {
      const double expected = summed_scale * numeric(rows[t].data()[i]);
      EXPECT_NEAR(row_grads[t].data()[i], expected, tolerance + 1e-2 * std::abs(expected))
          << "table " << t << " index " << i;
    }
  }
  for (int64_t i = 0; i < values.numel(); ++i) {
    const double expected = numeric(values.data()[i]);
    EXPECT_NEAR(dense_grads[i], expected, tolerance + 1e-2 * std::abs(expected)) << "dense index " << i;
  }
}

}  // namespace ember::testing_util
