// Tests of ops/loss.h on every device.
#include "ops/loss.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::HostTensor;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

double Loss(Device device, const Tensor& logits, const Tensor& labels, const Tensor& weights) {
  double loss = -1;
  OPS_EXPECT_OK(BceWithLogitsForward(OnDevice(logits, device), OnDevice(labels, device),
                                     weights.empty() ? Tensor() : OnDevice(weights, device), &loss));
  return loss;
}

Tensor Grad(Device device, const Tensor& logits, const Tensor& labels, const Tensor& weights) {
  Tensor d = Tensor::Empty(logits.shape(), device);
  OPS_EXPECT_OK(BceWithLogitsBackward(OnDevice(logits, device), OnDevice(labels, device),
                                      weights.empty() ? Tensor() : OnDevice(weights, device), &d));
  return ToHost(d);
}

class BceTest : public DeviceTest {};

TEST_P(BceTest, ForwardMatchesDefinitionIncludingExtremeLogits) {
  const Tensor logits = HostTensor({4, 1}, {0.5f, -1.5f, 100.f, -100.f});
  const Tensor labels = HostTensor({4, 1}, {1, 0, 0, 0});
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    const double z = logits.data()[i], y = labels.data()[i];
    const double p = 1 / (1 + std::exp(-z));
    expected += z > 50 ? z : (z < -50 ? 0 : -(y * std::log(p) + (1 - y) * std::log(1 - p)));
  }
  EXPECT_NEAR(Loss(device(), logits, labels, Tensor()), expected / 4, 1e-6);

  const Tensor weights = HostTensor({4}, {2, 0, 1, 1});
  const double z0 = 0.5, l0 = std::log1p(std::exp(-z0));
  EXPECT_NEAR(Loss(device(), logits, labels, weights), (2 * l0 + 100 + 0) / 4, 1e-6);
}

TEST_P(BceTest, GradientMatchesCentralDifferences) {
  Rng rng(21);
  Tensor logits = RandomTensor(&rng, {6}, -3, 3);
  const Tensor labels = HostTensor({6}, {1, 0, 1, 1, 0, 0.25f});
  const Tensor weights = RandomTensor(&rng, {6}, 0.5, 2);
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const Tensor w = weighted ? weights : Tensor();
    const Tensor analytic = Grad(device(), logits, labels, w);
    testing::ExpectGradientMatches(
        "dlogits", &logits, analytic, [&] { return Loss(device(), logits, labels, w); }, 1e-2, 1e-3, 1e-6);
    for (int i = 0; i < 6; ++i) {
      const double z = logits.data()[i], p = 1 / (1 + std::exp(-z));
      const double wi = weighted ? weights.data()[i] : 1.0;
      EXPECT_NEAR(analytic.data()[i], wi * (p - labels.data()[i]) / 6, 1e-6);
    }
  }
}

TEST_P(BceTest, BackwardMayAliasLogits) {
  Tensor logits = OnDevice(HostTensor({2}, {1, -1}), device());
  const Tensor expected = Grad(device(), ToHost(logits), HostTensor({2}, {1, 0}), Tensor());
  OPS_ASSERT_OK(BceWithLogitsBackward(logits, OnDevice(HostTensor({2}, {1, 0}), device()), Tensor(), &logits));
  testing::ExpectAllClose(logits, expected, 0, 0, "aliased");
}

TEST_P(BceTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(22);
  const Tensor logits = RandomTensor(&rng, {5000}, -20, 20), labels = RandomTensor(&rng, {5000}, 0, 1);
  const Tensor weights = RandomTensor(&rng, {5000}, 0, 3);
  EXPECT_NEAR(Loss(device(), logits, labels, weights), Loss(Device::Cpu(), logits, labels, weights), 1e-9);
  testing::ExpectAllClose(Grad(device(), logits, labels, weights), Grad(Device::Cpu(), logits, labels, weights), 1e-5,
                          1e-9, "dlogits");
}

