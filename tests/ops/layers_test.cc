// Tests of ops/parameters.h and ops/layers.h on every device.
#include "ops/layers.h"

#include <cstring>

#include "ops/parameters.h"
#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

TEST(ParameterSetTest, PacksParametersIntoOneBufferWithViews) {
  ParameterSet params;
  const int w = params.Add("fc.weight", {3, 4}, Init::kXavierUniform);
  const int b = params.Add("fc.bias", {4}, Init::kZeros);
  const int e = params.Add("emb", {2, 5}, Init::kNormal001);
  EXPECT_EQ(params.count(), 3);
  EXPECT_EQ(params.size(), 12 + 4 + 10);
  ASSERT_TRUE(params.Finalize(/*seed=*/7).ok());
  EXPECT_EQ(params.value(w).data(), params.flat_values().data());
  EXPECT_EQ(params.value(b).data(), params.flat_values().data() + 12);
  EXPECT_EQ(params.grad(e).data(), params.flat_grads().data() + 16);
  EXPECT_EQ(params.value(e).shape(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(params.flat_values().shape(), (std::vector<int64_t>{26}));
  EXPECT_EQ(params.name(b), "fc.bias");
  EXPECT_EQ(*params.Find("emb"), e);
  EXPECT_EQ(params.Find("nope").status().code(), StatusCode::kNotFound);

  const double limit = std::sqrt(6.0 / (3 + 4));
  Tensor weight = params.value(w);
  for (int64_t i = 0; i < weight.numel(); ++i) EXPECT_LE(std::abs(weight.data()[i]), limit);
  Tensor bias = params.value(b);
  for (int64_t i = 0; i < bias.numel(); ++i) EXPECT_EQ(bias.data()[i], 0.f);
  Tensor emb = params.value(e);
  for (int64_t i = 0; i < emb.numel(); ++i) EXPECT_LT(std::abs(emb.data()[i]), 0.06f);
  Tensor grads = params.flat_grads();
  for (int64_t i = 0; i < grads.numel(); ++i) EXPECT_EQ(grads.data()[i], 0.f);
  grads.data()[3] = 1.f;
  ASSERT_TRUE(params.ZeroGrads().ok());
  EXPECT_EQ(grads.data()[3], 0.f);
}

TEST(ParameterSetTest, InitialisationIsDeterministicPerSeedAndName) {
  auto make = [](uint64_t seed, bool extra_first) {
    auto params = std::make_unique<ParameterSet>();
    if (extra_first) params->Add("other", {7}, Init::kNormal001);
    params->Add("w", {16, 8}, Init::kXavierUniform);
    EXPECT_TRUE(params->Finalize(seed).ok());
    return params;
  };
  auto a = make(1, false), b = make(1, false), c = make(2, false), d = make(1, true);
  Tensor wa = a->value(0), wb = b->value(0), wc = c->value(0), wd = d->value(1);
  EXPECT_EQ(std::memcmp(wa.data(), wb.data(), sizeof(float) * 128), 0) << "same seed, same bits";
  EXPECT_NE(std::memcmp(wa.data(), wc.data(), sizeof(float) * 128), 0) << "another seed";
  EXPECT_EQ(std::memcmp(wa.data(), wd.data(), sizeof(float) * 128), 0) << "values depend on the name, not the order";
}

class LayersTest : public DeviceTest {};

// Central differences of <layer(x), up> with respect to every parameter (via
// the flat buffer) and x, against the accumulated gradients.
template <typename Layer>
void CheckLayerGradients(Device device, ParameterSet* params, Layer* layer, Tensor x, const Tensor& up) {
  ASSERT_TRUE(params->ZeroGrads().ok());
  Tensor y, dx;
  OPS_ASSERT_OK(layer->Forward(OnDevice(x, device), &y));
  ASSERT_EQ(y.shape(), up.shape());
  OPS_ASSERT_OK(layer->Backward(OnDevice(up, device), &dx));
  ASSERT_EQ(dx.shape(), x.shape());

  Tensor flat = params->flat_values();
  Tensor host_values = ToHost(flat);
  auto loss = [&] {
    OPS_EXPECT_OK(CopyInto(host_values, &flat));
    Tensor out;
    OPS_EXPECT_OK(layer->Forward(OnDevice(x, device), &out));
    return testing::Dot(out, up);
  };
  testing::ExpectGradientMatches("params", &host_values, params->flat_grads(), loss, 1e-3, 2e-2, 2e-3);
  testing::ExpectGradientMatches("x", &x, dx, loss, 1e-3, 2e-2, 2e-3);
  OPS_ASSERT_OK(CopyInto(host_values, &flat));

  // Gradients accumulate: a second backward doubles them.
  Tensor once = ToHost(params->flat_grads());
  Tensor out;
  OPS_ASSERT_OK(layer->Forward(OnDevice(x, device), &out));
  OPS_ASSERT_OK(layer->Backward(OnDevice(up, device), nullptr));
  Tensor twice = ToHost(params->flat_grads());
  for (int64_t i = 0; i < once.numel(); ++i) EXPECT_NEAR(twice.data()[i], 2 * once.data()[i], 1e-5) << i;
}

TEST_P(LayersTest, LinearGradientsThroughParameterSet) {
  for (Activation act : {Activation::kNone, Activation::kRelu, Activation::kSigmoid}) {
    SCOPED_TRACE(ActivationName(act));
    ParameterSet params(device());
    Linear layer(&params, "fc", 4, 3, act);
    ASSERT_TRUE(params.Finalize(3).ok());
    // A non-zero bias, so that ReLU sees both signs.
    Tensor bias = params.value(layer.bias_id());
    OPS_ASSERT_OK(CopyInto(testing::HostTensor({3}, {0.3f, -0.2f, 0.1f}), &bias));
    Rng rng(41);
    CheckLayerGradients(device(), &params, &layer, RandomTensor(&rng, {5, 4}), RandomTensor(&rng, {5, 3}));
  }
}

TEST_P(LayersTest, MlpGradientsThroughParameterSet) {
  ParameterSet params(device());
  Mlp mlp(&params, "deep", 6, {5, 4}, 2, Activation::kRelu, Activation::kSigmoid);
  EXPECT_EQ(params.count(), 6);
  EXPECT_EQ(params.size(), 6 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2);
  EXPECT_EQ(params.name(4), "deep.2.weight");
  ASSERT_TRUE(params.Finalize(4).ok());
  Rng rng(42);
  CheckLayerGradients(device(), &params, &mlp, RandomTensor(&rng, {3, 6}), RandomTensor(&rng, {3, 2}));
}

TEST_P(LayersTest, BuffersAreReusedOnceShapesAreStable) {
  ParameterSet params(device());
  Mlp mlp(&params, "deep", 8, {16}, 1);
  ASSERT_TRUE(params.Finalize(5).ok());
  Rng rng(43);
  const Tensor x = OnDevice(RandomTensor(&rng, {4, 8}), device());
  Tensor y, dx;
  OPS_ASSERT_OK(mlp.Forward(x, &y));
  OPS_ASSERT_OK(mlp.Backward(OnDevice(RandomTensor(&rng, {4, 1}), device()), &dx));
  const float* y_data = y.data();
  const float* dx_data = dx.data();
  OPS_ASSERT_OK(mlp.Forward(x, &y));
  OPS_ASSERT_OK(mlp.Backward(OnDevice(RandomTensor(&rng, {4, 1}), device()), &dx));
  EXPECT_EQ(y.data(), y_data);
  EXPECT_EQ(dx.data(), dx_data);
  // A new batch size reallocates.
  OPS_ASSERT_OK(mlp.Forward(OnDevice(RandomTensor(&rng, {2, 8}), device()), &y));
  EXPECT_EQ(y.shape(), (std::vector<int64_t>{2, 1}));
}

TEST_P(LayersTest, ErrorsAreStatuses) {
  ParameterSet params(device());
  Linear layer(&params, "fc", 4, 3);
  Tensor x = Tensor::Zeros({2, 4}, device()), y;
  EXPECT_EQ(layer.Forward(x, &y).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(params.Finalize(1).ok());
  EXPECT_EQ(layer.Backward(Tensor::Zeros({2, 3}, device()), nullptr).code(), StatusCode::kFailedPrecondition);
  const Status s = layer.Forward(Tensor::Zeros({2, 5}, device()), &y);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[2, 5]"), std::string_view::npos) << s;
  OPS_ASSERT_OK(layer.Forward(x, &y));
  EXPECT_EQ(layer.Backward(Tensor::Zeros({2, 4}, device()), nullptr).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(LayersTest);

}  // namespace
}  // namespace ember::ops
