// Shape and device checks for ops/layer_norm.h, then a switch on the device.
#include "ops/layer_norm.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/layer_norm_kernels.h"

namespace ember::ops {
namespace {

// x [B, N], gamma [N] (any shape of N values), stats (mean, rstd) of B values each, all on x's device.
Status CheckLayerNormShapes(const char* op, const Tensor& x, const Tensor& gamma, const Tensor& mean,
                            const Tensor& rstd) {
  if (x.ndim() != 2 || x.dim(1) == 0 || gamma.numel() != x.dim(1) || mean.numel() != x.dim(0) ||
      rstd.numel() != x.dim(0)) {
    return Status::InvalidArgument(op, ": x ", x.ShapeString(), ", gamma ", gamma.ShapeString(), ", mean ",
                                   mean.ShapeString(), ", rstd ", rstd.ShapeString(),
                                   "; expected x [B, N] with N > 0, gamma of N values, mean and rstd of B");
  }
  RETURN_IF_ERROR(internal::CheckDevice(op, "gamma", gamma.device(), x.device()));
  RETURN_IF_ERROR(internal::CheckDevice(op, "mean", mean.device(), x.device()));
  return internal::CheckDevice(op, "rstd", rstd.device(), x.device());
}

Status CheckLike(const char* op, const char* name, const Tensor& t, const Tensor& like) {
  if (t.numel() != like.numel()) {
    return Status::InvalidArgument(op, ": ", name, " ", t.ShapeString(), " should hold ", like.numel(), " values");
  }
  return internal::CheckDevice(op, name, t.device(), like.device());
}

}  // namespace

Status LayerNormForward(const Tensor& x, const Tensor& gamma, const Tensor& beta, float epsilon, Tensor* y,
                        Tensor* mean, Tensor* rstd) {
  constexpr const char* kOp = "LayerNormForward";
  RETURN_IF_ERROR(CheckLayerNormShapes(kOp, x, gamma, *mean, *rstd));
  RETURN_IF_ERROR(CheckLike(kOp, "beta", beta, gamma));
  RETURN_IF_ERROR(CheckLike(kOp, "y", *y, x));
  if (!(epsilon > 0.f)) return Status::InvalidArgument(kOp, ": epsilon ", epsilon, " must be > 0");
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::LayerNormForward(x, gamma, beta, epsilon, y, mean, rstd);
      EMBER_OPS_CUDA_CASE(x.device(), LayerNormForward, x, gamma, beta, epsilon, y, mean, rstd)
  }
  return Status::Internal(kOp, ": unknown device");
}

Status LayerNormBackward(const Tensor& x, const Tensor& gamma, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                         Tensor* dx, Tensor* dgamma, Tensor* dbeta) {
  constexpr const char* kOp = "LayerNormBackward";
  RETURN_IF_ERROR(CheckLayerNormShapes(kOp, x, gamma, mean, rstd));
  RETURN_IF_ERROR(CheckLike(kOp, "dy", dy, x));
  RETURN_IF_ERROR(CheckLike(kOp, "dx", *dx, x));
  RETURN_IF_ERROR(CheckLike(kOp, "dgamma", *dgamma, gamma));
  RETURN_IF_ERROR(CheckLike(kOp, "dbeta", *dbeta, gamma));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::LayerNormBackward(x, gamma, mean, rstd, dy, dx, dgamma, dbeta);
      EMBER_OPS_CUDA_CASE(x.device(), LayerNormBackward, x, gamma, mean, rstd, dy, dx, dgamma, dbeta)
  }
  return Status::Internal(kOp, ": unknown device");
}

}  // namespace ember::ops
