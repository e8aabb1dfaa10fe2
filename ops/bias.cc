// Shape and device checks for ops/bias.h, then a switch on the device.
#include "ops/bias.h"

#include "ops/internal/dispatch.h"

namespace ember::ops {

Status BiasAdd(const Tensor& bias, Tensor* y) {
  if (bias.ndim() != 1 || y->ndim() < 1 || bias.dim(0) != y->cols()) {
    return Status::InvalidArgument("BiasAdd: bias ", bias.ShapeString(), " does not match the rows of y ",
                                   y->ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("BiasAdd", "bias", bias.device(), y->device()));
  switch (y->device().type) {
    case DeviceType::kCpu:
      return cpu::BiasAdd(bias, y);
      EMBER_OPS_CUDA_CASE(y->device(), BiasAdd, bias, y)
  }
  return Status::Internal("BiasAdd: unknown device");
}

Status BiasBackward(const Tensor& dy, Tensor* dbias) {
  if (dbias->ndim() != 1 || dy.ndim() < 1 || dbias->dim(0) != dy.cols()) {
    return Status::InvalidArgument("BiasBackward: dbias ", dbias->ShapeString(), " does not match the rows of dy ",
                                   dy.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("BiasBackward", "dbias", dbias->device(), dy.device()));
  switch (dy.device().type) {
    case DeviceType::kCpu:
      return cpu::BiasBackward(dy, dbias);
      EMBER_OPS_CUDA_CASE(dy.device(), BiasBackward, dy, dbias)
  }
  return Status::Internal("BiasBackward: unknown device");
}

}  // namespace ember::ops
