// Each sparse optimizer over three steps against values computed by hand
// (independent float64 arithmetic; the derivation of step 1 is spelled out),
// applied through a SparseTable's batch calls as a server applies them.
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/random.h"
#include "storage/optimizer.h"
#include "storage/sparse_table.h"

namespace ember::storage {
namespace {

sparse::TableConfig Table(sparse::SparseOptimizerType type, int dim) {
  sparse::TableConfig table;
  table.id = 7;
  table.name = "optimizer-test-" + std::to_string(dim);
  table.dim = dim;
  table.optimizer.type = type;
  return table;
}

// A push of one key's gradient (dim floats): a batch of one.
void PushOne(SparseTable& table, Key key, const float* grad, uint32_t step) {
  ASSERT_TRUE(table.PushBatch(reinterpret_cast<const char*>(&key), reinterpret_cast<const char*>(grad), 1, step).ok());
}

// A pull of one key's value into `out` (dim floats): a batch of one.
void PullOne(SparseTable& table, Key key, bool create, float* out) {
  ASSERT_TRUE(
      table.PullBatch(reinterpret_cast<const char*>(&key), 1, create, /*step=*/0, reinterpret_cast<char*>(out)).ok());
}

// Pushes grads[step] to key 1 and checks the value after each step.
void ExpectSteps(const sparse::TableConfig& config, const std::vector<std::vector<float>>& grads,
                 const std::vector<std::vector<double>>& want) {
  SparseTable table(config, /*seed=*/1);
  std::vector<float> value(config.dim);
  for (size_t step = 0; step < grads.size(); ++step) {
    PushOne(table, /*key=*/1, grads[step].data(), static_cast<uint32_t>(step + 1));
    PullOne(table, 1, /*create=*/false, value.data());
    for (int i = 0; i < config.dim; ++i) {
      EXPECT_NEAR(value[i], want[step][i], 2e-6 * (1 + std::fabs(want[step][i])))
          << "step " << step + 1 << " coordinate " << i;
    }
  }
}

TEST(SparseOptimizerTest, SgdThreeSteps) {
  sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, 2);
  config.optimizer.learning_rate = 0.1f;
  // w -= 0.1 g: [0,0] -> [-0.1, 0.2] -> [-0.15, 0.15] -> [-0.05, -0.25]
  ExpectSteps(config, {{1.0f, -2.0f}, {0.5f, 0.5f}, {-1.0f, 4.0f}}, {{-0.1, 0.2}, {-0.15, 0.15}, {-0.05, -0.25}});
}

TEST(SparseOptimizerTest, AdagradThreeSteps) {
  sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdagrad, 2);
  config.optimizer.learning_rate = 0.1f;
  config.optimizer.initial_accumulator = 0.1f;
  // Step 1, coordinate 0: acc = 0.1 + 1 = 1.1; w = -0.1 * 1 / sqrt(1.1) = -0.0953462589.
  // Coordinate 1 of step 2 has g = 0: w stays.
  ExpectSteps(config, {{1.0f, 0.5f}, {2.0f, 0.0f}, {-1.0f, 3.0f}},
              {{-0.0953462589, -0.0845154255}, {-0.183907747, -0.0845154255}, {-0.143418931, -0.182625916}});
  SparseTable table(config, 1);
  const float grad[2] = {1.0f, 0.5f};
  PushOne(table, 5, grad, 1);
  const float* state = table.StateOf(table.MemoryRow(5));
  EXPECT_NEAR(state[0], 1.1, 1e-6);
  EXPECT_NEAR(state[1], 0.35, 1e-6);
}

