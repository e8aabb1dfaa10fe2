// Tests of ops/dense_optimizer.h on every device: three steps against values
// computed by hand (first steps) and by a scalar double-precision reference.
#include "ops/dense_optimizer.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::HostTensor;
using testing::OnDevice;
using testing::ToHost;

const std::vector<float> kInitial = {1.f, -2.f, 0.5f};
const std::vector<std::vector<float>> kGrads = {{0.5f, 1.f, -0.25f}, {0.5f, -2.f, 0.f}, {-1.f, 0.5f, 0.125f}};

// Runs three steps on `device`, returning the values after each step.
std::vector<Tensor> RunSteps(Device device, const DenseOptimizerOptions& options) {
  DenseOptimizer optimizer = DenseOptimizer::Create(options, 3, device).value();
  Tensor values = OnDevice(HostTensor({3}, kInitial), device);
  std::vector<Tensor> history;
  for (const auto& g : kGrads) {
    OPS_EXPECT_OK(optimizer.Step(&values, OnDevice(HostTensor({3}, g), device)));
    history.push_back(ToHost(values));
  }
  EXPECT_EQ(optimizer.step_count(), 3);
  return history;
}

// The update rules of ops/dense_optimizer.h, in double.
std::vector<std::vector<double>> Reference(const DenseOptimizerOptions& o) {
  std::vector<double> p(kInitial.begin(), kInitial.end()), a(3, o.adagrad_initial_accumulator), m(3, 0), v(3, 0);
  std::vector<std::vector<double>> history;
  for (int t = 1; t <= 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      const double g = kGrads[t - 1][i] + double(o.weight_decay) * p[i];
      switch (o.type) {
        case DenseOptimizerType::kSgd:
          p[i] -= o.learning_rate * g;
          break;
        case DenseOptimizerType::kAdagrad:
          a[i] += g * g;
          p[i] -= o.learning_rate * g / (std::sqrt(a[i]) + o.epsilon);
          break;
        case DenseOptimizerType::kAdam: {
          m[i] = o.beta1 * m[i] + (1 - double(o.beta1)) * g;
          v[i] = o.beta2 * v[i] + (1 - double(o.beta2)) * g * g;
          const double bc1 = 1 - std::pow(double(o.beta1), t), bc2 = 1 - std::pow(double(o.beta2), t);
          p[i] -= o.learning_rate / bc1 * m[i] / (std::sqrt(v[i]) / std::sqrt(bc2) + o.epsilon);
          break;
        }
      }
    }
    history.push_back(p);
  }
  return history;
}

void ExpectMatchesReference(const std::vector<Tensor>& got, const DenseOptimizerOptions& options) {
  const auto expected = Reference(options);
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 3; ++i) {
      EXPECT_NEAR(got[t].data()[i], expected[t][i], 1e-6) << "step " << t + 1 << " element " << i;
    }
  }
}

class DenseOptimizerTest : public DeviceTest {};

TEST_P(DenseOptimizerTest, Sgd) {
  DenseOptimizerOptions options;
  options.type = DenseOptimizerType::kSgd;
  options.learning_rate = 0.1f;
  const auto got = RunSteps(device(), options);
  // By hand: p -= 0.1 * g.
  EXPECT_FLOAT_EQ(got[0].data()[0], 0.95f);
  EXPECT_FLOAT_EQ(got[1].data()[1], -2.f - 0.1f + 0.2f);
  EXPECT_FLOAT_EQ(got[2].data()[0], 1.f - 0.05f - 0.05f + 0.1f);
  ExpectMatchesReference(got, options);
  options.weight_decay = 0.01f;
  ExpectMatchesReference(RunSteps(device(), options), options);
}

