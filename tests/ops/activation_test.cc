// Tests of ops/activation.h on every device.
#include "ops/activation.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

// Values in [-2, 2] kept at least 0.1 away from ReLU's kink.
Tensor AwayFromZero(Rng* rng, std::vector<int64_t> shape) {
  Tensor t = RandomTensor(rng, std::move(shape), 0.1, 2.0);
  for (int64_t i = 0; i < t.numel(); i += 2) t.data()[i] = -t.data()[i];
  return t;
}

class ActivationTest : public DeviceTest {};

// Checks forward values against `reference` and the backward against central
// differences, for act in {relu, sigmoid}, in place and out of place.
void CheckActivation(Device device, Activation act, double (*reference)(double)) {
  Rng rng(11);
  Tensor x = AwayFromZero(&rng, {3, 5}), up = RandomTensor(&rng, {3, 5});
  auto forward = [&](const Tensor& input) {
    Tensor y = Tensor::Empty({3, 5}, device);
    OPS_EXPECT_OK(ActivationForward(act, OnDevice(input, device), &y));
    return y;
  };
  const Tensor y = forward(x);
  const Tensor host_y = ToHost(y);
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_NEAR(host_y.data()[i], reference(x.data()[i]), 1e-6) << i;

  // In place gives the same values.
  Tensor in_place = OnDevice(x, device);
  OPS_EXPECT_OK(ActivationForward(act, in_place, &in_place));
  testing::ExpectAllClose(in_place, y, 0, 0, "in place forward");

  Tensor dx = Tensor::Empty({3, 5}, device);
  OPS_EXPECT_OK(ActivationBackward(act, y, OnDevice(up, device), &dx));
  testing::ExpectGradientMatches(
      ActivationName(act), &x, dx, [&] { return testing::Dot(forward(x), up); }, 1e-3);

  // dx aliasing dy.
  Tensor dy = OnDevice(up, device);
  OPS_EXPECT_OK(ActivationBackward(act, y, dy, &dy));
  testing::ExpectAllClose(dy, dx, 0, 0, "in place backward");
}

TEST_P(ActivationTest, Relu) {
  CheckActivation(device(), Activation::kRelu, [](double v) { return v > 0 ? v : 0.0; });
  // The named entry points agree with the generic ones.
  Tensor x = testing::HostTensor({4}, {-1, 0, 2, -3}), y = Tensor::Empty({4});
  OPS_ASSERT_OK(Relu(x, &y));
  testing::ExpectAllClose(y, testing::HostTensor({4}, {0, 0, 2, 0}), 0, 0, "Relu");
  Tensor dx = Tensor::Empty({4});
  OPS_ASSERT_OK(ReluBackward(y, testing::HostTensor({4}, {1, 1, 1, 1}), &dx));
  testing::ExpectAllClose(dx, testing::HostTensor({4}, {0, 0, 1, 0}), 0, 0, "ReluBackward");
}

TEST_P(ActivationTest, Sigmoid) {
  CheckActivation(device(), Activation::kSigmoid, [](double v) { return 1 / (1 + std::exp(-v)); });
  // Extreme inputs stay finite and saturate.
  Tensor x = OnDevice(testing::HostTensor({2}, {-200, 200}), device()), y = Tensor::Empty({2}, device());
  OPS_ASSERT_OK(Sigmoid(x, &y));
  testing::ExpectAllClose(y, testing::HostTensor({2}, {0, 1}), 0, 1e-30, "saturated");
  Tensor dx = Tensor::Empty({2}, device());
  OPS_ASSERT_OK(SigmoidBackward(y, OnDevice(testing::HostTensor({2}, {1, 1}), device()), &dx));
  testing::ExpectAllClose(dx, testing::HostTensor({2}, {0, 0}), 0, 1e-30, "saturated gradient");
}

TEST_P(ActivationTest, FusedBiasActivationMatchesUnfusedAndGradients) {
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kSigmoid}) {
    SCOPED_TRACE(ActivationName(act));
    Rng rng(12);
    Tensor pre = AwayFromZero(&rng, {4, 3}), bias = RandomTensor(&rng, {3}, -0.05, 0.05);
    Tensor up = RandomTensor(&rng, {4, 3});
    auto forward = [&] {
      Tensor y = OnDevice(pre, device());
      OPS_EXPECT_OK(BiasActivation(OnDevice(bias, device()), act, &y));
      return y;
    };
    const Tensor y = forward();
    const Tensor host_y = ToHost(y);
    for (int64_t i = 0; i < pre.numel(); ++i) {
      const double z = double(pre.data()[i]) + bias.data()[i % 3];
      const double expected = act == Activation::kRelu      ? std::max(z, 0.0)
                              : act == Activation::kSigmoid ? 1 / (1 + std::exp(-z))
                                                            : z;
      EXPECT_NEAR(host_y.data()[i], expected, 1e-6) << i;
    }
    Tensor dpre = Tensor::Empty({4, 3}, device());
    Tensor dbias = OnDevice(testing::HostTensor({3}, {1, 1, 1}), device());
    OPS_ASSERT_OK(ActivationBiasBackward(y, OnDevice(up, device()), act, &dpre, &dbias));
    Tensor dbias_delta = ToHost(dbias);
    for (int j = 0; j < 3; ++j) dbias_delta.data()[j] -= 1;
    auto loss = [&] { return testing::Dot(forward(), up); };
    testing::ExpectGradientMatches("dpre", &pre, dpre, loss, 1e-3);
    testing::ExpectGradientMatches("dbias", &bias, dbias_delta, loss, 1e-3);
  }
}

TEST_P(ActivationTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(13);
  Tensor pre = RandomTensor(&rng, {300, 70}, -5, 5), bias = RandomTensor(&rng, {70});
  Tensor up = RandomTensor(&rng, {300, 70});
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kSigmoid}) {
    SCOPED_TRACE(ActivationName(act));
    Tensor results[2][3];
    const Device devices[2] = {Device::Cpu(), device()};
    for (int k = 0; k < 2; ++k) {
      Tensor y = OnDevice(pre, devices[k]);
      OPS_ASSERT_OK(BiasActivation(OnDevice(bias, devices[k]), act, &y));
      Tensor dpre = Tensor::Empty({300, 70}, devices[k]), dbias = Tensor::Zeros({70}, devices[k]);
      OPS_ASSERT_OK(ActivationBiasBackward(y, OnDevice(up, devices[k]), act, &dpre, &dbias));
      results[k][0] = ToHost(y);
      results[k][1] = ToHost(dpre);
      results[k][2] = ToHost(dbias);
    }
    testing::ExpectAllClose(results[1][0], results[0][0], 1e-5, 1e-6, "y");
    testing::ExpectAllClose(results[1][1], results[0][1], 1e-5, 1e-6, "dpre");
    testing::ExpectAllClose(results[1][2], results[0][2], 1e-4, 1e-4, "dbias");
  }
}

TEST_P(ActivationTest, ShapeMismatchIsInvalidArgument) {
  Tensor x = Tensor::Zeros({3, 4}, device()), y = Tensor::Zeros({4, 3}, device());
  const Status s = Relu(x, &y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[4, 3]"), std::string_view::npos) << s;
  Tensor small = Tensor::Zeros({5}, device());
  EXPECT_EQ(SigmoidBackward(x, x, &small).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(BiasActivation(small, Activation::kRelu, &x).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(ActivationTest);

}  // namespace
}  // namespace ember::ops
