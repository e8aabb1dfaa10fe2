// Tests of ops/combine.h on every device: forwards against direct
// definitions, backwards against central differences, CUDA against the CPU
// bit for bit (the same element functions, no atomics).
#include "ops/combine.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::OnDevice;
using testing::RandomTensor;
using testing::ToHost;

constexpr int64_t kRows = 4, kSrcCols = 5, kDstCols = 7, kWidth = 3, kSrcCol = 1, kDstCol = 2;

class CombineTest : public DeviceTest {
 protected:
  // dst_init with columns [kDstCol, kDstCol + kWidth) copied (or added) from src's [kSrcCol, ...).
  Tensor Columns(const Tensor& src, const Tensor& dst_init, bool add) {
    Tensor dst = OnDevice(dst_init, device());
    const Tensor on_device = OnDevice(src, device());
    OPS_EXPECT_OK(add ? AddColumns(on_device, kSrcCol, kWidth, &dst, kDstCol)
                      : CopyColumns(on_device, kSrcCol, kWidth, &dst, kDstCol));
    return ToHost(dst);
  }
  Tensor Apply(const Tensor& a, const Tensor& b, Status (*op)(const Tensor&, const Tensor&, Tensor*),
               std::vector<int64_t> out_shape) {
    Tensor out = Tensor::Zeros(std::move(out_shape), device());
    OPS_EXPECT_OK(op(OnDevice(a, device()), OnDevice(b, device()), &out));
    return ToHost(out);
  }
};

TEST_P(CombineTest, CopyAndAddColumnsTouchOnlyTheBlock) {
  Rng rng(301);
  const Tensor src = RandomTensor(&rng, {kRows, kSrcCols});
  const Tensor dst_init = RandomTensor(&rng, {kRows, kDstCols});
  for (bool add : {false, true}) {
    const Tensor dst = Columns(src, dst_init, add);
    for (int64_t r = 0; r < kRows; ++r) {
      for (int64_t c = 0; c < kDstCols; ++c) {
        float expected = dst_init.data()[r * kDstCols + c];
        if (c >= kDstCol && c < kDstCol + kWidth) {
          const float v = src.data()[r * kSrcCols + kSrcCol + (c - kDstCol)];
          expected = add ? expected + v : v;
        }
        EXPECT_EQ(dst.data()[r * kDstCols + c], expected) << (add ? "add " : "copy ") << r << "," << c;
      }
    }
  }
}

TEST_P(CombineTest, CopyColumnsGradientIsTheCopyBack) {
  Rng rng(302);
  Tensor src = RandomTensor(&rng, {kRows, kSrcCols});
  const Tensor up = RandomTensor(&rng, {kRows, kDstCols});
  // d <up, CopyColumns(src)> / d src = up's block copied back into src's columns, 0 elsewhere.
  Tensor dsrc = Tensor::Zeros({kRows, kSrcCols}, device());
  OPS_ASSERT_OK(CopyColumns(OnDevice(up, device()), kDstCol, kWidth, &dsrc, kSrcCol));
  const Tensor zeros = Tensor::Zeros({kRows, kDstCols});
  testing::ExpectGradientMatches("dsrc", &src, dsrc, [&] { return testing::Dot(Columns(src, zeros, false), up); });
}

