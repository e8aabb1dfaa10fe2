// Tests of ops/prelu.h (PReLU and Dice) on every device.
#include "ops/prelu.h"

#include <cmath>

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

constexpr int64_t kBatch = 6, kWidth = 5;
constexpr float kEpsilon = 1e-8f;

// Values in +-[0.1, 1.1): away from PReLU's kink, where the central
// difference would straddle it.
Tensor AwayFromZero(Rng* rng, std::vector<int64_t> shape) {
  Tensor t = RandomTensor(rng, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = std::copysign(0.1f + std::abs(t.data()[i]), t.data()[i]);
  return t;
}

Tensor Prelu(Device device, const Tensor& x, const Tensor& alpha) {
  Tensor y = Tensor::Zeros({x.rows(), x.dim(1)}, device);
  OPS_EXPECT_OK(PreluForward(OnDevice(x, device), OnDevice(alpha, device), &y));
  return ToHost(y);
}

// A training forward (batch statistics); returns y, and mean and rstd through the pointers.
Tensor Dice(Device device, const Tensor& x, const Tensor& alpha, Tensor* mean_out = nullptr,
            Tensor* rstd_out = nullptr) {
  Tensor y = Tensor::Zeros({x.rows(), x.dim(1)}, device), mean = Tensor::Zeros({x.dim(1)}, device),
         rstd = Tensor::Zeros({x.dim(1)}, device);
  OPS_EXPECT_OK(DiceForward(OnDevice(x, device), OnDevice(alpha, device), kEpsilon, true, &mean, &rstd, &y));
  if (mean_out != nullptr) *mean_out = ToHost(mean);
  if (rstd_out != nullptr) *rstd_out = ToHost(rstd);
  return ToHost(y);
}

class PreluTest : public DeviceTest {};

TEST_P(PreluTest, PreluForwardScalesNegativesByTheirColumnsAlpha) {
  Rng rng(61);
  const Tensor x = AwayFromZero(&rng, {kBatch, kWidth}), alpha = RandomTensor(&rng, {kWidth}, 0, 0.5);
  const Tensor y = Prelu(device(), x, alpha);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float v = x.data()[i];
    EXPECT_FLOAT_EQ(y.data()[i], v > 0 ? v : alpha.data()[i % kWidth] * v) << i;
  }
}

TEST_P(PreluTest, PreluBackwardMatchesCentralDifferences) {
  Rng rng(62);
  Tensor x = AwayFromZero(&rng, {kBatch, kWidth}), alpha = RandomTensor(&rng, {kWidth}, 0, 0.5);
  const Tensor up = RandomTensor(&rng, {kBatch, kWidth}), dalpha_init = RandomTensor(&rng, {kWidth});
  Tensor dx = Tensor::Zeros({kBatch, kWidth}, device()), dalpha = OnDevice(dalpha_init, device());
  OPS_ASSERT_OK(PreluBackward(OnDevice(x, device()), OnDevice(alpha, device()), OnDevice(up, device()), &dx, &dalpha));
  Tensor dalpha_delta = ToHost(dalpha);
  for (int64_t i = 0; i < kWidth; ++i) dalpha_delta.data()[i] -= dalpha_init.data()[i];
  auto loss = [&] { return testing::Dot(Prelu(device(), x, alpha), up); };
  testing::ExpectGradientMatches("dx", &x, dx, loss);
  testing::ExpectGradientMatches("dalpha", &alpha, dalpha_delta, loss);
}

TEST_P(PreluTest, DiceForwardGatesByTheStandardizedInput) {
  Rng rng(63);
  const Tensor x = RandomTensor(&rng, {kBatch, kWidth}, -2, 3), alpha = RandomTensor(&rng, {kWidth}, 0, 0.5);
  Tensor mean, rstd;
  const Tensor y = Dice(device(), x, alpha, &mean, &rstd);
  for (int64_t c = 0; c < kWidth; ++c) {
    double mu = 0, var = 0;
    for (int64_t b = 0; b < kBatch; ++b) mu += x.data()[b * kWidth + c];
    mu /= kBatch;
    for (int64_t b = 0; b < kBatch; ++b) var += std::pow(x.data()[b * kWidth + c] - mu, 2);
    var /= kBatch;
    EXPECT_NEAR(mean.data()[c], mu, 1e-5);
    EXPECT_NEAR(rstd.data()[c], 1 / std::sqrt(var + kEpsilon), 1e-3);
    for (int64_t b = 0; b < kBatch; ++b) {
      const double v = x.data()[b * kWidth + c], p = 1 / (1 + std::exp(-(v - mu) / std::sqrt(var + kEpsilon)));
      EXPECT_NEAR(y.data()[b * kWidth + c], p * v + (1 - p) * alpha.data()[c] * v, 1e-5) << b << "," << c;
    }
  }
  // Inference: given statistics are used as they are.
  Tensor given_mean = OnDevice(mean, device()), given_rstd = OnDevice(rstd, device());
  Tensor y_inference = Tensor::Zeros({kBatch, kWidth}, device());
  OPS_ASSERT_OK(DiceForward(OnDevice(x, device()), OnDevice(alpha, device()), kEpsilon, false, &given_mean, &given_rstd,
                            &y_inference));
  const Tensor inferred = ToHost(y_inference);
  for (int64_t i = 0; i < y.numel(); ++i) EXPECT_FLOAT_EQ(inferred.data()[i], y.data()[i]) << i;
}

