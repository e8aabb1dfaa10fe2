// Tests of ops/embedding_pool.h on every device.
#include "ops/embedding_pool.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::HostTensor;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

// Bags: {3, 3, 0} (duplicate id), {} (empty), {4}, {1, 2}.
const std::vector<int32_t> kIds = {3, 3, 0, 4, 1, 2};
const std::vector<int32_t> kOffsets = {0, 3, 3, 4, 6};
constexpr int64_t kRows = 5, kDim = 3, kBags = 4, kCols = 7, kColOffset = 2;

Tensor Pool(Device device, const Tensor& rows, PoolMode mode, const Tensor& out_init) {
  Tensor out = OnDevice(out_init, device);
  OPS_EXPECT_OK(EmbeddingPoolForward(OnDevice(rows, device), OnDevice(kIds, device), OnDevice(kOffsets, device), mode,
                                     kColOffset, &out));
  return ToHost(out);
}

Tensor PoolGrad(Device device, const Tensor& dout, PoolMode mode, const Tensor& drows_init) {
  Tensor drows = OnDevice(drows_init, device);
  OPS_EXPECT_OK(EmbeddingPoolBackward(OnDevice(dout, device), kColOffset, OnDevice(kIds, device),
                                      OnDevice(kOffsets, device), mode, &drows));
  return ToHost(drows);
}

class EmbeddingPoolModeTest : public ::testing::TestWithParam<std::tuple<DeviceType, PoolMode>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == DeviceType::kCuda && !CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  }
  Device device() const { return testing::DeviceFor(std::get<0>(GetParam())); }
  PoolMode mode() const { return std::get<1>(GetParam()); }
};

TEST_P(EmbeddingPoolModeTest, ForwardPoolsIntoColumnBlockAndLeavesOtherColumns) {
  Rng rng(31);
  const Tensor rows = RandomTensor(&rng, {kRows, kDim});
  const Tensor out_init = RandomTensor(&rng, {kBags, kCols});
  const Tensor out = Pool(device(), rows, mode(), out_init);
  for (int64_t b = 0; b < kBags; ++b) {
    const int32_t begin = kOffsets[b], end = kOffsets[b + 1];
    for (int64_t c = 0; c < kCols; ++c) {
      double expected = out_init.data()[b * kCols + c];
      if (c >= kColOffset && c < kColOffset + kDim) {
        expected = 0;
        for (int32_t i = begin; i < end; ++i) expected += rows.data()[kIds[i] * kDim + (c - kColOffset)];
        if (mode() == PoolMode::kMean && end > begin) expected /= (end - begin);
      }
      EXPECT_NEAR(out.data()[b * kCols + c], expected, 1e-6) << "bag " << b << " column " << c;
    }
  }
}

TEST_P(EmbeddingPoolModeTest, BackwardMatchesCentralDifferencesWithDuplicatesAndAccumulates) {
  Rng rng(32);
  Tensor rows = RandomTensor(&rng, {kRows, kDim});
  const Tensor up = RandomTensor(&rng, {kBags, kCols});
  const Tensor drows_init = RandomTensor(&rng, {kRows, kDim});
  Tensor delta = PoolGrad(device(), up, mode(), drows_init);
  for (int64_t i = 0; i < delta.numel(); ++i) delta.data()[i] -= drows_init.data()[i];
  const Tensor zeros = Tensor::Zeros({kBags, kCols});
  testing::ExpectGradientMatches("drows", &rows, delta,
                                 [&] { return testing::Dot(Pool(device(), rows, mode(), zeros), up); });
  // Row 3 appears twice in bag 0: its gradient is twice bag 0's upstream (over 3 for mean).
  const double scale = mode() == PoolMode::kMean ? 2.0 / 3.0 : 2.0;
  for (int64_t d = 0; d < kDim; ++d) {
    EXPECT_NEAR(delta.data()[3 * kDim + d], scale * up.data()[0 * kCols + kColOffset + d], 1e-5);
  }
}

TEST_P(EmbeddingPoolModeTest, MatchesCpu) {
  if (std::get<0>(GetParam()) != DeviceType::kCuda) GTEST_SKIP() << "CPU is the reference";
  Rng rng(33);
  const int64_t rows_n = 50, dim = 16, bags = 64, cols = 40, col_offset = 8;
  std::vector<int32_t> ids, offsets = {0};
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t len = static_cast<int64_t>(rng.UniformInt(6));  // includes empty bags
    for (int64_t i = 0; i < len; ++i) ids.push_back(static_cast<int32_t>(rng.UniformInt(rows_n)));
    offsets.push_back(static_cast<int32_t>(ids.size()));
  }
  const Tensor rows = RandomTensor(&rng, {rows_n, dim}), dout = RandomTensor(&rng, {bags, cols});
  Tensor results[2][2];
  const Device devices[2] = {Device::Cpu(), device()};
  for (int k = 0; k < 2; ++k) {
    Tensor out = Tensor::Zeros({bags, cols}, devices[k]);
    OPS_ASSERT_OK(EmbeddingPoolForward(OnDevice(rows, devices[k]), OnDevice(ids, devices[k]),
                                       OnDevice(offsets, devices[k]), mode(), col_offset, &out));
    Tensor drows = Tensor::Zeros({rows_n, dim}, devices[k]);
    OPS_ASSERT_OK(EmbeddingPoolBackward(OnDevice(dout, devices[k]), col_offset, OnDevice(ids, devices[k]),
                                        OnDevice(offsets, devices[k]), mode(), &drows));
    results[k][0] = ToHost(out);
    results[k][1] = ToHost(drows);
  }
  testing::ExpectAllClose(results[1][0], results[0][0], 1e-5, 1e-6, "out");
  testing::ExpectAllClose(results[1][1], results[0][1], 1e-5, 1e-5, "drows");
}