TEST_P(DenseOptimizerTest, Adagrad) {
  DenseOptimizerOptions options;
  options.type = DenseOptimizerType::kAdagrad;
  options.learning_rate = 0.1f;
  options.adagrad_initial_accumulator = 0.1f;
  options.epsilon = 1e-8f;
  const auto got = RunSteps(device(), options);
  // By hand, element 0, step 1: a = 0.1 + 0.25 = 0.35; p = 1 - 0.1 * 0.5 / sqrt(0.35).
  EXPECT_NEAR(got[0].data()[0], 1 - 0.05 / std::sqrt(0.35), 1e-6);
  // Element 2, step 2 (g = 0): unchanged from step 1.
  EXPECT_FLOAT_EQ(got[1].data()[2], got[0].data()[2]);
  ExpectMatchesReference(got, options);
  options.weight_decay = 0.01f;
  ExpectMatchesReference(RunSteps(device(), options), options);
}

TEST_P(DenseOptimizerTest, Adam) {
  DenseOptimizerOptions options;
  options.type = DenseOptimizerType::kAdam;
  options.learning_rate = 0.01f;
  const auto got = RunSteps(device(), options);
  // By hand, step 1: m_hat = g and v_hat = g^2, so p -= lr * sign(g) (up to epsilon).
  EXPECT_NEAR(got[0].data()[0], 1 - 0.01, 1e-6);
  EXPECT_NEAR(got[0].data()[1], -2 - 0.01, 1e-6);
  EXPECT_NEAR(got[0].data()[2], 0.5 + 0.01, 1e-6);
  ExpectMatchesReference(got, options);
  options.weight_decay = 0.01f;
  ExpectMatchesReference(RunSteps(device(), options), options);
}

TEST_P(DenseOptimizerTest, StateLayout) {
  DenseOptimizerOptions options;
  options.type = DenseOptimizerType::kSgd;
  EXPECT_TRUE(DenseOptimizer::Create(options, 5, device()).value().state().empty());
  options.type = DenseOptimizerType::kAdagrad;
  options.adagrad_initial_accumulator = 0.25f;
  DenseOptimizer adagrad = DenseOptimizer::Create(options, 5, device()).value();
  const Tensor acc = ToHost(adagrad.state());
  ASSERT_EQ(acc.numel(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(acc.data()[i], 0.25f);
  options.type = DenseOptimizerType::kAdam;
  EXPECT_EQ(DenseOptimizer::Create(options, 5, device()).value().state().numel(), 10);
}

TEST(DenseOptimizerCreateTest, RefusesANegativeCountAndReportsAMissingDevice) {
  EXPECT_EQ(DenseOptimizer::Create(DenseOptimizerOptions{}, -1, Device::Cpu()).status().code(),
            StatusCode::kInvalidArgument);
  if (!CudaAvailable()) {
    // Adam's state on a GPU that is not there: an error to report, not a CHECK.
    EXPECT_FALSE(DenseOptimizer::Create(DenseOptimizerOptions{}, 16, Device::Cuda(0)).ok());
  }
}

TEST_P(DenseOptimizerTest, SizeMismatchIsInvalidArgument) {
  DenseOptimizer optimizer = DenseOptimizer::Create(DenseOptimizerOptions{}, 3, device()).value();
  Tensor values = Tensor::Zeros({4}, device());
  const Status s = optimizer.Step(&values, Tensor::Zeros({4}, device()));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[4]"), std::string_view::npos) << s;
  EXPECT_EQ(optimizer.step_count(), 0);
}

OPS_INSTANTIATE_DEVICE_TEST(DenseOptimizerTest);

TEST(DenseOptimizerParseTest, Names) {
  EXPECT_EQ(*ParseDenseOptimizerType("sgd"), DenseOptimizerType::kSgd);
  EXPECT_EQ(*ParseDenseOptimizerType("adagrad"), DenseOptimizerType::kAdagrad);
  EXPECT_EQ(*ParseDenseOptimizerType("adam"), DenseOptimizerType::kAdam);
  const auto bad = ParseDenseOptimizerType("rmsprop");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("rmsprop"), std::string_view::npos);
}

}  // namespace
}  // namespace ember::ops
