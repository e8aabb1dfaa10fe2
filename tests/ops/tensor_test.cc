// Tests of ops/tensor.h on every device.
#include "ops/tensor.h"

#include "tests/ops/test_util.h"

namespace ember::ops {
namespace {

using testing::DeviceTest;
using testing::HostTensor;
using testing::ToHost;

TEST(DeviceTest, NamesAndEquality) {
  EXPECT_EQ(Device::Cpu().DebugString(), "cpu");
  EXPECT_EQ(Device::Cuda(1).DebugString(), "cuda:1");
  EXPECT_TRUE(Device::Cuda(0) == Device::Cuda());
  EXPECT_FALSE(Device::Cuda(0) == Device::Cuda(1));
  EXPECT_FALSE(Device::Cpu() == Device::Cuda(0));
  // Never crashes, with or without a GPU.
  EXPECT_EQ(CudaAvailable(), CudaDeviceCount() > 0);
}

TEST(TensorTest, ShapesViewsAndCopies) {
  Tensor empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.ndim(), 0);
  EXPECT_EQ(empty.rows(), 0);

  Tensor t = Tensor::Zeros({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.rows(), 2);
  EXPECT_EQ(t.cols(), 12);
  EXPECT_EQ(t.dim(-1), 4);
  EXPECT_EQ(t.DebugString(), "Tensor[2, 3, 4] on cpu");
  for (int64_t i = 0; i < 24; ++i) EXPECT_EQ(t.data()[i], 0.f);

  Tensor flat = t.Reshaped({24});
  flat.data()[5] = 7.f;
  EXPECT_EQ(t.data()[5], 7.f) << "Reshaped shares storage";
  Tensor copy = t.Clone();
  copy.data()[5] = 1.f;
  EXPECT_EQ(t.data()[5], 7.f) << "Clone is deep";

  float buffer[6] = {1, 2, 3, 4, 5, 6};
  Tensor view = Tensor::View(buffer, {3, 2});
  EXPECT_FALSE(view.owns_data());
  view.data()[0] = 9.f;
  EXPECT_EQ(buffer[0], 9.f);

  EXPECT_EQ(CopyInto(view, &t).code(), StatusCode::kInvalidArgument);
  OPS_EXPECT_OK(Fill(2.5f, &t));
  EXPECT_EQ(t.data()[23], 2.5f);
}

TEST(TensorTest, ViewKeepsOwnerAlive) {
  Tensor reshaped;
  {
    Tensor owner = Tensor::Zeros({4});
    owner.data()[3] = 3.f;
    reshaped = owner.Reshaped({2, 2});
  }
  EXPECT_EQ(reshaped.data()[3], 3.f);
}

class TensorDeviceTest : public DeviceTest {};

TEST_P(TensorDeviceTest, RoundTripThroughDevice) {
  const Tensor host = HostTensor({2, 2}, {1, 2, 3, 4});
  StatusOr<Tensor> on_device = host.To(device());
  OPS_ASSERT_OK(on_device.status());
  EXPECT_TRUE(on_device->device() == device());
  EXPECT_EQ(on_device->shape(), host.shape());
  Tensor clone = on_device->Clone();
  testing::ExpectAllClose(ToHost(clone), host, 0, 0, "round trip");

  Tensor zeros = Tensor::Zeros({3}, device());
  testing::ExpectAllClose(ToHost(zeros), HostTensor({3}, {0, 0, 0}), 0, 0, "zeros");
  OPS_ASSERT_OK(Fill(-1.5f, &zeros));
  testing::ExpectAllClose(ToHost(zeros), HostTensor({3}, {-1.5f, -1.5f, -1.5f}), 0, 0, "fill");
  OPS_ASSERT_OK(SetZero(&zeros));
  testing::ExpectAllClose(ToHost(zeros), HostTensor({3}, {0, 0, 0}), 0, 0, "set zero");
  OPS_ASSERT_OK(Synchronize(device()));

  IndexTensor ids = IndexTensor::FromVector({4, -1, 7}, device());
  EXPECT_EQ(ids.numel(), 3);
  StatusOr<std::vector<int32_t>> back = ids.Clone().ToVector();
  OPS_ASSERT_OK(back.status());
  EXPECT_EQ(*back, (std::vector<int32_t>{4, -1, 7}));
}

OPS_INSTANTIATE_DEVICE_TEST(TensorDeviceTest);

}  // namespace
}  // namespace ember::ops
