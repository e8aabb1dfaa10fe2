// Shape and device checks for ops/dot_interaction.h, then a switch on the
// device.
#include "ops/dot_interaction.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/dot_interaction_kernels.h"

namespace ember::ops {
namespace {

// x [B, T*D] with T >= 2, D > 0; out [B, T*(T-1)/2].
Status CheckDotInteractionShapes(const char* op, const Tensor& x, int64_t num_vectors, int64_t dim, const Tensor& out) {
  const bool ok = x.ndim() == 2 && num_vectors >= 2 && dim > 0 && x.dim(1) == num_vectors * dim && out.ndim() == 2 &&
                  out.dim(0) == x.dim(0) && out.dim(1) == DotInteractionPairs(num_vectors);
  if (!ok) {
    return Status::InvalidArgument(op, ": x ", x.ShapeString(), ", ", num_vectors, " vectors of dim ", dim, ", out ",
                                   out.ShapeString(),
                                   "; expected x [B, vectors*dim] with vectors >= 2, dim > 0, out [B, "
                                   "vectors*(vectors-1)/2]");
  }
  return internal::CheckDevice(op, "x", x.device(), out.device());
}

}  // namespace

Status DotInteractionForward(const Tensor& x, int64_t num_vectors, int64_t dim, Tensor* out) {
  RETURN_IF_ERROR(CheckDotInteractionShapes("DotInteractionForward", x, num_vectors, dim, *out));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::DotInteractionForward(x, num_vectors, dim, out);
      EMBER_OPS_CUDA_CASE(x.device(), DotInteractionForward, x, num_vectors, dim, out)
  }
  return Status::Internal("DotInteractionForward: unknown device");
}

Status DotInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_vectors, int64_t dim, Tensor* dx) {
  RETURN_IF_ERROR(CheckDotInteractionShapes("DotInteractionBackward", x, num_vectors, dim, dout));
  if (dx->shape() != x.shape()) {
    return Status::InvalidArgument("DotInteractionBackward: dx ", dx->ShapeString(), " differs from x ",
                                   x.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("DotInteractionBackward", "dx", dx->device(), x.device()));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::DotInteractionBackward(x, dout, num_vectors, dim, dx);
      EMBER_OPS_CUDA_CASE(x.device(), DotInteractionBackward, x, dout, num_vectors, dim, dx)
  }
  return Status::Internal("DotInteractionBackward: unknown device");
}

}  // namespace ember::ops
