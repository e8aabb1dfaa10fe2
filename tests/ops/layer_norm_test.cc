// Tests of ops/layer_norm.h on every device.
#include "ops/layer_norm.h"

#include <cmath>

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

constexpr int64_t kBatch = 4, kWidth = 7;
constexpr float kEpsilon = 1e-5f;

struct Normalized {
  Tensor y, mean, rstd;
};

Normalized Forward(Device device, const Tensor& x, const Tensor& gamma, const Tensor& beta) {
  Normalized out{Tensor::Zeros({x.rows(), x.dim(1)}, device), Tensor::Zeros({x.rows()}, device),
                 Tensor::Zeros({x.rows()}, device)};
  OPS_EXPECT_OK(LayerNormForward(OnDevice(x, device), OnDevice(gamma, device), OnDevice(beta, device), kEpsilon, &out.y,
                                 &out.mean, &out.rstd));
  return {ToHost(out.y), ToHost(out.mean), ToHost(out.rstd)};
}

class LayerNormTest : public DeviceTest {};

TEST_P(LayerNormTest, ForwardNormalizesEachRowThenScalesAndShifts) {
  Rng rng(51);
  const Tensor x = RandomTensor(&rng, {kBatch, kWidth}, -3, 5);
  const Tensor gamma = RandomTensor(&rng, {kWidth}, 0.5, 2), beta = RandomTensor(&rng, {kWidth});
  const Normalized out = Forward(device(), x, gamma, beta);
  for (int64_t b = 0; b < kBatch; ++b) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < kWidth; ++i) mean += x.data()[b * kWidth + i];
    mean /= kWidth;
    for (int64_t i = 0; i < kWidth; ++i) var += std::pow(x.data()[b * kWidth + i] - mean, 2);
    var /= kWidth;
    EXPECT_NEAR(out.mean.data()[b], mean, 1e-5);
    EXPECT_NEAR(out.rstd.data()[b], 1 / std::sqrt(var + kEpsilon), 1e-4);
    for (int64_t i = 0; i < kWidth; ++i) {
      const double expected =
          (x.data()[b * kWidth + i] - mean) / std::sqrt(var + kEpsilon) * gamma.data()[i] + beta.data()[i];
      EXPECT_NEAR(out.y.data()[b * kWidth + i], expected, 1e-4) << b << "," << i;
    }
  }
}

TEST_P(LayerNormTest, BackwardMatchesCentralDifferencesAndParameterGradientsAccumulate) {
  Rng rng(52);
  Tensor x = RandomTensor(&rng, {kBatch, kWidth}, -2, 2);
  Tensor gamma = RandomTensor(&rng, {kWidth}, 0.5, 2), beta = RandomTensor(&rng, {kWidth});
  const Tensor up = RandomTensor(&rng, {kBatch, kWidth});
  const Tensor dgamma_init = RandomTensor(&rng, {kWidth}), dbeta_init = RandomTensor(&rng, {kWidth});
  const Normalized saved = Forward(device(), x, gamma, beta);
  Tensor dx = Tensor::Zeros({kBatch, kWidth}, device());
  Tensor dgamma = OnDevice(dgamma_init, device()), dbeta = OnDevice(dbeta_init, device());
  OPS_ASSERT_OK(LayerNormBackward(OnDevice(x, device()), OnDevice(gamma, device()), OnDevice(saved.mean, device()),
                                  OnDevice(saved.rstd, device()), OnDevice(up, device()), &dx, &dgamma, &dbeta));
  Tensor dgamma_delta = ToHost(dgamma), dbeta_delta = ToHost(dbeta);
  for (int64_t i = 0; i < kWidth; ++i) {
    dgamma_delta.data()[i] -= dgamma_init.data()[i];
    dbeta_delta.data()[i] -= dbeta_init.data()[i];
  }
  auto loss = [&] { return testing::Dot(Forward(device(), x, gamma, beta).y, up); };
  testing::ExpectGradientMatches("dx", &x, dx, loss);
  testing::ExpectGradientMatches("dgamma", &gamma, dgamma_delta, loss);
  testing::ExpectGradientMatches("dbeta", &beta, dbeta_delta, loss);
}

TEST_P(LayerNormTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(53);
  const int64_t batch = 300, width = 600;
  const Tensor x = RandomTensor(&rng, {batch, width}, -3, 3), gamma = RandomTensor(&rng, {width}),
               beta = RandomTensor(&rng, {width}), up = RandomTensor(&rng, {batch, width});
  const Normalized cpu = Forward(Device::Cpu(), x, gamma, beta);
  const Normalized gpu = Forward(device(), x, gamma, beta);
  for (int64_t i = 0; i < cpu.y.numel(); ++i) ASSERT_NEAR(gpu.y.data()[i], cpu.y.data()[i], 1e-4) << i;
  Tensor dx_cpu = Tensor::Zeros({batch, width}), dg_cpu = Tensor::Zeros({width}), db_cpu = Tensor::Zeros({width});
  OPS_ASSERT_OK(LayerNormBackward(x, gamma, cpu.mean, cpu.rstd, up, &dx_cpu, &dg_cpu, &db_cpu));
  Tensor dx = Tensor::Zeros({batch, width}, device()), dg = Tensor::Zeros({width}, device()),
         db = Tensor::Zeros({width}, device());
  OPS_ASSERT_OK(LayerNormBackward(OnDevice(x, device()), OnDevice(gamma, device()), OnDevice(cpu.mean, device()),
                                  OnDevice(cpu.rstd, device()), OnDevice(up, device()), &dx, &dg, &db));
  const Tensor dx_gpu = ToHost(dx), dg_gpu = ToHost(dg), db_gpu = ToHost(db);
  for (int64_t i = 0; i < dx_cpu.numel(); ++i) ASSERT_NEAR(dx_gpu.data()[i], dx_cpu.data()[i], 1e-3) << i;
  for (int64_t i = 0; i < width; ++i) {
    ASSERT_NEAR(dg_gpu.data()[i], dg_cpu.data()[i], 1e-2) << i;
    ASSERT_NEAR(db_gpu.data()[i], db_cpu.data()[i], 1e-2) << i;
  }
}

TEST_P(LayerNormTest, ShapeMismatchIsInvalidArgument) {
  Tensor x = Tensor::Zeros({2, 3}, device()), gamma = Tensor::Zeros({4}, device()), beta = Tensor::Zeros({3}, device());
  Tensor y = Tensor::Zeros({2, 3}, device()), mean = Tensor::Zeros({2}, device()), rstd = Tensor::Zeros({2}, device());
  EXPECT_EQ(LayerNormForward(x, gamma, beta, kEpsilon, &y, &mean, &rstd).code(), StatusCode::kInvalidArgument);
  Tensor good_gamma = Tensor::Zeros({3}, device());
  EXPECT_EQ(LayerNormForward(x, good_gamma, beta, 0.f, &y, &mean, &rstd).code(), StatusCode::kInvalidArgument);
  Tensor short_mean = Tensor::Zeros({1}, device());
  EXPECT_EQ(LayerNormForward(x, good_gamma, beta, kEpsilon, &y, &short_mean, &rstd).code(),
            StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(LayerNormTest);

}  // namespace
}  // namespace ember::ops
