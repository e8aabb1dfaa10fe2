// Tests of ops/sequence.h on every device: forwards against direct
// definitions, backwards against central differences, CUDA against the CPU.
#include "ops/sequence.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

constexpr int64_t kBatch = 3, kLen = 4, kDim = 3;
const std::vector<int32_t> kLengths = {4, 2, 0};

class SequenceTest : public DeviceTest {
 protected:
  IndexTensor lengths() { return OnDevice(kLengths, device()); }
  Tensor Pool(const Tensor& x, bool mean) {
    Tensor out = Tensor::Zeros({kBatch, kDim}, device());
    OPS_EXPECT_OK(SequencePoolForward(OnDevice(x, device()), lengths(), kDim, mean, &out));
    return ToHost(out);
  }
  Tensor WeightedPool(const Tensor& x, const Tensor& w) {
    Tensor out = Tensor::Zeros({kBatch, kDim}, device());
    OPS_EXPECT_OK(WeightedSequencePoolForward(OnDevice(x, device()), OnDevice(w, device()), lengths(), kDim, &out));
    return ToHost(out);
  }
  Tensor Features(const Tensor& seq, const Tensor& target) {
    Tensor out = Tensor::Zeros({kBatch * kLen, 4 * kDim}, device());
    OPS_EXPECT_OK(TargetAttentionFeaturesForward(OnDevice(seq, device()), OnDevice(target, device()), kDim, &out));
    return ToHost(out);
  }
};

TEST_P(SequenceTest, PoolSumsOrAveragesTheRealPositionsOnly) {
  Rng rng(91);
  const Tensor x = RandomTensor(&rng, {kBatch, kLen * kDim});
  for (bool mean : {false, true}) {
    const Tensor out = Pool(x, mean);
    for (int64_t b = 0; b < kBatch; ++b) {
      for (int64_t d = 0; d < kDim; ++d) {
        double sum = 0;
        for (int64_t j = 0; j < kLengths[b]; ++j) sum += x.data()[b * kLen * kDim + j * kDim + d];
        if (mean && kLengths[b] > 0) sum /= kLengths[b];
        EXPECT_NEAR(out.data()[b * kDim + d], sum, 1e-6) << (mean ? "mean " : "sum ") << b << "," << d;
      }
    }
  }
}

TEST_P(SequenceTest, PoolBackwardMatchesCentralDifferences) {
  Rng rng(92);
  Tensor x = RandomTensor(&rng, {kBatch, kLen * kDim});
  const Tensor up = RandomTensor(&rng, {kBatch, kDim});
  for (bool mean : {false, true}) {
    Tensor dx = Tensor::Zeros(x.shape(), device());
    OPS_ASSERT_OK(SequencePoolBackward(OnDevice(up, device()), lengths(), kDim, mean, &dx));
    testing::ExpectGradientMatches("dx", &x, dx, [&] { return testing::Dot(Pool(x, mean), up); });
  }
}

TEST_P(SequenceTest, WeightedPoolAndItsBackward) {
  Rng rng(93);
  Tensor x = RandomTensor(&rng, {kBatch, kLen * kDim}), w = RandomTensor(&rng, {kBatch, kLen});
  const Tensor out = WeightedPool(x, w);
  for (int64_t b = 0; b < kBatch; ++b) {
    for (int64_t d = 0; d < kDim; ++d) {
      double sum = 0;
      for (int64_t j = 0; j < kLengths[b]; ++j)
        sum += w.data()[b * kLen + j] * x.data()[b * kLen * kDim + j * kDim + d];
      EXPECT_NEAR(out.data()[b * kDim + d], sum, 1e-6);
    }
  }
  const Tensor up = RandomTensor(&rng, {kBatch, kDim});
  Tensor dx = Tensor::Zeros(x.shape(), device()), dw = Tensor::Zeros(w.shape(), device());
  OPS_ASSERT_OK(WeightedSequencePoolBackward(OnDevice(x, device()), OnDevice(w, device()), lengths(),
                                             OnDevice(up, device()), kDim, &dx, &dw));
  auto loss = [&] { return testing::Dot(WeightedPool(x, w), up); };
  testing::ExpectGradientMatches("dx", &x, dx, loss);
  testing::ExpectGradientMatches("dweights", &w, dw, loss);
}

