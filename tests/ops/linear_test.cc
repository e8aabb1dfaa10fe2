// Tests of ops/linear.h and ops/bias.h on every device.
#include "ops/linear.h"

#include "ops/bias.h"
#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

struct LinearResult {
  Tensor y, dx, dw;
};

// Forward then backward on `device`; dw starts from dw_init (host).
LinearResult RunLinear(Device device, const Tensor& x, const Tensor& w, const Tensor& dy, const Tensor& dw_init) {
  Tensor xd = OnDevice(x, device), wd = OnDevice(w, device), dyd = OnDevice(dy, device);
  Tensor y = Tensor::Empty({x.rows(), w.dim(1)}, device);
  OPS_EXPECT_OK(LinearForward(xd, wd, &y));
  Tensor dx = Tensor::Empty(x.shape(), device);
  OPS_EXPECT_OK(Fill(5.f, &dx));  // garbage: must be overwritten
  Tensor dw = OnDevice(dw_init, device);
  OPS_EXPECT_OK(LinearBackward(xd, wd, dyd, &dx, &dw));
  return {ToHost(y), ToHost(dx), ToHost(dw)};
}

class LinearTest : public DeviceTest {};

TEST_P(LinearTest, ForwardMatchesNaiveProduct) {
  Rng rng(1);
  Tensor x = RandomTensor(&rng, {3, 4}), w = RandomTensor(&rng, {4, 5});
  Tensor y = Tensor::Empty({3, 5}, device());
  OPS_ASSERT_OK(LinearForward(OnDevice(x, device()), OnDevice(w, device()), &y));
  const Tensor host = ToHost(y);
  for (int b = 0; b < 3; ++b) {
    for (int j = 0; j < 5; ++j) {
      double expected = 0;
      for (int k = 0; k < 4; ++k) expected += double(x.data()[b * 4 + k]) * w.data()[k * 5 + j];
      EXPECT_NEAR(host.data()[b * 5 + j], expected, 1e-5);
    }
  }
}

TEST_P(LinearTest, GradientsMatchCentralDifferencesAndDwAccumulates) {
  Rng rng(2);
  Tensor x = RandomTensor(&rng, {3, 4}), w = RandomTensor(&rng, {4, 5}), up = RandomTensor(&rng, {3, 5});
  Tensor dw_init = RandomTensor(&rng, {4, 5});
  const LinearResult r = RunLinear(device(), x, w, up, dw_init);
  Tensor dw_delta = r.dw.Clone().value();
  for (int64_t i = 0; i < dw_delta.numel(); ++i) dw_delta.data()[i] -= dw_init.data()[i];

  auto loss = [&] {
    Tensor y = Tensor::Empty({3, 5}, device());
    OPS_EXPECT_OK(LinearForward(OnDevice(x, device()), OnDevice(w, device()), &y));
    return testing::Dot(y, up);
  };
  testing::ExpectGradientMatches("dx", &x, r.dx, loss);
  testing::ExpectGradientMatches("dw", &w, dw_delta, loss);
}

TEST_P(LinearTest, NullDxSkipsInputGradient) {
  Rng rng(3);
  Tensor x = RandomTensor(&rng, {2, 3}), w = RandomTensor(&rng, {3, 2}), dy = RandomTensor(&rng, {2, 2});
  Tensor dw = Tensor::Zeros({3, 2}, device());
  OPS_ASSERT_OK(LinearBackward(OnDevice(x, device()), OnDevice(w, device()), OnDevice(dy, device()), nullptr, &dw));
  const LinearResult r = RunLinear(device(), x, w, dy, Tensor::Zeros({3, 2}));
  testing::ExpectAllClose(dw, r.dw, 1e-6, 1e-6, "dw");
}

