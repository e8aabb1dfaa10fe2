// Tests of ops/cross.h (the DCN-v2 cross layer op) and ops/cross_layer.h
// (CrossNetwork) on every device: central-difference gradients of every
// input and parameter, CUDA against the CPU reference, and the errors.
#include "ops/cross.h"

#include "ops/cross_layer.h"
#include "ops/linear.h"
#include "ops/parameters.h"
#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

// The op's inputs on the host, and its forward / backward on a device.
struct CrossCase {
  Tensor x0, xl, w, b, up;

  explicit CrossCase(uint64_t seed, int64_t batch = 3, int64_t dim = 4) {
    Rng rng(seed);
    x0 = RandomTensor(&rng, {batch, dim});
    xl = RandomTensor(&rng, {batch, dim});
    w = RandomTensor(&rng, {dim, dim});
    b = RandomTensor(&rng, {dim});
    up = RandomTensor(&rng, {batch, dim});
  }

  Tensor Forward(Device device) const {
    Tensor pre = Tensor::Empty(x0.shape(), device), out = Tensor::Empty(x0.shape(), device);
    OPS_EXPECT_OK(
        CrossForward(OnDevice(x0, device), OnDevice(xl, device), OnDevice(w, device), OnDevice(b, device), &pre, &out));
    return out;
  }

  // Returns dx0, dxl, dw, db (dx0 and the parameter gradients start at 0).
  std::vector<Tensor> Backward(Device device) const {
    const Tensor dx0_init = Tensor::Zeros(x0.shape());
    Tensor x0_d = OnDevice(x0, device), xl_d = OnDevice(xl, device), w_d = OnDevice(w, device);
    Tensor pre = Tensor::Empty(x0.shape(), device), out = Tensor::Empty(x0.shape(), device);
    OPS_EXPECT_OK(CrossForward(x0_d, xl_d, w_d, OnDevice(b, device), &pre, &out));
    Tensor dpre = Tensor::Empty(x0.shape(), device), dxl = Tensor::Empty(x0.shape(), device);
    Tensor dx0 = OnDevice(dx0_init, device), dw = Tensor::Zeros(w.shape(), device),
           db = Tensor::Zeros(b.shape(), device);
    OPS_EXPECT_OK(CrossBackward(x0_d, xl_d, w_d, pre, OnDevice(up, device), &dpre, &dx0, &dxl, &dw, &db));
    return {dx0, dxl, dw, db};
  }
};

class CrossOpTest : public DeviceTest {};

TEST_P(CrossOpTest, ForwardMatchesDefinition) {
  CrossCase c(11);
  const Tensor out = ToHost(c.Forward(device()));
  const int64_t batch = c.x0.rows(), dim = c.x0.cols();
  for (int64_t r = 0; r < batch; ++r) {
    for (int64_t j = 0; j < dim; ++j) {
      double pre = c.b.data()[j];
      for (int64_t k = 0; k < dim; ++k) pre += static_cast<double>(c.xl.data()[r * dim + k]) * c.w.data()[k * dim + j];
      const double expected = c.x0.data()[r * dim + j] * pre + c.xl.data()[r * dim + j];
      EXPECT_NEAR(out.data()[r * dim + j], expected, 1e-5) << r << ", " << j;
    }
  }
}

TEST_P(CrossOpTest, GradientsMatchCentralDifferences) {
  CrossCase c(12);
  const std::vector<Tensor> grads = c.Backward(device());
  auto loss = [&] { return testing::Dot(c.Forward(device()), c.up); };
  testing::ExpectGradientMatches("x0", &c.x0, grads[0], loss, 1e-3, 1e-2, 1e-3);
  testing::ExpectGradientMatches("xl", &c.xl, grads[1], loss, 1e-3, 1e-2, 1e-3);
  testing::ExpectGradientMatches("w", &c.w, grads[2], loss, 1e-3, 1e-2, 1e-3);
  testing::ExpectGradientMatches("b", &c.b, grads[3], loss, 1e-3, 1e-2, 1e-3);
}