// ApplyAdagradFromWire takes 8, 4 or 1 lanes at a time (AVX2 where the CPU
// has it, SSE2, scalar); every dim, and gradient bytes at an odd address,
// must give bitwise the rows of the plain scalar loop.
TEST(SparseOptimizerTest, AdagradFromWireIsBitwiseTheScalarLoopForEveryDim) {
  Rng rng(5);
  for (int dim = 1; dim <= 41; ++dim) {
    std::vector<float> grad(dim), value(dim), acc(dim);
    for (int i = 0; i < dim; ++i) {
      grad[i] = static_cast<float>(rng.Normal()) * 0.3f;
      value[i] = static_cast<float>(rng.Normal());
      acc[i] = 0.1f + static_cast<float>(rng.Uniform());
    }
    std::vector<float> want_value = value, want_acc = acc;
    const float lr = 0.05f;
    for (int i = 0; i < dim; ++i) {
      want_acc[i] += grad[i] * grad[i];
      want_value[i] -= lr * grad[i] / std::sqrt(want_acc[i]);
    }
    std::vector<char> wire(4 * dim + 1);
    std::memcpy(wire.data() + 1, grad.data(), 4 * dim);  // little-endian host: the wire's bytes
    ApplyAdagradFromWire(lr, dim, wire.data() + 1, value.data(), acc.data());
    for (int i = 0; i < dim; ++i) {
      ASSERT_EQ(std::bit_cast<uint32_t>(acc[i]), std::bit_cast<uint32_t>(want_acc[i]))
          << "dim " << dim << " lane " << i;
      ASSERT_EQ(std::bit_cast<uint32_t>(value[i]), std::bit_cast<uint32_t>(want_value[i]))
          << "dim " << dim << " lane " << i << ": " << value[i] << " vs " << want_value[i];
    }
  }
}

TEST(SparseOptimizerTest, FtrlThreeStepsWithL1HoldingACoordinateAtZero) {
  sparse::TableConfig config = Table(sparse::SparseOptimizerType::kFtrl, 2);
  config.optimizer.ftrl_alpha = 0.5f;
  config.optimizer.ftrl_beta = 1.0f;
  config.optimizer.ftrl_l1 = 1.0f;
  config.optimizer.ftrl_l2 = 1.0f;
  // Step 1, coordinate 0, g = 2: sigma = (sqrt(4) - 0) / 0.5 = 4; z = 2 - 4 * 0 = 2; n = 4;
  //   |z| > l1, so w = -(2 - 1) / ((1 + 2) / 0.5 + 1) = -1/7 = -0.142857143.
  // Step 2, g = 1: sigma = (sqrt 5 - 2) / 0.5 = 0.472135955; z = 2 + 1 + 0.472135955/7 = 3.06744799;
  //   w = -(3.06744799 - 1) / ((1 + sqrt 5) / 0.5 + 1) = -0.276687684.
  // Coordinate 1 (g = 0.3, -0.2, 0.4): z = 0.3, 0.1, 0.5, never past l1 = 1: w is exactly 0.
  const std::vector<std::vector<float>> grads = {{2.0f, 0.3f}, {1.0f, -0.2f}, {-0.5f, 0.4f}};
  ExpectSteps(config, grads, {{-0.142857143, 0.0}, {-0.276687684, 0.0}, {-0.21074703, 0.0}});

  SparseTable table(config, 1);
  for (size_t step = 0; step < grads.size(); ++step) {
    PushOne(table, 3, grads[step].data(), static_cast<uint32_t>(step + 1));
    EXPECT_EQ(table.MemoryRow(3)[1], 0.0f) << "step " << step + 1;  // exactly, not nearly
  }
  const float* z = table.StateOf(table.MemoryRow(3));
  const float* n = z + 2;
  EXPECT_NEAR(z[0], 2.59800531, 1e-5);
  EXPECT_NEAR(z[1], 0.5, 1e-6);
  EXPECT_NEAR(n[0], 5.25, 1e-6);
  EXPECT_NEAR(n[1], 0.29, 1e-6);
}

