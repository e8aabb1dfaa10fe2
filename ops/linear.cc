// Shape and device checks for ops/linear.h, then a switch on the device.
#include "ops/linear.h"

#include "ops/internal/dispatch.h"

namespace ember::ops {

Status LinearForward(const Tensor& x, const Tensor& w, Tensor* y) {
  if (w.ndim() != 2 || x.ndim() < 2 || x.cols() != w.dim(0) || y->ndim() < 1 || y->rows() != x.rows() ||
      y->cols() != w.dim(1)) {
    return Status::InvalidArgument("LinearForward: x ", x.ShapeString(), " @ w ", w.ShapeString(), " -> y ",
                                   y->ShapeString(), "; expected x [B, in], w [in, out], y [B, out]");
  }
  RETURN_IF_ERROR(internal::CheckDevice("LinearForward", "w", w.device(), x.device()));
  RETURN_IF_ERROR(internal::CheckDevice("LinearForward", "y", y->device(), x.device()));
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::LinearForward(x, w, y);
      EMBER_OPS_CUDA_CASE(x.device(), LinearForward, x, w, y)
  }
  return Status::Internal("LinearForward: unknown device");
}

Status LinearBackward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor* dx, Tensor* dw) {
  const bool shapes_ok = w.ndim() == 2 && x.ndim() >= 2 && x.cols() == w.dim(0) && dy.ndim() >= 1 &&
                         dy.rows() == x.rows() && dy.cols() == w.dim(1) && dw != nullptr && dw->shape() == w.shape() &&
                         (dx == nullptr || (dx->rows() == x.rows() && dx->numel() == x.numel()));
  if (!shapes_ok) {
    return Status::InvalidArgument("LinearBackward: x ", x.ShapeString(), ", w ", w.ShapeString(), ", dy ",
                                   dy.ShapeString(), ", dx ", dx ? dx->ShapeString() : "null", ", dw ",
                                   dw ? dw->ShapeString() : "null",
                                   "; expected x [B, in], w [in, out], dy [B, out], dx [B, in], dw [in, out]");
  }
  RETURN_IF_ERROR(internal::CheckDevice("LinearBackward", "w", w.device(), x.device()));
  RETURN_IF_ERROR(internal::CheckDevice("LinearBackward", "dy", dy.device(), x.device()));
  RETURN_IF_ERROR(internal::CheckDevice("LinearBackward", "dw", dw->device(), x.device()));
  if (dx != nullptr) RETURN_IF_ERROR(internal::CheckDevice("LinearBackward", "dx", dx->device(), x.device()));
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::LinearBackward(x, w, dy, dx, dw);
      EMBER_OPS_CUDA_CASE(x.device(), LinearBackward, x, w, dy, dx, dw)
  }
  return Status::Internal("LinearBackward: unknown device");
}

}  // namespace ember::ops
