// Tests of ops/attention.h: masking, finite-difference gradients of inputs
// and parameters (on the CPU, where parameters can be perturbed in place),
// and CUDA against the CPU.
#include "ops/attention.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

constexpr int64_t kBatch = 3, kLen = 4, kDim = 4;
const std::vector<int32_t> kLengths = {4, 2, 0};

// A parameter's values as a host tensor that the gradient check can perturb
// (a view of the CPU ParameterSet's buffer).
Tensor ParameterView(ParameterSet* params, const std::string& name) {
  StatusOr<int> id = params->Find(name);
  EXPECT_TRUE(id.ok()) << name;
  return params->value(*id);
}

TEST(TargetAttentionTest, PaddingAndOrderOfTheHistoryDoNotMatter) {
  ParameterSet params;
  TargetAttention layer(&params, "din", kDim, {8});
  ASSERT_TRUE(params.Finalize(7).ok());
  Rng rng(101);
  Tensor seq = RandomTensor(&rng, {kBatch, kLen * kDim});
  const Tensor target = RandomTensor(&rng, {kBatch, kDim});
  const IndexTensor lengths = IndexTensor::FromVector(kLengths);
  Tensor out;
  OPS_ASSERT_OK(layer.Forward(seq, target, lengths, &out));
  const Tensor first = out.Clone().value();
  // Sample 1 has 2 real positions: swap them and scribble on its padding.
  for (int64_t d = 0; d < kDim; ++d) {
    std::swap(seq.data()[1 * kLen * kDim + d], seq.data()[1 * kLen * kDim + kDim + d]);
    seq.data()[1 * kLen * kDim + 3 * kDim + d] = 100.f;
  }
  OPS_ASSERT_OK(layer.Forward(seq, target, lengths, &out));
  for (int64_t i = 0; i < out.numel(); ++i) EXPECT_NEAR(out.data()[i], first.data()[i], 1e-5) << i;
  for (int64_t d = 0; d < kDim; ++d) EXPECT_EQ(out.data()[2 * kDim + d], 0.f) << "an empty history pools to 0";
}

TEST(TargetAttentionTest, GradientsMatchCentralDifferences) {
  ParameterSet params;
  TargetAttention layer(&params, "din", kDim, {6});
  ASSERT_TRUE(params.Finalize(8).ok());
  Rng rng(102);
  Tensor seq = RandomTensor(&rng, {kBatch, kLen * kDim}), target = RandomTensor(&rng, {kBatch, kDim});
  const Tensor up = RandomTensor(&rng, {kBatch, kDim});
  const IndexTensor lengths = IndexTensor::FromVector(kLengths);
  auto loss = [&] {
    Tensor out;
    OPS_EXPECT_OK(layer.Forward(seq, target, lengths, &out));
    return testing::Dot(out, up);
  };
  loss();
  ASSERT_TRUE(params.ZeroGrads().ok());
  Tensor dseq, dtarget;
  OPS_ASSERT_OK(layer.Backward(up, &dseq, &dtarget));
  const Tensor dweight = params.grad(*params.Find("din.mlp.0.weight")).Clone().value();
  // A small step: the MLP's ReLUs have kinks a large one would cross.
  testing::ExpectGradientMatches("dseq", &seq, dseq, loss, 1e-3);
  testing::ExpectGradientMatches("dtarget", &target, dtarget, loss, 1e-3);
  Tensor weight = ParameterView(&params, "din.mlp.0.weight");
  testing::ExpectGradientMatches("dmlp.0.weight", &weight, dweight, loss, 1e-3);
}