TEST_P(SequenceTest, TargetAttentionFeaturesAndTheirBackwardAccumulates) {
  Rng rng(94);
  Tensor seq = RandomTensor(&rng, {kBatch, kLen * kDim}), target = RandomTensor(&rng, {kBatch, kDim});
  const Tensor features = Features(seq, target);
  for (int64_t b = 0; b < kBatch; ++b) {
    for (int64_t j = 0; j < kLen; ++j) {
      for (int64_t d = 0; d < kDim; ++d) {
        const float e = seq.data()[b * kLen * kDim + j * kDim + d], t = target.data()[b * kDim + d];
        const float* row = features.data() + (b * kLen + j) * 4 * kDim;
        EXPECT_FLOAT_EQ(row[d], e);
        EXPECT_FLOAT_EQ(row[kDim + d], t);
        EXPECT_FLOAT_EQ(row[2 * kDim + d], e - t);
        EXPECT_FLOAT_EQ(row[3 * kDim + d], e * t);
      }
    }
  }
  const Tensor up = RandomTensor(&rng, {kBatch * kLen, 4 * kDim});
  const Tensor dseq_init = RandomTensor(&rng, seq.shape()), dtarget_init = RandomTensor(&rng, target.shape());
  Tensor dseq = OnDevice(dseq_init, device()), dtarget = OnDevice(dtarget_init, device());
  OPS_ASSERT_OK(TargetAttentionFeaturesBackward(OnDevice(seq, device()), OnDevice(target, device()),
                                                OnDevice(up, device()), kDim, &dseq, &dtarget));
  Tensor dseq_delta = ToHost(dseq), dtarget_delta = ToHost(dtarget);
  for (int64_t i = 0; i < seq.numel(); ++i) dseq_delta.data()[i] -= dseq_init.data()[i];
  for (int64_t i = 0; i < target.numel(); ++i) dtarget_delta.data()[i] -= dtarget_init.data()[i];
  auto loss = [&] { return testing::Dot(Features(seq, target), up); };
  testing::ExpectGradientMatches("dseq", &seq, dseq_delta, loss);
  testing::ExpectGradientMatches("dtarget", &target, dtarget_delta, loss);
}

// Two heads of dim 2 over sequences of 4: scores, apply, and both backwards.
TEST_P(SequenceTest, HeadScoresAndApplyMatchPerHeadProductsAndDifferences) {
  constexpr int64_t kHeads = 2, kWidth = 4;
  Rng rng(95);
  Tensor q = RandomTensor(&rng, {kBatch * kLen, kWidth}), k = RandomTensor(&rng, {kBatch * kLen, kWidth});
  Tensor a = RandomTensor(&rng, {kBatch * kHeads * kLen, kLen}), v = RandomTensor(&rng, {kBatch * kLen, kWidth});
  const float scale = 0.7f;
  auto scores = [&] {
    Tensor s = Tensor::Zeros({kBatch * kHeads * kLen, kLen}, device());
    OPS_EXPECT_OK(HeadScoresForward(OnDevice(q, device()), OnDevice(k, device()), kLen, kHeads, scale, &s));
    return ToHost(s);
  };
  auto apply = [&] {
    Tensor o = Tensor::Zeros({kBatch * kLen, kWidth}, device());
    OPS_EXPECT_OK(HeadApplyForward(OnDevice(a, device()), OnDevice(v, device()), kLen, kHeads, &o));
    return ToHost(o);
  };
  const Tensor s = scores(), o = apply();
  for (int64_t b = 0; b < kBatch; ++b) {
    for (int64_t h = 0; h < kHeads; ++h) {
      for (int64_t i = 0; i < kLen; ++i) {
        for (int64_t j = 0; j < kLen; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < 2; ++d)
            dot += q.data()[(b * kLen + i) * kWidth + h * 2 + d] * k.data()[(b * kLen + j) * kWidth + h * 2 + d];
          EXPECT_NEAR(s.data()[((b * kHeads + h) * kLen + i) * kLen + j], scale * dot, 1e-6);
        }
        for (int64_t d = 0; d < 2; ++d) {
          double sum = 0;
          for (int64_t j = 0; j < kLen; ++j)
            sum += a.data()[((b * kHeads + h) * kLen + i) * kLen + j] * v.data()[(b * kLen + j) * kWidth + h * 2 + d];
          EXPECT_NEAR(o.data()[(b * kLen + i) * kWidth + h * 2 + d], sum, 1e-6);
        }
      }
    }
  }
  const Tensor ds = RandomTensor(&rng, s.shape()), dout = RandomTensor(&rng, o.shape());
  Tensor dq = Tensor::Zeros(q.shape(), device()), dk = Tensor::Zeros(k.shape(), device());
  OPS_ASSERT_OK(HeadScoresBackward(OnDevice(q, device()), OnDevice(k, device()), OnDevice(ds, device()), kLen, kHeads,
                                   scale, &dq, &dk));
  testing::ExpectGradientMatches("dq", &q, dq, [&] { return testing::Dot(scores(), ds); });
  testing::ExpectGradientMatches("dk", &k, dk, [&] { return testing::Dot(scores(), ds); });
  Tensor da = Tensor::Zeros(a.shape(), device()), dv = Tensor::Zeros(v.shape(), device());
  OPS_ASSERT_OK(HeadApplyBackward(OnDevice(a, device()), OnDevice(v, device()), OnDevice(dout, device()), kLen, kHeads,
                                  &da, &dv));
  testing::ExpectGradientMatches("dattention", &a, da, [&] { return testing::Dot(apply(), dout); });
  testing::ExpectGradientMatches("dv", &v, dv, [&] { return testing::Dot(apply(), dout); });
}

