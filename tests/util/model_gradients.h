// tests/util/model_gradients.h: the finite-difference check of a model's
// TrainStep gradients, shared by the model tests.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "common/random.h"
#include "models/model.h"

namespace ember::testing_util {

// Fills random rows (N(0, row_stddev)) for the batch's unique keys, moves
// every dense parameter by N(0, 0.1) (so that no ReLU input sits exactly on
// its kink, as with zero biases and an empty input), runs TrainStep, and
// compares with central differences of the mean loss (where the one-sided
// differences disagree, a ReLU input within eps of 0, with either of them;
// at most 1 value in 10):
//  - every dense parameter: d mean_loss / d p;
//  - every row value: summed_scale * d mean_loss / d x (the row gradients
//    are of the SUMMED loss: summed_scale is the batch size, or the number
//    of softmax groups for a sampled-softmax model).
inline void ExpectGradientsMatchCentralDifferences(models::Model& model, const data::Batch& batch, double summed_scale,
                                                   double row_stddev = 0.7, double tolerance = 2e-3) {
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
  ASSERT_TRUE(params->ZeroGrads().ok());
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
  const double center = mean_loss();
  // A value whose one-sided differences disagree sits on a kink (a ReLU
  // input crossing 0 within +-eps): there the analytic gradient must be one
  // of them, and there must be few such values.
  int64_t checked = 0, kinks = 0;
  auto compare = [&](float& x, double scale, float analytic, const std::string& where) {
    const float saved = x;
    x = saved + static_cast<float>(eps);
    const double up = mean_loss();
    x = saved - static_cast<float>(eps);
    const double down = mean_loss();
    x = saved;
    const double forward = scale * (up - center) / eps, backward = scale * (center - down) / eps;
    const double allowed = tolerance + 1e-2 * std::abs(forward + backward) / 2;
    ++checked;
    if (std::abs(forward - backward) > allowed) {
      // On a kink: the analytic value is one of the one-sided derivatives.
      ++kinks;
      EXPECT_TRUE(std::abs(analytic - forward) <= allowed || std::abs(analytic - backward) <= allowed)
          << where << ": " << analytic << " is neither one-sided derivative, " << forward << " or " << backward;
      return;
    }
    const double expected = scale * (up - down) / (2 * eps);
    EXPECT_NEAR(analytic, expected, tolerance + 1e-2 * std::abs(expected)) << where;
  };
  for (size_t t = 0; t < rows.size(); ++t) {
    ASSERT_EQ(row_grads[t].numel(), rows[t].numel()) << "table " << t;
    for (int64_t i = 0; i < rows[t].numel(); ++i) {
      compare(rows[t].data()[i], summed_scale, row_grads[t].data()[i],
              "table " + std::to_string(t) + " index " + std::to_string(i));
    }
  }
  for (int64_t i = 0; i < values.numel(); ++i) {
    compare(values.data()[i], 1.0, dense_grads[i], "dense index " + std::to_string(i));
  }
  EXPECT_LE(kinks * 10, checked) << kinks << " of " << checked << " values sit on a kink";
}

}  // namespace ember::testing_util
