// Shape and device checks for ops/fm.h, then a switch on the device.
#include "ops/fm.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/fm_kernels.h"

namespace ember::ops {
namespace {

// x [B, C] with 0 < F, 0 < D, F*D <= C; out [B, 1].
Status CheckFmShapes(const char* op, const Tensor& x, int64_t num_fields, int64_t dim, const Tensor& out) {
  const bool ok = x.ndim() == 2 && num_fields > 0 && dim > 0 && num_fields * dim <= x.dim(1) && out.ndim() == 2 &&
                  out.dim(0) == x.dim(0) && out.dim(1) == 1;
  if (!ok) {
    return Status::InvalidArgument(op, ": x ", x.ShapeString(), ", ", num_fields, " fields of dim ", dim, ", out ",
                                   out.ShapeString(), "; expected x [B, C] with 0 < fields*dim <= C, out [B, 1]");
  }
  return internal::CheckDevice(op, "x", x.device(), out.device());
}

}  // namespace

Status FmInteractionForward(const Tensor& x, int64_t num_fields, int64_t dim, Tensor* out) {
  RETURN_IF_ERROR(CheckFmShapes("FmInteractionForward", x, num_fields, dim, *out));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::FmInteractionForward(x, num_fields, dim, out);
      EMBER_OPS_CUDA_CASE(x.device(), FmInteractionForward, x, num_fields, dim, out)
  }
  return Status::Internal("FmInteractionForward: unknown device");
}

Status FmInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_fields, int64_t dim, Tensor* dx) {
  RETURN_IF_ERROR(CheckFmShapes("FmInteractionBackward", x, num_fields, dim, dout));
  if (dx->shape() != x.shape()) {
    return Status::InvalidArgument("FmInteractionBackward: dx ", dx->ShapeString(), " differs from x ",
                                   x.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("FmInteractionBackward", "dx", dx->device(), x.device()));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::FmInteractionBackward(x, dout, num_fields, dim, dx);
      EMBER_OPS_CUDA_CASE(x.device(), FmInteractionBackward, x, dout, num_fields, dim, dx)
  }
  return Status::Internal("FmInteractionBackward: unknown device");
}

}  // namespace ember::ops
