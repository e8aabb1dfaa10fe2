// Tests of ops/dropout.h on every device.
#include "ops/dropout.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

struct Dropped {
  Tensor y, mask;
};

Dropped Forward(Device device, const Tensor& x, float rate, uint64_t seed) {
  Tensor y = Tensor::Zeros(x.shape(), device), mask = Tensor::Zeros(x.shape(), device);
  OPS_EXPECT_OK(DropoutForward(OnDevice(x, device), rate, seed, &y, &mask));
  return {ToHost(y), ToHost(mask)};
}

class DropoutTest : public DeviceTest {};

TEST_P(DropoutTest, DropsAboutRateAndScalesTheRestSoTheMeanIsKept) {
  Rng rng(71);
  const Tensor x = RandomTensor(&rng, {200, 100}, 1, 2);
  const float rate = 0.3f;
  const Dropped out = Forward(device(), x, rate, /*seed=*/5);
  int64_t dropped = 0;
  double sum_x = 0, sum_y = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float m = out.mask.data()[i];
    ASSERT_TRUE(m == 0.f || m == 1.f / (1.f - rate)) << i;
    dropped += m == 0.f;
    EXPECT_EQ(out.y.data()[i], x.data()[i] * m);
    sum_x += x.data()[i];
    sum_y += out.y.data()[i];
  }
  EXPECT_NEAR(static_cast<double>(dropped) / x.numel(), rate, 0.02);
  EXPECT_NEAR(sum_y / sum_x, 1.0, 0.03);
}

TEST_P(DropoutTest, TheMaskDependsOnlyOnTheSeedAndRateZeroKeepsAll) {
  Rng rng(72);
  const Tensor x = RandomTensor(&rng, {10, 10});
  const Dropped a = Forward(device(), x, 0.5f, 9), b = Forward(device(), x, 0.5f, 9),
                c = Forward(device(), x, 0.5f, 10);
  bool differs = false;
  for (int64_t i = 0; i < x.numel(); ++i) {
    EXPECT_EQ(a.mask.data()[i], b.mask.data()[i]);
    differs = differs || a.mask.data()[i] != c.mask.data()[i];
  }
  EXPECT_TRUE(differs) << "another seed should draw another mask";
  const Dropped none = Forward(device(), x, 0.f, 9);
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(none.y.data()[i], x.data()[i]);
}

TEST_P(DropoutTest, BackwardMatchesCentralDifferences) {
  Rng rng(73);
  Tensor x = RandomTensor(&rng, {6, 5});
  const Tensor up = RandomTensor(&rng, {6, 5});
  const Dropped out = Forward(device(), x, 0.4f, 3);
  Tensor dx = Tensor::Zeros(x.shape(), device());
  OPS_ASSERT_OK(DropoutBackward(OnDevice(up, device()), OnDevice(out.mask, device()), &dx));
  testing::ExpectGradientMatches("dx", &x, dx, [&] { return testing::Dot(Forward(device(), x, 0.4f, 3).y, up); });
}

TEST_P(DropoutTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(74);
  const Tensor x = RandomTensor(&rng, {300, 77});
  const Dropped cpu = Forward(Device::Cpu(), x, 0.25f, 123), gpu = Forward(device(), x, 0.25f, 123);
  for (int64_t i = 0; i < x.numel(); ++i) {
    ASSERT_EQ(gpu.mask.data()[i], cpu.mask.data()[i]) << i;
    ASSERT_EQ(gpu.y.data()[i], cpu.y.data()[i]) << i;
  }
}

TEST_P(DropoutTest, BadRateOrShapeIsInvalidArgument) {
  Tensor x = Tensor::Zeros({2, 3}, device()), y = Tensor::Zeros({2, 3}, device()),
         mask = Tensor::Zeros({2, 3}, device());
  EXPECT_EQ(DropoutForward(x, 1.f, 1, &y, &mask).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DropoutForward(x, -0.1f, 1, &y, &mask).code(), StatusCode::kInvalidArgument);
  Tensor short_mask = Tensor::Zeros({5}, device());
  EXPECT_EQ(DropoutForward(x, 0.5f, 1, &y, &short_mask).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(DropoutBackward(x, short_mask, &y).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(DropoutTest);

}  // namespace
}  // namespace ember::ops