TEST_P(LinearTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(4);
  Tensor x = RandomTensor(&rng, {67, 33}), w = RandomTensor(&rng, {33, 17}), dy = RandomTensor(&rng, {67, 17});
  Tensor dw_init = RandomTensor(&rng, {33, 17});
  const LinearResult gpu = RunLinear(device(), x, w, dy, dw_init);
  const LinearResult cpu = RunLinear(Device::Cpu(), x, w, dy, dw_init);
  testing::ExpectAllClose(gpu.y, cpu.y, 1e-4, 1e-4, "y");
  testing::ExpectAllClose(gpu.dx, cpu.dx, 1e-4, 1e-4, "dx");
  testing::ExpectAllClose(gpu.dw, cpu.dw, 1e-4, 1e-4, "dw");
}

TEST_P(LinearTest, ShapeMismatchIsInvalidArgument) {
  Tensor x = Tensor::Zeros({3, 4}, device()), w = Tensor::Zeros({5, 2}, device());
  Tensor y = Tensor::Zeros({3, 2}, device());
  Status s = LinearForward(x, w, &y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[3, 4]"), std::string_view::npos) << s;
  EXPECT_NE(s.message().find("[5, 2]"), std::string_view::npos) << s;

  Tensor w_ok = Tensor::Zeros({4, 2}, device());
  Tensor y_bad = Tensor::Zeros({3, 3}, device());
  EXPECT_EQ(LinearForward(x, w_ok, &y_bad).code(), StatusCode::kInvalidArgument);
  Tensor dy = Tensor::Zeros({3, 2}, device()), dw_bad = Tensor::Zeros({2, 4}, device());
  EXPECT_EQ(LinearBackward(x, w_ok, dy, nullptr, &dw_bad).code(), StatusCode::kInvalidArgument);
  Tensor dx_bad = Tensor::Zeros({2, 4}, device()), dw = Tensor::Zeros({4, 2}, device());
  EXPECT_EQ(LinearBackward(x, w_ok, dy, &dx_bad, &dw).code(), StatusCode::kInvalidArgument);
}

TEST_P(LinearTest, DeviceMismatchIsInvalidArgument) {
  if (!on_cuda()) GTEST_SKIP() << "needs two devices";
  Tensor x = Tensor::Zeros({3, 4}, device()), w = Tensor::Zeros({4, 2});
  Tensor y = Tensor::Zeros({3, 2}, device());
  EXPECT_EQ(LinearForward(x, w, &y).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(LinearTest);

class BiasTest : public DeviceTest {};

TEST_P(BiasTest, AddAndGradientMatchCentralDifferences) {
  Rng rng(5);
  Tensor bias = RandomTensor(&rng, {4}), y0 = RandomTensor(&rng, {3, 4}), up = RandomTensor(&rng, {3, 4});
  auto loss = [&] {
    Tensor y = OnDevice(y0, device());
    OPS_EXPECT_OK(BiasAdd(OnDevice(bias, device()), &y));
    return testing::Dot(y, up);
  };
  // Forward values.
  Tensor y = OnDevice(y0, device());
  OPS_ASSERT_OK(BiasAdd(OnDevice(bias, device()), &y));
  const Tensor host = ToHost(y);
  for (int64_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(host.data()[i], y0.data()[i] + bias.data()[i % 4]);
  // Backward accumulates into dbias.
  Tensor dbias = OnDevice(testing::HostTensor({4}, {1, 2, 3, 4}), device());
  OPS_ASSERT_OK(BiasBackward(OnDevice(up, device()), &dbias));
  Tensor delta = ToHost(dbias);
  for (int j = 0; j < 4; ++j) delta.data()[j] -= static_cast<float>(j + 1);
  testing::ExpectGradientMatches("dbias", &bias, delta, loss);
  testing::ExpectGradientMatches("dy", &y0, up, loss);
}

TEST_P(BiasTest, ShapeMismatchIsInvalidArgument) {
  Tensor y = Tensor::Zeros({3, 4}, device()), bias = Tensor::Zeros({3}, device());
  const Status s = BiasAdd(bias, &y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[3, 4]"), std::string_view::npos) << s;
  EXPECT_EQ(BiasBackward(y, &bias).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(BiasTest);

}  // namespace
}  // namespace ember::ops