TEST_P(BceTest, ShapeMismatchIsInvalidArgument) {
  Tensor logits = Tensor::Zeros({4, 1}, device()), labels = Tensor::Zeros({3}, device());
  double loss = 0;
  const Status s = BceWithLogitsForward(logits, labels, Tensor(), &loss);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[4, 1]"), std::string_view::npos) << s;
  Tensor good_labels = Tensor::Zeros({4}, device()), bad_weights = Tensor::Zeros({2}, device());
  EXPECT_EQ(BceWithLogitsForward(logits, good_labels, bad_weights, &loss).code(), StatusCode::kInvalidArgument);
  Tensor wide = Tensor::Zeros({2, 2}, device());
  EXPECT_EQ(BceWithLogitsForward(wide, good_labels, Tensor(), &loss).code(), StatusCode::kInvalidArgument);
  Tensor bad_grad = Tensor::Zeros({3}, device());
  EXPECT_EQ(BceWithLogitsBackward(logits, good_labels, Tensor(), &bad_grad).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(BceTest);

double MseLoss(Device device, const Tensor& predictions, const Tensor& targets, const Tensor& weights) {
  double loss = -1;
  OPS_EXPECT_OK(MseForward(OnDevice(predictions, device), OnDevice(targets, device),
                           weights.empty() ? Tensor() : OnDevice(weights, device), &loss));
  return loss;
}

Tensor MseGrad(Device device, const Tensor& predictions, const Tensor& targets, const Tensor& weights) {
  Tensor grad = Tensor::Zeros(predictions.shape(), device);
  OPS_EXPECT_OK(MseBackward(OnDevice(predictions, device), OnDevice(targets, device),
                            weights.empty() ? Tensor() : OnDevice(weights, device), &grad));
  return ToHost(grad);
}

class MseTest : public DeviceTest {};

TEST_P(MseTest, ForwardIsTheWeightedMeanOfSquaredErrors) {
  const Tensor p = testing::HostTensor({3}, {1.f, 2.f, -1.f}), y = testing::HostTensor({3}, {0.f, 4.f, -1.f});
  EXPECT_NEAR(MseLoss(device(), p, y, Tensor()), (1.0 + 4.0 + 0.0) / 3, 1e-12);
  const Tensor w = testing::HostTensor({3}, {2.f, 0.5f, 7.f});
  EXPECT_NEAR(MseLoss(device(), p, y, w), (2.0 * 1 + 0.5 * 4 + 0) / 3, 1e-12);
}

TEST_P(MseTest, GradientMatchesCentralDifferences) {
  Rng rng(23);
  Tensor p = RandomTensor(&rng, {7, 1}, -2, 2);
  const Tensor y = RandomTensor(&rng, {7, 1}, -2, 2), w = RandomTensor(&rng, {7, 1}, 0, 2);
  testing::ExpectGradientMatches("dpredictions", &p, MseGrad(device(), p, y, w),
                                 [&] { return MseLoss(device(), p, y, w); });
}

TEST_P(MseTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(24);
  const Tensor p = RandomTensor(&rng, {5000}, -5, 5), y = RandomTensor(&rng, {5000}, -5, 5),
               w = RandomTensor(&rng, {5000}, 0, 3);
  EXPECT_NEAR(MseLoss(device(), p, y, w), MseLoss(Device::Cpu(), p, y, w), 1e-9);
  testing::ExpectAllClose(MseGrad(device(), p, y, w), MseGrad(Device::Cpu(), p, y, w), 1e-5, 1e-9, "dpredictions");
}

TEST_P(MseTest, ShapeMismatchIsInvalidArgument) {
  Tensor p = Tensor::Zeros({4}, device()), y = Tensor::Zeros({3}, device());
  double loss = 0;
  EXPECT_EQ(MseForward(p, y, Tensor(), &loss).code(), StatusCode::kInvalidArgument);
  Tensor good = Tensor::Zeros({4}, device()), bad_grad = Tensor::Zeros({2}, device());
  EXPECT_EQ(MseBackward(p, good, Tensor(), &bad_grad).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(MseTest);

}  // namespace
}  // namespace ember::ops