TEST_P(CrossOpTest, Dx0AndParameterGradientsAccumulate) {
  CrossCase c(13);
  const Device dev = device();
  Tensor x0_d = OnDevice(c.x0, dev), xl_d = OnDevice(c.xl, dev), w_d = OnDevice(c.w, dev);
  Tensor pre = Tensor::Empty(c.x0.shape(), dev), out = Tensor::Empty(c.x0.shape(), dev);
  OPS_ASSERT_OK(CrossForward(x0_d, xl_d, w_d, OnDevice(c.b, dev), &pre, &out));
  Tensor dpre = Tensor::Empty(c.x0.shape(), dev), dxl = Tensor::Empty(c.x0.shape(), dev);
  Tensor dx0 = Tensor::Zeros(c.x0.shape(), dev), dw = Tensor::Zeros(c.w.shape(), dev),
         db = Tensor::Zeros(c.b.shape(), dev);
  const Tensor up = OnDevice(c.up, dev);
  OPS_ASSERT_OK(CrossBackward(x0_d, xl_d, w_d, pre, up, &dpre, &dx0, &dxl, &dw, &db));
  const Tensor once_dx0 = ToHost(dx0), once_dxl = ToHost(dxl), once_dw = ToHost(dw), once_db = ToHost(db);
  OPS_ASSERT_OK(CrossBackward(x0_d, xl_d, w_d, pre, up, &dpre, &dx0, &dxl, &dw, &db));
  const Tensor twice_dx0 = ToHost(dx0), twice_dxl = ToHost(dxl), twice_dw = ToHost(dw), twice_db = ToHost(db);
  for (int64_t i = 0; i < once_dx0.numel(); ++i) {
    EXPECT_NEAR(twice_dx0.data()[i], 2 * once_dx0.data()[i], 1e-5) << "dx0 " << i;
    EXPECT_EQ(twice_dxl.data()[i], once_dxl.data()[i]) << "dxl is overwritten, at " << i;
  }
  for (int64_t i = 0; i < once_dw.numel(); ++i) EXPECT_NEAR(twice_dw.data()[i], 2 * once_dw.data()[i], 1e-5);
  for (int64_t i = 0; i < once_db.numel(); ++i) EXPECT_NEAR(twice_db.data()[i], 2 * once_db.data()[i], 1e-5);
}

TEST_P(CrossOpTest, ErrorsAreStatuses) {
  const Device dev = device();
  Tensor x = Tensor::Zeros({2, 4}, dev), w = Tensor::Zeros({4, 4}, dev), b = Tensor::Zeros({4}, dev);
  Tensor pre = Tensor::Zeros({2, 4}, dev), out = Tensor::Zeros({2, 4}, dev);
  const Status bad_w = CrossForward(x, x, Tensor::Zeros({4, 3}, dev), b, &pre, &out);
  EXPECT_EQ(bad_w.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_w.message().find("[4, 3]"), std::string_view::npos) << bad_w;
  EXPECT_EQ(CrossForward(x, x, w, Tensor::Zeros({3}, dev), &pre, &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CrossForward(x, x, w, b, &pre, &x).code(), StatusCode::kInvalidArgument) << "out aliases x0";
  Tensor dpre = Tensor::Zeros({2, 4}, dev), dx0 = Tensor::Zeros({2, 4}, dev), dxl = Tensor::Zeros({2, 4}, dev);
  Tensor dw = Tensor::Zeros({4, 4}, dev), db = Tensor::Zeros({4}, dev);
  EXPECT_EQ(CrossBackward(x, x, w, pre, Tensor::Zeros({2, 5}, dev), &dpre, &dx0, &dxl, &dw, &db).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CrossBackward(x, x, w, pre, out, &dpre, &dx0, &dx0, &dw, &db).code(), StatusCode::kInvalidArgument)
      << "dxl aliases dx0";
  EXPECT_EQ(CrossBackward(x, x, w, pre, out, &dpre, &dx0, &dxl, nullptr, &db).code(), StatusCode::kInvalidArgument);
  if (dev.is_cuda()) {
    Tensor host_x = Tensor::Zeros({2, 4});
    EXPECT_EQ(CrossForward(host_x, x, w, b, &pre, &out).code(), StatusCode::kInvalidArgument) << "mixed devices";
  }
}

OPS_INSTANTIATE_DEVICE_TEST(CrossOpTest);

TEST(CrossOpCudaTest, MatchesCpu) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  CrossCase c(14, /*batch=*/37, /*dim=*/29);
  testing::ExpectAllClose(c.Forward(Device::Cuda(0)), c.Forward(Device::Cpu()), 1e-5, 1e-5, "out");
  const std::vector<Tensor> cuda = c.Backward(Device::Cuda(0)), cpu = c.Backward(Device::Cpu());
  const char* names[] = {"dx0", "dxl", "dw", "db"};
  for (size_t i = 0; i < cpu.size(); ++i) testing::ExpectAllClose(cuda[i], cpu[i], 1e-5, 1e-4, names[i]);
}

class CrossNetworkTest : public DeviceTest {};

