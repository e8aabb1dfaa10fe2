// Shape and device checks for ops/prelu.h, then a switch on the device.
#include "ops/prelu.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/prelu_kernels.h"

namespace ember::ops {
namespace {

// x [B, N]; alpha and each of `per_column` hold N values; each of `like_x`
// has x's element count; all on x's device.
Status CheckShapes(const char* op, const Tensor& x,
                   std::initializer_list<std::pair<const char*, const Tensor*>> per_column,
                   std::initializer_list<std::pair<const char*, const Tensor*>> like_x) {
  if (x.ndim() != 2) return Status::InvalidArgument(op, ": x ", x.ShapeString(), " is not [B, N]");
  for (const auto& [name, t] : per_column) {
    if (t->numel() != x.dim(1)) {
      return Status::InvalidArgument(op, ": ", name, " ", t->ShapeString(), " should hold ", x.dim(1),
                                     " values (one per column of x ", x.ShapeString(), ")");
    }
    RETURN_IF_ERROR(internal::CheckDevice(op, name, t->device(), x.device()));
  }
  for (const auto& [name, t] : like_x) {
    if (t->numel() != x.numel()) {
      return Status::InvalidArgument(op, ": ", name, " ", t->ShapeString(), " differs from x ", x.ShapeString());
    }
    RETURN_IF_ERROR(internal::CheckDevice(op, name, t->device(), x.device()));
  }
  return Status::OK();
}

}  // namespace

Status PreluForward(const Tensor& x, const Tensor& alpha, Tensor* y) {
  RETURN_IF_ERROR(CheckShapes("PreluForward", x, {{"alpha", &alpha}}, {{"y", y}}));
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::PreluForward(x, alpha, y);
      EMBER_OPS_CUDA_CASE(x.device(), PreluForward, x, alpha, y)
  }
  return Status::Internal("PreluForward: unknown device");
}

Status PreluBackward(const Tensor& x, const Tensor& alpha, const Tensor& dy, Tensor* dx, Tensor* dalpha) {
  RETURN_IF_ERROR(CheckShapes("PreluBackward", x, {{"alpha", &alpha}, {"dalpha", dalpha}}, {{"dy", &dy}, {"dx", dx}}));
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::PreluBackward(x, alpha, dy, dx, dalpha);
      EMBER_OPS_CUDA_CASE(x.device(), PreluBackward, x, alpha, dy, dx, dalpha)
  }
  return Status::Internal("PreluBackward: unknown device");
}

Status DiceForward(const Tensor& x, const Tensor& alpha, float epsilon, bool batch_stats, Tensor* mean, Tensor* rstd,
                   Tensor* y) {
  RETURN_IF_ERROR(CheckShapes("DiceForward", x, {{"alpha", &alpha}, {"mean", mean}, {"rstd", rstd}}, {{"y", y}}));
  if (!(epsilon > 0.f)) return Status::InvalidArgument("DiceForward: epsilon ", epsilon, " must be > 0");
  if (batch_stats && x.rows() == 0) return Status::InvalidArgument("DiceForward: batch statistics of 0 rows");
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::DiceForward(x, alpha, epsilon, batch_stats, mean, rstd, y);
      EMBER_OPS_CUDA_CASE(x.device(), DiceForward, x, alpha, epsilon, batch_stats, mean, rstd, y)
  }
  return Status::Internal("DiceForward: unknown device");
}

Status DiceBackward(const Tensor& x, const Tensor& alpha, const Tensor& mean, const Tensor& rstd, const Tensor& dy,
                    Tensor* dx, Tensor* dalpha) {
  RETURN_IF_ERROR(CheckShapes("DiceBackward", x,
                              {{"alpha", &alpha}, {"mean", &mean}, {"rstd", &rstd}, {"dalpha", dalpha}},
                              {{"dy", &dy}, {"dx", dx}}));
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::DiceBackward(x, alpha, mean, rstd, dy, dx, dalpha);
      EMBER_OPS_CUDA_CASE(x.device(), DiceBackward, x, alpha, mean, rstd, dy, dx, dalpha)
  }
  return Status::Internal("DiceBackward: unknown device");
}

}  // namespace ember::ops
