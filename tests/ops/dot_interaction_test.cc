// Tests of ops/dot_interaction.h on every device.
#include "ops/dot_interaction.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

// 4 vectors of dim 3: 6 pairs.
constexpr int64_t kBatch = 5, kVectors = 4, kDim = 3, kPairs = 6;

Tensor InteractionForward(Device device, const Tensor& x) {
  Tensor out = Tensor::Zeros({x.rows(), kPairs}, device);
  OPS_EXPECT_OK(DotInteractionForward(OnDevice(x, device), kVectors, kDim, &out));
  return ToHost(out);
}

class DotInteractionTest : public DeviceTest {};

TEST_P(DotInteractionTest, ForwardIsTheLowerTriangleRowMajor) {
  Rng rng(51);
  const Tensor x = RandomTensor(&rng, {kBatch, kVectors * kDim});
  const Tensor out = InteractionForward(device(), x);
  for (int64_t b = 0; b < kBatch; ++b) {
    int64_t column = 0;  // (1,0), (2,0), (2,1), (3,0), (3,1), (3,2)
    for (int64_t i = 1; i < kVectors; ++i) {
      for (int64_t j = 0; j < i; ++j, ++column) {
        double expected = 0;
        for (int64_t d = 0; d < kDim; ++d) {
          expected += static_cast<double>(x.data()[b * kVectors * kDim + i * kDim + d]) *
                      x.data()[b * kVectors * kDim + j * kDim + d];
        }
        EXPECT_NEAR(out.data()[b * kPairs + column], expected, 1e-5) << "sample " << b << " pair " << i << "," << j;
      }
    }
  }
}

TEST_P(DotInteractionTest, BackwardMatchesCentralDifferencesAndOverwrites) {
  Rng rng(52);
  Tensor x = RandomTensor(&rng, {kBatch, kVectors * kDim});
  const Tensor up = RandomTensor(&rng, {kBatch, kPairs});
  // dx starts as garbage: the backward overwrites it.
  Tensor dx = OnDevice(RandomTensor(&rng, {kBatch, kVectors * kDim}), device());
  OPS_ASSERT_OK(DotInteractionBackward(OnDevice(x, device()), OnDevice(up, device()), kVectors, kDim, &dx));
  testing::ExpectGradientMatches("dx", &x, ToHost(dx),
                                 [&] { return testing::Dot(InteractionForward(device(), x), up); });
}

TEST_P(DotInteractionTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(53);
  const int64_t batch = 300, vectors = 27, dim = 16, pairs = DotInteractionPairs(vectors);
  const Tensor x = RandomTensor(&rng, {batch, vectors * dim}, -0.5, 0.5), dout = RandomTensor(&rng, {batch, pairs});
  Tensor results[2][2];
  const Device devices[2] = {Device::Cpu(), device()};
  for (int k = 0; k < 2; ++k) {
    Tensor out = Tensor::Zeros({batch, pairs}, devices[k]);
    OPS_ASSERT_OK(DotInteractionForward(OnDevice(x, devices[k]), vectors, dim, &out));
    Tensor dx = Tensor::Zeros({batch, vectors * dim}, devices[k]);
    OPS_ASSERT_OK(DotInteractionBackward(OnDevice(x, devices[k]), OnDevice(dout, devices[k]), vectors, dim, &dx));
    results[k][0] = ToHost(out);
    results[k][1] = ToHost(dx);
  }
  testing::ExpectAllClose(results[1][0], results[0][0], 1e-4, 1e-5, "out");
  testing::ExpectAllClose(results[1][1], results[0][1], 1e-4, 1e-5, "dx");
}

TEST_P(DotInteractionTest, ShapeMismatchIsInvalidArgument) {
  const Tensor x = Tensor::Zeros({kBatch, kVectors * kDim}, device());
  Tensor out = Tensor::Zeros({kBatch, kPairs}, device());
  Status s = DotInteractionForward(x, 5, kDim, &out);  // 15 columns != 12
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[5, 12]"), std::string_view::npos) << s;
  EXPECT_EQ(DotInteractionForward(x, 3, kDim, &out).code(), StatusCode::kInvalidArgument);  // 9 != 12
  EXPECT_EQ(DotInteractionForward(x, 1, 12, &out).code(), StatusCode::kInvalidArgument);    // no pairs
  EXPECT_EQ(DotInteractionForward(x, kVectors, 0, &out).code(), StatusCode::kInvalidArgument);
  Tensor wide_out = Tensor::Zeros({kBatch, kPairs + 1}, device());
  EXPECT_EQ(DotInteractionForward(x, kVectors, kDim, &wide_out).code(), StatusCode::kInvalidArgument);
  Tensor short_out = Tensor::Zeros({kBatch - 1, kPairs}, device());
  EXPECT_EQ(DotInteractionForward(x, kVectors, kDim, &short_out).code(), StatusCode::kInvalidArgument);
  const Tensor flat = Tensor::Zeros({kBatch * kVectors * kDim}, device());
  EXPECT_EQ(DotInteractionForward(flat, kVectors, kDim, &out).code(), StatusCode::kInvalidArgument);
  Tensor bad_dx = Tensor::Zeros({kBatch, kVectors * kDim - 1}, device());
  EXPECT_EQ(DotInteractionBackward(x, out, kVectors, kDim, &bad_dx).code(), StatusCode::kInvalidArgument);
  Tensor dx = Tensor::Zeros({kBatch, kVectors * kDim}, device());
  EXPECT_EQ(DotInteractionBackward(x, short_out, kVectors, kDim, &dx).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(DotInteractionTest);

TEST(DotInteractionCpuTest, PairCount) {
  EXPECT_EQ(DotInteractionPairs(2), 1);
  EXPECT_EQ(DotInteractionPairs(27), 351);
}

// An empty batch is valid and writes nothing.
TEST(DotInteractionCpuTest, EmptyBatchIsOk) {
  const Tensor x = Tensor::Zeros({0, kVectors * kDim});
  Tensor out = Tensor::Zeros({0, kPairs}), dx = Tensor::Zeros({0, kVectors * kDim});
  OPS_EXPECT_OK(DotInteractionForward(x, kVectors, kDim, &out));
  OPS_EXPECT_OK(DotInteractionBackward(x, out, kVectors, kDim, &dx));
}

}  // namespace
}  // namespace ember::ops