// The CUDA backward adds without atomics, each row's occurrences in the
// CPU's order: the same bits on every run and, summing, as the CPU; also
// when the offsets start past ids[0] and with many duplicates.
TEST_P(EmbeddingPoolModeTest, CudaBackwardRepeatsBitForBitAndSumsAsTheCpu) {
  if (std::get<0>(GetParam()) != DeviceType::kCuda) GTEST_SKIP() << "a CUDA case";
  Rng rng(34);
  const int64_t rows_n = 7, dim = 5, bags = 300, cols = 9, col_offset = 3;
  std::vector<int32_t> ids = {1, 2, 3}, offsets = {3};  // 3 ids before the first bag
  for (int64_t b = 0; b < bags; ++b) {
    const int64_t len = static_cast<int64_t>(rng.UniformInt(5));
    for (int64_t i = 0; i < len; ++i) ids.push_back(static_cast<int32_t>(rng.UniformInt(rows_n)));
    offsets.push_back(static_cast<int32_t>(ids.size()));
  }
  const Tensor dout = RandomTensor(&rng, {bags, cols}), init = RandomTensor(&rng, {rows_n, dim});
  auto backward = [&](Device on) {
    Tensor drows = OnDevice(init, on);
    OPS_EXPECT_OK(EmbeddingPoolBackward(OnDevice(dout, on), col_offset, OnDevice(ids, on), OnDevice(offsets, on),
                                        mode(), &drows));
    return ToHost(drows);
  };
  const Tensor first = backward(device()), second = backward(device()), cpu = backward(Device::Cpu());
  testing::ExpectAllClose(second, first, 0, 0, "two CUDA runs");
  // Mean mode may contract scale * g + acc into one fused multiply-add.
  const double tolerance = mode() == PoolMode::kSum ? 0 : 1e-6;
  testing::ExpectAllClose(first, cpu, tolerance, tolerance, "CUDA against the CPU");
}

TEST_P(EmbeddingPoolModeTest, ShapeMismatchIsInvalidArgument) {
  Tensor rows = Tensor::Zeros({kRows, kDim}, device());
  IndexTensor ids = OnDevice(kIds, device()), offsets = OnDevice(kOffsets, device());
  Tensor narrow = Tensor::Zeros({kBags, 4}, device());  // col_offset 2 + D 3 > 4
  Status s = EmbeddingPoolForward(rows, ids, offsets, mode(), kColOffset, &narrow);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("[4, 4]"), std::string_view::npos) << s;
  Tensor too_few_bags = Tensor::Zeros({kBags - 1, kCols}, device());
  EXPECT_EQ(EmbeddingPoolForward(rows, ids, offsets, mode(), 0, &too_few_bags).code(), StatusCode::kInvalidArgument);
  Tensor out = Tensor::Zeros({kBags, kCols}, device());
  EXPECT_EQ(EmbeddingPoolForward(rows, ids, offsets, mode(), -1, &out).code(), StatusCode::kInvalidArgument);
  Tensor bad_drows = Tensor::Zeros({kRows}, device());
  EXPECT_EQ(EmbeddingPoolBackward(out, 0, ids, offsets, mode(), &bad_drows).code(), StatusCode::kInvalidArgument);
}

std::string ModeTestName(const ::testing::TestParamInfo<std::tuple<DeviceType, PoolMode>>& info) {
  return std::string(std::get<0>(info.param) == DeviceType::kCpu ? "Cpu" : "Cuda") +
         (std::get<1>(info.param) == PoolMode::kSum ? "Sum" : "Mean");
}

INSTANTIATE_TEST_SUITE_P(DevicesAndModes, EmbeddingPoolModeTest,
                         ::testing::Combine(::testing::Values(DeviceType::kCpu, DeviceType::kCuda),
                                            ::testing::Values(PoolMode::kSum, PoolMode::kMean)),
                         ModeTestName);

// The CPU reference validates every id and offset.
TEST(EmbeddingPoolCpuTest, BadIdsAndOffsetsAreInvalidArgument) {
  Tensor rows = Tensor::Zeros({kRows, kDim}), out = Tensor::Zeros({2, kDim});
  IndexTensor offsets = IndexTensor::FromVector({0, 1, 2});
  Status s = EmbeddingPoolForward(rows, IndexTensor::FromVector({0, 5}), offsets, PoolMode::kSum, 0, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("ids[1] = 5"), std::string_view::npos) << s;
  EXPECT_EQ(EmbeddingPoolForward(rows, IndexTensor::FromVector({0, -1}), offsets, PoolMode::kSum, 0, &out).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EmbeddingPoolForward(rows, IndexTensor::FromVector({0, 1}), IndexTensor::FromVector({0, 2, 1}),
                                 PoolMode::kSum, 0, &out)
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(EmbeddingPoolBackward(out, 0, IndexTensor::FromVector({0}), offsets, PoolMode::kSum, &rows).code(),
            StatusCode::kInvalidArgument);
}

TEST(EmbeddingPoolCpuTest, ParsePoolMode) {
  EXPECT_EQ(*ParsePoolMode("sum"), PoolMode::kSum);
  EXPECT_EQ(*ParsePoolMode("mean"), PoolMode::kMean);
  EXPECT_EQ(ParsePoolMode("max").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ember::ops
