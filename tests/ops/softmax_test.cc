// Tests of ops/softmax.h on every device.
#include "ops/softmax.h"

#include <cmath>

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

Tensor Softmax(Device device, const Tensor& x, const std::vector<int32_t>& lengths) {
  Tensor y = Tensor::Zeros(x.shape(), device);
  OPS_EXPECT_OK(MaskedSoftmaxForward(OnDevice(x, device), OnDevice(lengths, device), &y));
  return ToHost(y);
}

double CrossEntropy(Device device, const Tensor& logits, const Tensor& log_q, const std::vector<int32_t>& targets) {
  double loss = -1;
  OPS_EXPECT_OK(SoftmaxCrossEntropyForward(OnDevice(logits, device), log_q.empty() ? Tensor() : OnDevice(log_q, device),
                                           OnDevice(targets, device), &loss));
  return loss;
}

Tensor CrossEntropyGrad(Device device, const Tensor& logits, const Tensor& log_q, const std::vector<int32_t>& targets) {
  Tensor grad = Tensor::Zeros(logits.shape(), device);
  OPS_EXPECT_OK(SoftmaxCrossEntropyBackward(
      OnDevice(logits, device), log_q.empty() ? Tensor() : OnDevice(log_q, device), OnDevice(targets, device), &grad));
  return ToHost(grad);
}

class SoftmaxTest : public DeviceTest {};

TEST_P(SoftmaxTest, MaskedRowsSumToOneOverTheirLengthAndPaddingIsZero) {
  Rng rng(81);
  const Tensor x = RandomTensor(&rng, {3, 6}, -5, 5);
  const std::vector<int32_t> lengths = {6, 2, 0};
  const Tensor y = Softmax(device(), x, lengths);
  for (int64_t b = 0; b < 3; ++b) {
    double sum = 0, norm = 0;
    for (int64_t i = 0; i < lengths[b]; ++i) norm += std::exp(x.data()[b * 6 + i]);
    for (int64_t i = 0; i < 6; ++i) {
      const double expected = i < lengths[b] ? std::exp(x.data()[b * 6 + i]) / norm : 0.0;
      EXPECT_NEAR(y.data()[b * 6 + i], expected, 1e-6) << b << "," << i;
      sum += y.data()[b * 6 + i];
    }
    EXPECT_NEAR(sum, lengths[b] > 0 ? 1.0 : 0.0, 1e-5);
  }
}

TEST_P(SoftmaxTest, MaskedBackwardMatchesCentralDifferences) {
  Rng rng(82);
  Tensor x = RandomTensor(&rng, {3, 5}, -2, 2);
  const std::vector<int32_t> lengths = {5, 3, 1};
  const Tensor up = RandomTensor(&rng, {3, 5});
  const Tensor y = Softmax(device(), x, lengths);
  Tensor dx = Tensor::Zeros(x.shape(), device());
  OPS_ASSERT_OK(MaskedSoftmaxBackward(OnDevice(y, device()), OnDevice(up, device()), &dx));
  testing::ExpectGradientMatches(
      "dx", &x, dx, [&] { return testing::Dot(Softmax(device(), x, lengths), up); },
      /*eps=*/1e-3);
}

TEST_P(SoftmaxTest, CrossEntropyWithLogQIsTheCorrectedLogLoss) {
  const Tensor logits = testing::HostTensor({2, 3}, {1.f, 2.f, 0.5f, -1.f, 0.f, 3.f});
  const Tensor log_q = testing::HostTensor({3}, {std::log(0.5f), std::log(0.2f), std::log(0.3f)});
  const std::vector<int32_t> targets = {1, 2};
  double expected = 0;
  for (int b = 0; b < 2; ++b) {
    double norm = 0;
    for (int c = 0; c < 3; ++c) norm += std::exp(logits.data()[b * 3 + c] - log_q.data()[c]);
    expected += std::log(norm) - (logits.data()[b * 3 + targets[b]] - log_q.data()[targets[b]]);
  }
  EXPECT_NEAR(CrossEntropy(device(), logits, log_q, targets), expected / 2, 1e-6);
}

TEST_P(SoftmaxTest, CrossEntropyGradientMatchesCentralDifferences) {
  Rng rng(83);
  Tensor logits = RandomTensor(&rng, {4, 5}, -2, 2);
  const Tensor per_column = RandomTensor(&rng, {5}, -3, -0.5), per_element = RandomTensor(&rng, {4, 5}, -3, -0.5);
  const std::vector<int32_t> targets = {0, 4, 2, 2};
  for (const Tensor* log_q : {&per_column, &per_element}) {
    testing::ExpectGradientMatches(
        "dlogits", &logits, CrossEntropyGrad(device(), logits, *log_q, targets),
        [&] { return CrossEntropy(device(), logits, *log_q, targets); }, 1e-3);
  }
  testing::ExpectGradientMatches(
      "dlogits (no log_q)", &logits, CrossEntropyGrad(device(), logits, Tensor(), targets),
      [&] { return CrossEntropy(device(), logits, Tensor(), targets); }, 1e-3);
}

TEST_P(SoftmaxTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(84);
  const int64_t rows = 257, cols = 1000;
  const Tensor x = RandomTensor(&rng, {rows, cols}, -10, 10), log_q = RandomTensor(&rng, {cols}, -9, -1);
  std::vector<int32_t> lengths(rows), targets(rows);
  for (int64_t b = 0; b < rows; ++b) {
    lengths[b] = static_cast<int32_t>(b * 7 % (cols + 1));
    targets[b] = static_cast<int32_t>(b * 13 % cols);
  }
  testing::ExpectAllClose(Softmax(device(), x, lengths), Softmax(Device::Cpu(), x, lengths), 1e-4, 1e-7, "softmax");
  EXPECT_NEAR(CrossEntropy(device(), x, log_q, targets), CrossEntropy(Device::Cpu(), x, log_q, targets), 1e-4);
  testing::ExpectAllClose(CrossEntropyGrad(device(), x, log_q, targets),
                          CrossEntropyGrad(Device::Cpu(), x, log_q, targets), 1e-4, 1e-8, "dlogits");
}

TEST_P(SoftmaxTest, BadShapesLengthsAndTargetsAreInvalidArgument) {
  Tensor x = Tensor::Zeros({2, 3}, device()), y = Tensor::Zeros({2, 3}, device());
  EXPECT_EQ(MaskedSoftmaxForward(x, OnDevice(std::vector<int32_t>{1, 4}, device()), &y).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(MaskedSoftmaxForward(x, OnDevice(std::vector<int32_t>{1}, device()), &y).code(),
            StatusCode::kInvalidArgument);
  double loss = 0;
  const Status bad_target =
      SoftmaxCrossEntropyForward(x, Tensor(), OnDevice(std::vector<int32_t>{0, 3}, device()), &loss);
  EXPECT_EQ(bad_target.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_target.message().find("targets[1] = 3"), std::string_view::npos) << bad_target;
  Tensor bad_q = Tensor::Zeros({2}, device());
  EXPECT_EQ(SoftmaxCrossEntropyForward(x, bad_q, OnDevice(std::vector<int32_t>{0, 1}, device()), &loss).code(),
            StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(SoftmaxTest);

}  // namespace
}  // namespace ember::ops