TEST_P(PreluTest, DiceBackwardMatchesCentralDifferencesThroughTheBatchStatistics) {
  Rng rng(64);
  Tensor x = RandomTensor(&rng, {kBatch, kWidth}, -2, 2), alpha = RandomTensor(&rng, {kWidth}, 0, 0.5);
  const Tensor up = RandomTensor(&rng, {kBatch, kWidth}), dalpha_init = RandomTensor(&rng, {kWidth});
  Tensor mean, rstd;
  Dice(device(), x, alpha, &mean, &rstd);
  Tensor dx = Tensor::Zeros({kBatch, kWidth}, device()), dalpha = OnDevice(dalpha_init, device());
  OPS_ASSERT_OK(DiceBackward(OnDevice(x, device()), OnDevice(alpha, device()), OnDevice(mean, device()),
                             OnDevice(rstd, device()), OnDevice(up, device()), &dx, &dalpha));
  Tensor dalpha_delta = ToHost(dalpha);
  for (int64_t i = 0; i < kWidth; ++i) dalpha_delta.data()[i] -= dalpha_init.data()[i];
  auto loss = [&] { return testing::Dot(Dice(device(), x, alpha), up); };
  testing::ExpectGradientMatches("dx", &x, dx, loss, /*eps=*/1e-3);
  testing::ExpectGradientMatches("dalpha", &alpha, dalpha_delta, loss, /*eps=*/1e-3);
}

TEST_P(PreluTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(65);
  const int64_t batch = 500, width = 300;
  const Tensor x = RandomTensor(&rng, {batch, width}, -2, 2), alpha = RandomTensor(&rng, {width}, 0, 0.5),
               up = RandomTensor(&rng, {batch, width});
  const Tensor prelu_cpu = Prelu(Device::Cpu(), x, alpha), prelu_gpu = Prelu(device(), x, alpha);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_FLOAT_EQ(prelu_gpu.data()[i], prelu_cpu.data()[i]) << i;
  Tensor mean, rstd;
  const Tensor dice_cpu = Dice(Device::Cpu(), x, alpha, &mean, &rstd), dice_gpu = Dice(device(), x, alpha);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_NEAR(dice_gpu.data()[i], dice_cpu.data()[i], 1e-5) << i;
  Tensor dx_cpu = Tensor::Zeros({batch, width}), da_cpu = Tensor::Zeros({width});
  OPS_ASSERT_OK(DiceBackward(x, alpha, mean, rstd, up, &dx_cpu, &da_cpu));
  Tensor dx = Tensor::Zeros({batch, width}, device()), da = Tensor::Zeros({width}, device());
  OPS_ASSERT_OK(DiceBackward(OnDevice(x, device()), OnDevice(alpha, device()), OnDevice(mean, device()),
                             OnDevice(rstd, device()), OnDevice(up, device()), &dx, &da));
  const Tensor dx_gpu = ToHost(dx), da_gpu = ToHost(da);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_NEAR(dx_gpu.data()[i], dx_cpu.data()[i], 1e-4) << i;
  for (int64_t i = 0; i < width; ++i) ASSERT_NEAR(da_gpu.data()[i], da_cpu.data()[i], 1e-3) << i;
}

TEST_P(PreluTest, ShapeMismatchIsInvalidArgument) {
  Tensor x = Tensor::Zeros({2, 3}, device()), alpha = Tensor::Zeros({2}, device()), y = Tensor::Zeros({2, 3}, device());
  EXPECT_EQ(PreluForward(x, alpha, &y).code(), StatusCode::kInvalidArgument);
  Tensor good_alpha = Tensor::Zeros({3}, device()), mean = Tensor::Zeros({3}, device()),
         rstd = Tensor::Zeros({3}, device());
  EXPECT_EQ(DiceForward(x, good_alpha, 0.f, true, &mean, &rstd, &y).code(), StatusCode::kInvalidArgument);
  Tensor empty = Tensor::Zeros({0, 3}, device()), empty_y = Tensor::Zeros({0, 3}, device());
  EXPECT_EQ(DiceForward(empty, good_alpha, kEpsilon, true, &mean, &rstd, &empty_y).code(),
            StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(PreluTest);

}  // namespace
}  // namespace ember::ops