TEST_P(CrossNetworkTest, GradientsThroughParameterSet) {
  ParameterSet params(device());
  CrossNetwork cross(&params, "cross", 5, 3);
  EXPECT_EQ(params.count(), 6);
  EXPECT_EQ(params.size(), 3 * (5 * 5 + 5));
  EXPECT_EQ(params.name(cross.weight_id(2)), "cross.2.weight");
  EXPECT_EQ(params.name(cross.bias_id(1)), "cross.1.bias");
  ASSERT_TRUE(params.Finalize(8).ok());
  // Non-zero biases, so that their gradients are not the only thing tested.
  for (int l = 0; l < 3; ++l) {
    Tensor bias = params.value(cross.bias_id(l));
    OPS_ASSERT_OK(CopyInto(testing::HostTensor({5}, {0.1f, -0.2f, 0.3f, 0.05f, -0.1f}), &bias));
  }
  Rng rng(44);
  Tensor x = RandomTensor(&rng, {4, 5});
  const Tensor up = RandomTensor(&rng, {4, 5});

  ASSERT_TRUE(params.ZeroGrads().ok());
  Tensor y, dx;
  OPS_ASSERT_OK(cross.Forward(OnDevice(x, device()), &y));
  ASSERT_EQ(y.shape(), up.shape());
  OPS_ASSERT_OK(cross.Backward(OnDevice(up, device()), &dx));
  ASSERT_EQ(dx.shape(), x.shape());

  Tensor flat = params.flat_values();
  Tensor host_values = ToHost(flat);
  auto loss = [&] {
    OPS_EXPECT_OK(CopyInto(host_values, &flat));
    Tensor out;
    OPS_EXPECT_OK(cross.Forward(OnDevice(x, device()), &out));
    return testing::Dot(out, up);
  };
  testing::ExpectGradientMatches("params", &host_values, params.flat_grads(), loss, 1e-3, 2e-2, 2e-3);
  testing::ExpectGradientMatches("x0", &x, dx, loss, 1e-3, 2e-2, 2e-3);
  OPS_ASSERT_OK(CopyInto(host_values, &flat));

  // Parameter gradients accumulate; without dx the parameters still get theirs.
  const Tensor once = ToHost(params.flat_grads());
  Tensor out;
  OPS_ASSERT_OK(cross.Forward(OnDevice(x, device()), &out));
  OPS_ASSERT_OK(cross.Backward(OnDevice(up, device()), nullptr));
  const Tensor twice = ToHost(params.flat_grads());
  for (int64_t i = 0; i < once.numel(); ++i) EXPECT_NEAR(twice.data()[i], 2 * once.data()[i], 1e-5) << i;
}

TEST_P(CrossNetworkTest, OneLayerEqualsTheOp) {
  ParameterSet params(device());
  CrossNetwork cross(&params, "cross", 4, 1);
  ASSERT_TRUE(params.Finalize(9).ok());
  Rng rng(45);
  const Tensor x = OnDevice(RandomTensor(&rng, {3, 4}), device());
  Tensor y;
  OPS_ASSERT_OK(cross.Forward(x, &y));
  Tensor pre = Tensor::Empty({3, 4}, device()), out = Tensor::Empty({3, 4}, device());
  OPS_ASSERT_OK(CrossForward(x, x, params.value(cross.weight_id(0)), params.value(cross.bias_id(0)), &pre, &out));
  testing::ExpectAllClose(y, out, 0, 0, "one layer");
}

TEST_P(CrossNetworkTest, BuffersAreReusedAndErrorsAreStatuses) {
  ParameterSet params(device());
  CrossNetwork cross(&params, "cross", 4, 2);
  Tensor x = Tensor::Zeros({2, 4}, device()), y, dx;
  EXPECT_EQ(cross.Forward(x, &y).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(params.Finalize(1).ok());
  EXPECT_EQ(cross.Backward(Tensor::Zeros({2, 4}, device()), nullptr).code(), StatusCode::kFailedPrecondition);
  const Status s = cross.Forward(Tensor::Zeros({2, 5}, device()), &y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[2, 5]"), std::string_view::npos) << s;
  OPS_ASSERT_OK(cross.Forward(x, &y));
  OPS_ASSERT_OK(cross.Backward(Tensor::Zeros({2, 4}, device()), &dx));
  const float* y_data = y.data();
  const float* dx_data = dx.data();
  OPS_ASSERT_OK(cross.Forward(x, &y));
  OPS_ASSERT_OK(cross.Backward(Tensor::Zeros({2, 4}, device()), &dx));
  EXPECT_EQ(y.data(), y_data);
  EXPECT_EQ(dx.data(), dx_data);
  EXPECT_EQ(cross.Backward(Tensor::Zeros({2, 3}, device()), nullptr).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(CrossNetworkTest);

}  // namespace
}  // namespace ember::ops
