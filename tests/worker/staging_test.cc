// worker/staging.h: views of the right shape in buffers that are reused
// while they fit, grow when they do not, and differ per slot and table.
#include "worker/staging.h"

#include <gtest/gtest.h>

namespace ember::worker {
namespace {

TEST(StagingBuffersTest, PlainHostViewsAreFreshTensors) {
  StagingBuffers plain(ops::Device::Cpu(), /*pinned=*/false);
  StatusOr<ops::Tensor> a = plain.View(0, 0, 10, 4), b = plain.View(0, 0, 10, 4);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->shape(), (std::vector<int64_t>{10, 4}));
  EXPECT_NE(a->device_data(), b->device_data());
}

// Pinned buffers (plain memory where no GPU is usable, kept all the same).
TEST(StagingBuffersTest, PinnedViewsReuseTheirBufferAndSlotsDoNotShare) {
  StagingBuffers host(ops::Device::Cpu(), /*pinned=*/true);
  StatusOr<ops::Tensor> a = host.View(0, 0, 10, 4);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->shape(), (std::vector<int64_t>{10, 4}));
  EXPECT_TRUE(a->device().is_cpu());
  StatusOr<ops::Tensor> smaller = host.View(0, 0, 3, 4);  // fits: the same memory
  ASSERT_TRUE(smaller.ok());
  EXPECT_EQ(smaller->device_data(), a->device_data());
  StatusOr<ops::Tensor> other_slot = host.View(1, 0, 10, 4), other_table = host.View(0, 1, 10, 4);
  ASSERT_TRUE(other_slot.ok() && other_table.ok());
  EXPECT_NE(other_slot->device_data(), a->device_data());
  EXPECT_NE(other_table->device_data(), a->device_data());
  EXPECT_NE(other_table->device_data(), other_slot->device_data());
  // A view of the old buffer stays valid when the buffer grows.
  a->data()[39] = 7.f;
  StatusOr<ops::Tensor> bigger = host.View(0, 0, 100, 4);
  ASSERT_TRUE(bigger.ok());
  EXPECT_EQ(bigger->numel(), 400);
  EXPECT_EQ(a->data()[39], 7.f);
  StatusOr<ops::Tensor> empty = host.View(StagingBuffers::kGradientSlot, 0, 0, 16);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->numel(), 0);
  EXPECT_EQ(host.View(StagingBuffers::kSlots, 0, 1, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(host.View(0, 0, -1, 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(StagingBuffersTest, CudaDeviceBuffersAreOnTheirDevice) {
  if (!ops::CudaAvailable()) GTEST_SKIP() << "no CUDA device";
  StagingBuffers on_gpu(ops::Device::Cuda(0), /*pinned=*/false);
  StatusOr<ops::Tensor> rows = on_gpu.View(1, 2, 64, 16);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_TRUE(rows->device() == ops::Device::Cuda(0));
  EXPECT_EQ(rows->shape(), (std::vector<int64_t>{64, 16}));
}

}  // namespace
}  // namespace ember::worker