TEST(SparseOptimizerTest, AdamThreeStepsWithPerRowStepCount) {
  sparse::TableConfig config = Table(sparse::SparseOptimizerType::kAdam, 2);
  config.optimizer.learning_rate = 0.1f;
  config.optimizer.adam_beta1 = 0.9f;
  config.optimizer.adam_beta2 = 0.999f;
  config.optimizer.adam_epsilon = 1e-8f;
  // Step 1, g = 1: m = 0.1, v = 0.001; m/(1-0.9) = 1, v/(1-0.999) = 1; w = -0.1 * 1/(1 + 1e-8).
  // Step 2, g = -1: m = -0.01, v = 0.001999; m_hat = -0.01/0.19 = -0.0526315789, v_hat = 1;
  //   w = -0.1 + 0.00526315789 = -0.0947368421.
  ExpectSteps(config, {{1.0f, 0.5f}, {-1.0f, 0.5f}, {2.0f, -3.0f}},
              {{-0.099999999, -0.099999998}, {-0.0947368412, -0.199999996}, {-0.144561055, -0.155541294}});

  // A row first pushed after others had many updates starts its own bias
  // correction at t = 1: its first step is -lr * sign(g), whatever the step.
  SparseTable table(config, 1);
  const float grad[2] = {3.0f, -0.25f};
  for (int i = 0; i < 5; ++i) PushOne(table, 10, grad, static_cast<uint32_t>(i + 1));
  PushOne(table, 11, grad, 6);
  const float* row = table.MemoryRow(11);
  EXPECT_NEAR(row[0], -0.1, 1e-6);
  EXPECT_NEAR(row[1], 0.1, 1e-6);
  EXPECT_EQ(table.UpdateCountOf(table.MemoryRow(10)), 5u);
  EXPECT_EQ(table.UpdateCountOf(row), 1u);
  EXPECT_EQ(table.LastStepOf(row), 6u);
}

TEST(InitializerTest, DependsOnSeedTableAndKeyOnlyNotOnArrivalOrder) {
  sparse::TableConfig config = Table(sparse::SparseOptimizerType::kSgd, 8);
  config.initializer = sparse::InitializerType::kNormal;
  config.init_scale = 0.5f;
  SparseTable forward(config, 42), backward(config, 42), other_seed(config, 43);
  std::vector<float> a(8), b(8), c(8);
  for (Key key = 0; key < 100; ++key) PullOne(forward, key, true, a.data());
  for (Key key = 100; key-- > 0;) PullOne(backward, key, true, b.data());
  for (Key key = 0; key < 100; ++key) {
    PullOne(forward, key, false, a.data());
    PullOne(backward, key, false, b.data());
    PullOne(other_seed, key, true, c.data());
    EXPECT_EQ(a, b) << "key " << key;
    EXPECT_NE(a, c) << "key " << key;
  }
  sparse::TableConfig uniform = config;
  uniform.initializer = sparse::InitializerType::kUniform;
  std::vector<float> value(8);
  for (Key key = 0; key < 1000; ++key) {
    InitRowValue(uniform, 1, key, value.data());
    for (float x : value) {
      EXPECT_GE(x, -0.5f);
      EXPECT_LE(x, 0.5f);
    }
  }
}

TEST(TableConfigTest, ParsesNamesAndRejectsBadConfigs) {
  EXPECT_EQ(*sparse::ParseSparseOptimizerType("ftrl"), sparse::SparseOptimizerType::kFtrl);
  EXPECT_EQ(*sparse::ParseSparseOptimizerType("adam"), sparse::SparseOptimizerType::kAdam);
  EXPECT_EQ(sparse::ParseSparseOptimizerType("rmsprop").status().code(), StatusCode::kInvalidArgument);
  sparse::TableConfig bad = Table(sparse::SparseOptimizerType::kSgd, 0);
  EXPECT_EQ(sparse::ValidateTableConfig(bad).code(), StatusCode::kInvalidArgument);
  sparse::TableConfig a = Table(sparse::SparseOptimizerType::kSgd, 4), b = a;
  EXPECT_TRUE(sparse::ValidateTableConfig(a).ok());
  Status duplicate = sparse::ValidateTableConfigs({a, b});
  EXPECT_EQ(duplicate.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(duplicate.message().find("twice"), std::string_view::npos) << duplicate;
}

}  // namespace
}  // namespace ember::storage