TEST_P(CombineTest, ColumnOpsRejectBlocksOutsideTheMatrixAndOtherRows) {
  Tensor src = Tensor::Zeros({kRows, kSrcCols}, device()), dst = Tensor::Zeros({kRows, kDstCols}, device());
  EXPECT_EQ(CopyColumns(src, 3, 3, &dst, 0).code(), StatusCode::kInvalidArgument);  // past src's columns
  EXPECT_EQ(CopyColumns(src, 0, 3, &dst, 5).code(), StatusCode::kInvalidArgument);  // past dst's columns
  EXPECT_EQ(AddColumns(src, -1, 2, &dst, 0).code(), StatusCode::kInvalidArgument);
  Tensor short_dst = Tensor::Zeros({kRows - 1, kDstCols}, device());
  EXPECT_EQ(CopyColumns(src, 0, 2, &short_dst, 0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CopyColumns(src, 0, 2, &src, 3).code(), StatusCode::kInvalidArgument);  // the same buffer
  OPS_EXPECT_OK(CopyColumns(src, 0, 0, &dst, kDstCols));                            // an empty block
}

TEST_P(CombineTest, MultiplyAndItsGradient) {
  Rng rng(303);
  Tensor a = RandomTensor(&rng, {kRows, kWidth}), b = RandomTensor(&rng, {kRows, kWidth});
  const Tensor up = RandomTensor(&rng, {kRows, kWidth});
  const Tensor product = Apply(a, b, &Multiply, {kRows, kWidth});
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(product.data()[i], a.data()[i] * b.data()[i]) << i;
  Tensor da = Tensor::Zeros({kRows, kWidth}, device()), db = Tensor::Zeros({kRows, kWidth}, device());
  OPS_ASSERT_OK(MultiplyBackward(OnDevice(a, device()), OnDevice(b, device()), OnDevice(up, device()), &da, &db));
  testing::ExpectGradientMatches("da", &a, da, [&] {
    return testing::Dot(Apply(a, b, &Multiply, {kRows, kWidth}), up);
  });
  testing::ExpectGradientMatches("db", &b, db, [&] {
    return testing::Dot(Apply(a, b, &Multiply, {kRows, kWidth}), up);
  });
  Tensor wrong = Tensor::Zeros({kRows, kWidth + 1}, device());
  EXPECT_EQ(Multiply(OnDevice(a, device()), OnDevice(b, device()), &wrong).code(), StatusCode::kInvalidArgument);
}

TEST_P(CombineTest, RowDotAndItsGradient) {
  Rng rng(304);
  Tensor a = RandomTensor(&rng, {kRows, kSrcCols}), b = RandomTensor(&rng, {kRows, kSrcCols});
  const Tensor up = RandomTensor(&rng, {kRows, 1});
  const Tensor dots = Apply(a, b, &RowDot, {kRows, 1});
  for (int64_t r = 0; r < kRows; ++r) {
    double dot = 0;
    for (int64_t k = 0; k < kSrcCols; ++k) dot += a.data()[r * kSrcCols + k] * b.data()[r * kSrcCols + k];
    EXPECT_NEAR(dots.data()[r], dot, 1e-6) << r;
  }
  Tensor da = Tensor::Zeros(a.shape(), device()), db = Tensor::Zeros(b.shape(), device());
  OPS_ASSERT_OK(RowDotBackward(OnDevice(a, device()), OnDevice(b, device()), OnDevice(up, device()), &da, &db));
  testing::ExpectGradientMatches("da", &a, da, [&] { return testing::Dot(Apply(a, b, &RowDot, {kRows, 1}), up); });
  testing::ExpectGradientMatches("db", &b, db, [&] { return testing::Dot(Apply(a, b, &RowDot, {kRows, 1}), up); });
  Tensor wide = Tensor::Zeros({kRows, 2}, device());
  EXPECT_EQ(RowDot(OnDevice(a, device()), OnDevice(b, device()), &wide).code(), StatusCode::kInvalidArgument);
}

TEST_P(CombineTest, AddRowSumsAccumulatesAndBroadcastIsItsGradient) {
  Rng rng(305);
  Tensor x = RandomTensor(&rng, {kRows, kSrcCols});
  const Tensor init = RandomTensor(&rng, {kRows, 1}), up = RandomTensor(&rng, {kRows, 1});
  auto sums = [&](const Tensor& from) {
    Tensor out = OnDevice(from, device());
    OPS_EXPECT_OK(AddRowSums(OnDevice(x, device()), &out));
    return ToHost(out);
  };
  const Tensor out = sums(init);
  for (int64_t r = 0; r < kRows; ++r) {
    double sum = init.data()[r];
    for (int64_t k = 0; k < kSrcCols; ++k) sum += x.data()[r * kSrcCols + k];
    EXPECT_NEAR(out.data()[r], sum, 1e-6) << r;
  }
  Tensor dx = Tensor::Zeros(x.shape(), device());
  OPS_ASSERT_OK(BroadcastColumns(OnDevice(up, device()), &dx));
  const Tensor zeros = Tensor::Zeros({kRows, 1});
  testing::ExpectGradientMatches("dx", &x, dx, [&] { return testing::Dot(sums(zeros), up); });
}

TEST_P(CombineTest, CudaMatchesCpuBitForBit) {
  if (!on_cuda()) GTEST_SKIP() << "CPU is the reference";
  Rng rng(306);
  const int64_t rows = 257, cols = 33;
  const Tensor a = RandomTensor(&rng, {rows, cols}), b = RandomTensor(&rng, {rows, cols});
  for (auto op : {&Multiply}) {
    Tensor cpu_out = Tensor::Zeros({rows, cols}), cuda_out = Tensor::Zeros({rows, cols}, device());
    OPS_ASSERT_OK(op(a, b, &cpu_out));
    OPS_ASSERT_OK(op(OnDevice(a, device()), OnDevice(b, device()), &cuda_out));
    testing::ExpectAllClose(cpu_out, cuda_out, 0, 0, "Multiply");
  }
  Tensor cpu_dot = Tensor::Zeros({rows, 1}), cuda_dot = Tensor::Zeros({rows, 1}, device());
  OPS_ASSERT_OK(RowDot(a, b, &cpu_dot));
  OPS_ASSERT_OK(RowDot(OnDevice(a, device()), OnDevice(b, device()), &cuda_dot));
  testing::ExpectAllClose(cpu_dot, cuda_dot, 1e-6, 1e-6, "RowDot (fused multiply-adds may differ)");
  Tensor cpu_sum = Tensor::Zeros({rows, 1}), cuda_sum = Tensor::Zeros({rows, 1}, device());
  OPS_ASSERT_OK(AddRowSums(a, &cpu_sum));
  OPS_ASSERT_OK(AddRowSums(OnDevice(a, device()), &cuda_sum));
  testing::ExpectAllClose(cpu_sum, cuda_sum, 0, 0, "AddRowSums");
  Tensor cpu_dst = Tensor::Zeros({rows, cols + 4}), cuda_dst = Tensor::Zeros({rows, cols + 4}, device());
  OPS_ASSERT_OK(AddColumns(a, 2, 20, &cpu_dst, 3));
  OPS_ASSERT_OK(AddColumns(OnDevice(a, device()), 2, 20, &cuda_dst, 3));
  testing::ExpectAllClose(cpu_dst, cuda_dst, 0, 0, "AddColumns");
}

OPS_INSTANTIATE_DEVICE_TEST(CombineTest);

}  // namespace
}  // namespace ember::ops