TEST(MultiHeadSelfAttentionTest, PaddingKeysDoNotChangeRealPositions) {
  ParameterSet params;
  MultiHeadSelfAttention layer(&params, "bst", kLen, kDim, /*heads=*/2);
  ASSERT_TRUE(params.Finalize(9).ok());
  Rng rng(103);
  Tensor x = RandomTensor(&rng, {kBatch, kLen * kDim});
  const IndexTensor lengths = IndexTensor::FromVector(kLengths);
  Tensor out;
  OPS_ASSERT_OK(layer.Forward(x, lengths, &out));
  const Tensor first = out.Clone().value();
  for (int64_t d = 0; d < 2 * kDim; ++d) x.data()[1 * kLen * kDim + 2 * kDim + d] = -50.f;  // sample 1's padding
  OPS_ASSERT_OK(layer.Forward(x, lengths, &out));
  for (int64_t j = 0; j < 2; ++j) {
    for (int64_t d = 0; d < kDim; ++d) {
      const int64_t i = 1 * kLen * kDim + j * kDim + d;
      EXPECT_NEAR(out.data()[i], first.data()[i], 1e-5) << "position " << j;
    }
  }
  for (int64_t i = 0; i < out.numel(); ++i) ASSERT_TRUE(std::isfinite(out.data()[i])) << i;
}

TEST(MultiHeadSelfAttentionTest, GradientsMatchCentralDifferences) {
  ParameterSet params;
  MultiHeadSelfAttention layer(&params, "bst", kLen, kDim, /*heads=*/2);
  ASSERT_TRUE(params.Finalize(10).ok());
  Rng rng(104);
  Tensor x = RandomTensor(&rng, {kBatch, kLen * kDim});
  const Tensor up = RandomTensor(&rng, {kBatch, kLen * kDim});
  const IndexTensor lengths = IndexTensor::FromVector({4, 3, 1});
  auto loss = [&] {
    Tensor out;
    OPS_EXPECT_OK(layer.Forward(x, lengths, &out));
    return testing::Dot(out, up);
  };
  loss();
  ASSERT_TRUE(params.ZeroGrads().ok());
  Tensor dx;
  OPS_ASSERT_OK(layer.Backward(up, &dx));
  testing::ExpectGradientMatches("dx", &x, dx, loss);
  for (const std::string name : {"bst.positions", "bst.q.weight", "bst.k.weight", "bst.v.weight", "bst.o.weight"}) {
    const Tensor grad = params.grad(*params.Find(name)).Clone().value();
    Tensor value = ParameterView(&params, name);
    testing::ExpectGradientMatches(name, &value, grad, loss);
  }
}

TEST(AttentionCudaTest, MatchesCpu) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  Rng rng(105);
  const int64_t batch = 16, len = 10, dim = 8;
  std::vector<int32_t> lens(batch);
  for (int64_t b = 0; b < batch; ++b) lens[b] = static_cast<int32_t>(b % (len + 1));
  const Tensor seq = RandomTensor(&rng, {batch, len * dim}), target = RandomTensor(&rng, {batch, dim}),
               up = RandomTensor(&rng, {batch, len * dim}), up_pooled = RandomTensor(&rng, {batch, dim});
  auto run = [&](Device device) {
    ParameterSet params(device);
    TargetAttention din(&params, "din", dim, {8});
    MultiHeadSelfAttention bst(&params, "bst", len, dim, 2);
    EXPECT_TRUE(params.Finalize(11).ok());
    const IndexTensor lengths = OnDevice(lens, device);
    Tensor pooled, attended, dseq, dtarget, dx;
    OPS_EXPECT_OK(din.Forward(OnDevice(seq, device), OnDevice(target, device), lengths, &pooled));
    OPS_EXPECT_OK(bst.Forward(OnDevice(seq, device), lengths, &attended));
    OPS_EXPECT_OK(din.Backward(OnDevice(up_pooled, device), &dseq, &dtarget));
    OPS_EXPECT_OK(bst.Backward(OnDevice(up, device), &dx));
    return std::vector<Tensor>{ToHost(pooled),  ToHost(attended), ToHost(dseq),
                               ToHost(dtarget), ToHost(dx),       ToHost(params.flat_grads())};
  };
  const std::vector<Tensor> cpu = run(Device::Cpu()), gpu = run(Device::Cuda(0));
  for (size_t i = 0; i < cpu.size(); ++i) {
    testing::ExpectAllClose(gpu[i], cpu[i], 1e-3, 1e-5, "output " + std::to_string(i));
  }
}

}  // namespace
}  // namespace ember::ops
