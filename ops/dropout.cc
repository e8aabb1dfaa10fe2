// Shape and device checks for ops/dropout.h, then a switch on the device.
#include "ops/dropout.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/dropout_kernels.h"

namespace ember::ops {
namespace {

Status CheckSame(const char* op, const char* name, const Tensor& t, const Tensor& like) {
  if (t.numel() != like.numel()) {
    return Status::InvalidArgument(op, ": ", name, " ", t.ShapeString(), " should hold ", like.numel(), " values");
  }
  return internal::CheckDevice(op, name, t.device(), like.device());
}

}  // namespace

Status DropoutForward(const Tensor& x, float rate, uint64_t seed, Tensor* y, Tensor* mask) {
  if (!(rate >= 0.f && rate < 1.f)) return Status::InvalidArgument("DropoutForward: rate ", rate, " not in [0, 1)");
  RETURN_IF_ERROR(CheckSame("DropoutForward", "y", *y, x));
  RETURN_IF_ERROR(CheckSame("DropoutForward", "mask", *mask, x));
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::DropoutForward(x, rate, seed, y, mask);
      EMBER_OPS_CUDA_CASE(x.device(), DropoutForward, x, rate, seed, y, mask)
  }
  return Status::Internal("DropoutForward: unknown device");
}

Status DropoutBackward(const Tensor& dy, const Tensor& mask, Tensor* dx) {
  RETURN_IF_ERROR(CheckSame("DropoutBackward", "mask", mask, dy));
  RETURN_IF_ERROR(CheckSame("DropoutBackward", "dx", *dx, dy));
  if (dy.numel() == 0) return Status::OK();
  switch (dy.device().type) {
    case DeviceType::kCpu:
      return cpu::DropoutBackward(dy, mask, dx);
      EMBER_OPS_CUDA_CASE(dy.device(), DropoutBackward, dy, mask, dx)
  }
  return Status::Internal("DropoutBackward: unknown device");
}

}  // namespace ember::ops
