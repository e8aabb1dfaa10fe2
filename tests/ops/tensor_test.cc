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
  // With or without a GPU, memory on a device past the last usable one is
  // refused with a Status, not a crash; a build without CUDA sees none.
  const StatusOr<Tensor> past_the_last = Tensor::Allocate({2}, Device::Cuda(CudaDeviceCount()));
  EXPECT_FALSE(past_the_last.ok());
#if !EMBER_WITH_CUDA
  EXPECT_EQ(CudaDeviceCount(), 0);
  EXPECT_FALSE(CudaAvailable());
  EXPECT_EQ(past_the_last.status().code(), StatusCode::kUnimplemented) << past_the_last.status();
#endif
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
  Tensor copy = t.Clone().value();
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

TEST(TensorTest, AllocateReportsWhatItCannotHaveInsteadOfCrashing) {
  StatusOr<Tensor> zeros = Tensor::AllocateZeros({3, 2}, Device::Cpu());
  ASSERT_TRUE(zeros.ok()) << zeros.status();
  EXPECT_EQ(zeros->data()[5], 0.f);
  EXPECT_EQ(Tensor::Allocate({2, -1}, Device::Cpu()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::Allocate({1, 2, 3, 4, 5}, Device::Cpu()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Tensor::Allocate({int64_t{1} << 62, 4}, Device::Cpu()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(Tensor::Allocate({int64_t{1} << 60}, Device::Cpu()).ok());  // 4 EiB: ResourceExhausted
  if (!CudaAvailable()) {
    // No GPU (or no CUDA in the build): an error to report, not a CHECK.
    StatusOr<Tensor> gpu = Tensor::Allocate({16}, Device::Cuda(0));
    EXPECT_FALSE(gpu.ok());
    StatusOr<Tensor> copy = zeros->To(Device::Cuda(0));
    EXPECT_FALSE(copy.ok());
  }
}

TEST(TensorTest, SliceViewsPartOfTheStorage) {
  Tensor t = Tensor::Zeros({2, 3});
  for (int i = 0; i < 6; ++i) t.data()[i] = static_cast<float>(i);
  Tensor middle = t.Slice(2, 3);
  EXPECT_EQ(middle.shape(), (std::vector<int64_t>{3}));
  EXPECT_EQ(middle.data()[0], 2.f);
  OPS_ASSERT_OK(Scale(10.f, &middle));
  EXPECT_EQ(t.data()[1], 1.f);
  EXPECT_EQ(t.data()[4], 40.f);
  EXPECT_EQ(t.data()[5], 5.f);
  IndexTensor ids = IndexTensor::FromVector({5, 6, 7, 8});
  EXPECT_EQ(ids.Slice(1, 2).data()[1], 7);
}

TEST(TensorTest, AllocateHostAndCopyIntoAsyncOnTheCpu) {
  StatusOr<Tensor> plain = Tensor::AllocateHost({4}, /*pinned=*/false);
  ASSERT_TRUE(plain.ok()) << plain.status();
  for (int i = 0; i < 4; ++i) plain->data()[i] = static_cast<float>(i);
  Tensor copy = Tensor::Zeros({2, 2});
  OPS_ASSERT_OK(CopyIntoAsync(*plain, &copy));  // on the CPU a plain copy
  EXPECT_EQ(copy.data()[3], 3.f);
  Tensor wrong = Tensor::Zeros({3});
  EXPECT_EQ(CopyIntoAsync(*plain, &wrong).code(), StatusCode::kInvalidArgument);
}

TEST_P(TensorDeviceTest, AsyncCopiesThroughPinnedMemoryRoundTrip) {
  StatusOr<Tensor> pinned = Tensor::AllocateHost({256}, /*pinned=*/true);
  ASSERT_TRUE(pinned.ok()) << pinned.status();
  for (int i = 0; i < 256; ++i) pinned->data()[i] = 0.5f * static_cast<float>(i);
  StatusOr<Tensor> there = Tensor::AllocateZeros({256}, device());
  ASSERT_TRUE(there.ok()) << there.status();
  OPS_ASSERT_OK(CopyIntoAsync(*pinned, &*there));
  StatusOr<Tensor> back = Tensor::AllocateHost({256}, /*pinned=*/true);
  ASSERT_TRUE(back.ok());
  OPS_ASSERT_OK(CopyIntoAsync(*there, &*back));
  OPS_ASSERT_OK(Synchronize(device()));
  testing::ExpectAllClose(*back, *pinned, 0, 0, "pinned -> device -> pinned");
}

TEST(TensorDeathTest, HostCodeCannotTouchDeviceMemory) {
  // A view that says its memory is on a GPU: data() refuses it (no GPU is
  // needed, the memory is never read).
  float storage[4] = {};
  const Tensor on_gpu = Tensor::View(storage, {4}, Device::Cuda(0));
  EXPECT_EQ(on_gpu.device_data(), storage);
  EXPECT_DEATH((void)on_gpu.data(), "host code may not touch device memory");
  int32_t ids[2] = {};
  const IndexTensor ids_on_gpu = IndexTensor::View(ids, 2, Device::Cuda(0));
  EXPECT_DEATH((void)ids_on_gpu.data(), "host code may not touch device memory");
}

TEST_P(TensorDeviceTest, RoundTripThroughDevice) {
  const Tensor host = HostTensor({2, 2}, {1, 2, 3, 4});
  StatusOr<Tensor> on_device = host.To(device());
  OPS_ASSERT_OK(on_device.status());
  EXPECT_TRUE(on_device->device() == device());
  EXPECT_EQ(on_device->shape(), host.shape());
  Tensor clone = on_device->Clone().value();
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
  StatusOr<std::vector<int32_t>> back = ids.Clone()->ToVector();
  OPS_ASSERT_OK(back.status());
  EXPECT_EQ(*back, (std::vector<int32_t>{4, -1, 7}));
}

OPS_INSTANTIATE_DEVICE_TEST(TensorDeviceTest);

}  // namespace
}  // namespace ember::ops
