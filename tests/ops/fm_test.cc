// Tests of ops/fm.h on every device.
#include "ops/fm.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

// 3 fields of dim 4 leading 15 columns (3 trailing "dense" columns).
constexpr int64_t kBatch = 5, kFields = 3, kDim = 4, kCols = 15;

Tensor FmForward(Device device, const Tensor& x) {
  Tensor out = Tensor::Zeros({x.rows(), 1}, device);
  OPS_EXPECT_OK(FmInteractionForward(OnDevice(x, device), kFields, kDim, &out));
  return ToHost(out);
}

class FmTest : public DeviceTest {};

TEST_P(FmTest, ForwardIsTheSumOfPairwiseDotProducts) {
  Rng rng(41);
  const Tensor x = RandomTensor(&rng, {kBatch, kCols});
  const Tensor out = FmForward(device(), x);
  for (int64_t b = 0; b < kBatch; ++b) {
    double expected = 0;
    for (int64_t f = 0; f < kFields; ++f) {
      for (int64_t g = f + 1; g < kFields; ++g) {
        for (int64_t d = 0; d < kDim; ++d) {
          expected += static_cast<double>(x.data()[b * kCols + f * kDim + d]) * x.data()[b * kCols + g * kDim + d];
        }
      }
    }
    EXPECT_NEAR(out.data()[b], expected, 1e-5) << "sample " << b;
  }
}

TEST_P(FmTest, BackwardMatchesCentralDifferencesAndAccumulates) {
  Rng rng(42);
  Tensor x = RandomTensor(&rng, {kBatch, kCols});
  const Tensor up = RandomTensor(&rng, {kBatch, 1});
  const Tensor dx_init = RandomTensor(&rng, {kBatch, kCols});
  Tensor dx = OnDevice(dx_init, device());
  OPS_ASSERT_OK(FmInteractionBackward(OnDevice(x, device()), OnDevice(up, device()), kFields, kDim, &dx));
  Tensor delta = ToHost(dx);
  for (int64_t i = 0; i < delta.numel(); ++i) delta.data()[i] -= dx_init.data()[i];
  // The trailing columns get no gradient (and so are left as they were).
  testing::ExpectGradientMatches("dx", &x, delta, [&] { return testing::Dot(FmForward(device(), x), up); });
}

TEST_P(FmTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(43);
  const int64_t batch = 300, fields = 26, dim = 16, cols = fields * dim + 13;
  const Tensor x = RandomTensor(&rng, {batch, cols}, -0.5, 0.5), dout = RandomTensor(&rng, {batch, 1});
  const Tensor dx_init = RandomTensor(&rng, {batch, cols});
  Tensor results[2][2];
  const Device devices[2] = {Device::Cpu(), device()};
  for (int k = 0; k < 2; ++k) {
    Tensor out = Tensor::Zeros({batch, 1}, devices[k]);
    OPS_ASSERT_OK(FmInteractionForward(OnDevice(x, devices[k]), fields, dim, &out));
    Tensor dx = OnDevice(dx_init, devices[k]);
    OPS_ASSERT_OK(FmInteractionBackward(OnDevice(x, devices[k]), OnDevice(dout, devices[k]), fields, dim, &dx));
    results[k][0] = ToHost(out);
    results[k][1] = ToHost(dx);
  }
  testing::ExpectAllClose(results[1][0], results[0][0], 1e-4, 1e-5, "out");
  testing::ExpectAllClose(results[1][1], results[0][1], 1e-5, 1e-5, "dx");
}

TEST_P(FmTest, ShapeMismatchIsInvalidArgument) {
  const Tensor x = Tensor::Zeros({kBatch, kCols}, device());
  Tensor out = Tensor::Zeros({kBatch, 1}, device());
  Status s = FmInteractionForward(x, 4, kDim, &out);  // 16 columns > 15
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[5, 15]"), std::string_view::npos) << s;
  EXPECT_EQ(FmInteractionForward(x, 0, kDim, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(FmInteractionForward(x, kFields, 0, &out).code(), StatusCode::kInvalidArgument);
  Tensor wide_out = Tensor::Zeros({kBatch, 2}, device());
  EXPECT_EQ(FmInteractionForward(x, kFields, kDim, &wide_out).code(), StatusCode::kInvalidArgument);
  Tensor short_out = Tensor::Zeros({kBatch - 1, 1}, device());
  EXPECT_EQ(FmInteractionForward(x, kFields, kDim, &short_out).code(), StatusCode::kInvalidArgument);
  const Tensor flat = Tensor::Zeros({kBatch * kCols}, device());
  EXPECT_EQ(FmInteractionForward(flat, kFields, kDim, &out).code(), StatusCode::kInvalidArgument);
  Tensor bad_dx = Tensor::Zeros({kBatch, kCols - 1}, device());
  EXPECT_EQ(FmInteractionBackward(x, out, kFields, kDim, &bad_dx).code(), StatusCode::kInvalidArgument);
  Tensor dx = Tensor::Zeros({kBatch, kCols}, device());
  EXPECT_EQ(FmInteractionBackward(x, short_out, kFields, kDim, &dx).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(FmTest);

// An empty batch is valid and writes nothing.
TEST(FmCpuTest, EmptyBatchIsOk) {
  const Tensor x = Tensor::Zeros({0, kCols});
  Tensor out = Tensor::Zeros({0, 1}), dx = Tensor::Zeros({0, kCols});
  OPS_EXPECT_OK(FmInteractionForward(x, kFields, kDim, &out));
  OPS_EXPECT_OK(FmInteractionBackward(x, out, kFields, kDim, &dx));
}

}  // namespace
}  // namespace ember::ops