TEST_P(SequenceTest, MatchesCpu) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(96);
  const int64_t batch = 64, len = 20, dim = 8, heads = 2;
  std::vector<int32_t> lens(batch);
  for (int64_t b = 0; b < batch; ++b) lens[b] = static_cast<int32_t>(b % (len + 1));
  const Tensor x = RandomTensor(&rng, {batch, len * dim}), w = RandomTensor(&rng, {batch, len}),
               target = RandomTensor(&rng, {batch, dim}), q = RandomTensor(&rng, {batch * len, dim}),
               k = RandomTensor(&rng, {batch * len, dim});
  auto run = [&](Device device) {
    std::vector<Tensor> outs;
    const IndexTensor l = OnDevice(lens, device);
    Tensor pool = Tensor::Zeros({batch, dim}, device), weighted = Tensor::Zeros({batch, dim}, device),
           features = Tensor::Zeros({batch * len, 4 * dim}, device),
           scores = Tensor::Zeros({batch * heads * len, len}, device),
           applied = Tensor::Zeros({batch * len, dim}, device);
    OPS_EXPECT_OK(SequencePoolForward(OnDevice(x, device), l, dim, true, &pool));
    OPS_EXPECT_OK(WeightedSequencePoolForward(OnDevice(x, device), OnDevice(w, device), l, dim, &weighted));
    OPS_EXPECT_OK(TargetAttentionFeaturesForward(OnDevice(x, device), OnDevice(target, device), dim, &features));
    OPS_EXPECT_OK(HeadScoresForward(OnDevice(q, device), OnDevice(k, device), len, heads, 0.5f, &scores));
    OPS_EXPECT_OK(HeadApplyForward(scores, OnDevice(k, device), len, heads, &applied));
    for (Tensor* t : {&pool, &weighted, &features, &scores, &applied}) outs.push_back(ToHost(*t));
    return outs;
  };
  const std::vector<Tensor> cpu = run(Device::Cpu()), gpu = run(device());
  for (size_t i = 0; i < cpu.size(); ++i)
    testing::ExpectAllClose(gpu[i], cpu[i], 1e-5, 1e-6, "output " + std::to_string(i));
}

TEST_P(SequenceTest, BadShapesAndLengthsAreInvalidArgument) {
  Tensor x = Tensor::Zeros({kBatch, kLen * kDim}, device()), out = Tensor::Zeros({kBatch, kDim}, device());
  const Status too_long = SequencePoolForward(x, OnDevice(std::vector<int32_t>{1, 5, 0}, device()), kDim, false, &out);
  EXPECT_EQ(too_long.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_long.message().find("lengths[1] = 5"), std::string_view::npos) << too_long;
  EXPECT_EQ(SequencePoolForward(x, lengths(), 5, false, &out).code(), StatusCode::kInvalidArgument);
  Tensor q = Tensor::Zeros({7, 4}, device()), s = Tensor::Zeros({14, 4}, device());
  EXPECT_EQ(HeadScoresForward(q, q, 4, 2, 1.f, &s).code(), StatusCode::kInvalidArgument);
}

OPS_INSTANTIATE_DEVICE_TEST(SequenceTest);

}  // namespace
}  // namespace ember::ops
