// Shape, device and range checks for ops/softmax.h, then a switch on the
// device.
#include "ops/softmax.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/softmax_kernels.h"

namespace ember::ops {
namespace {

// logits [B, C]; log_q empty, [C] or [B, C]; targets [B] in [0, C); all on one device.
StatusOr<bool> CheckCrossEntropy(const char* op, const Tensor& logits, const Tensor& log_q,
                                 const IndexTensor& targets) {
  if (logits.ndim() != 2 || logits.dim(1) == 0 || targets.numel() != logits.dim(0) ||
      !(log_q.empty() || log_q.numel() == logits.dim(1) || log_q.numel() == logits.numel())) {
    return Status::InvalidArgument(op, ": logits ", logits.ShapeString(), ", log_q ", log_q.ShapeString(),
                                   ", targets of ", targets.numel(),
                                   "; expected logits [B, C] (C > 0), log_q empty, [C] or [B, C], B targets");
  }
  if (!log_q.empty()) RETURN_IF_ERROR(internal::CheckDevice(op, "log_q", log_q.device(), logits.device()));
  RETURN_IF_ERROR(internal::CheckDevice(op, "targets", targets.device(), logits.device()));
  RETURN_IF_ERROR(internal::CheckIndexRange(op, "targets", targets, 0, logits.dim(1) - 1));
  return !log_q.empty() && log_q.numel() == logits.numel() && logits.dim(0) > 1;
}

}  // namespace

Status MaskedSoftmaxForward(const Tensor& x, const IndexTensor& lengths, Tensor* y) {
  constexpr const char* kOp = "MaskedSoftmaxForward";
  if (x.ndim() != 2 || y->numel() != x.numel() || !(lengths.numel() == 0 || lengths.numel() == x.dim(0))) {
    return Status::InvalidArgument(kOp, ": x ", x.ShapeString(), ", y ", y->ShapeString(), ", ", lengths.numel(),
                                   " lengths; expected x [B, N], y alike, lengths empty or B");
  }
  RETURN_IF_ERROR(internal::CheckDevice(kOp, "y", y->device(), x.device()));
  if (lengths.numel() > 0) {
    RETURN_IF_ERROR(internal::CheckDevice(kOp, "lengths", lengths.device(), x.device()));
    RETURN_IF_ERROR(internal::CheckIndexRange(kOp, "lengths", lengths, 0, x.dim(1)));
  }
  if (x.numel() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::MaskedSoftmaxForward(x, lengths, y);
      EMBER_OPS_CUDA_CASE(x.device(), MaskedSoftmaxForward, x, lengths, y)
  }
  return Status::Internal(kOp, ": unknown device");
}

Status MaskedSoftmaxBackward(const Tensor& y, const Tensor& dy, Tensor* dx) {
  constexpr const char* kOp = "MaskedSoftmaxBackward";
  if (y.ndim() != 2 || dy.numel() != y.numel() || dx->numel() != y.numel()) {
    return Status::InvalidArgument(kOp, ": y ", y.ShapeString(), ", dy ", dy.ShapeString(), ", dx ", dx->ShapeString(),
                                   "; expected y [B, N] and dy, dx alike");
  }
  RETURN_IF_ERROR(internal::CheckDevice(kOp, "dy", dy.device(), y.device()));
  RETURN_IF_ERROR(internal::CheckDevice(kOp, "dx", dx->device(), y.device()));
  if (y.numel() == 0) return Status::OK();
  switch (y.device().type) {
    case DeviceType::kCpu:
      return cpu::MaskedSoftmaxBackward(y, dy, dx);
      EMBER_OPS_CUDA_CASE(y.device(), MaskedSoftmaxBackward, y, dy, dx)
  }
  return Status::Internal(kOp, ": unknown device");
}

Status SoftmaxCrossEntropyForward(const Tensor& logits, const Tensor& log_q, const IndexTensor& targets,
                                  double* mean_loss) {
  ASSIGN_OR_RETURN(bool per_row, CheckCrossEntropy("SoftmaxCrossEntropyForward", logits, log_q, targets));
  if (logits.rows() == 0) {
    *mean_loss = 0;
    return Status::OK();
  }
  switch (logits.device().type) {
    case DeviceType::kCpu:
      return cpu::SoftmaxCrossEntropyForward(logits, log_q, per_row, targets, mean_loss);
      EMBER_OPS_CUDA_CASE(logits.device(), SoftmaxCrossEntropyForward, logits, log_q, per_row, targets, mean_loss)
  }
  return Status::Internal("SoftmaxCrossEntropyForward: unknown device");
}

Status SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& log_q, const IndexTensor& targets,
                                   Tensor* dlogits) {
  constexpr const char* kOp = "SoftmaxCrossEntropyBackward";
  ASSIGN_OR_RETURN(bool per_row, CheckCrossEntropy(kOp, logits, log_q, targets));
  if (dlogits->numel() != logits.numel()) {
    return Status::InvalidArgument(kOp, ": dlogits ", dlogits->ShapeString(), " does not match logits ",
                                   logits.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice(kOp, "dlogits", dlogits->device(), logits.device()));
  if (logits.rows() == 0) return Status::OK();
  switch (logits.device().type) {
    case DeviceType::kCpu:
      return cpu::SoftmaxCrossEntropyBackward(logits, log_q, per_row, targets, dlogits);
      EMBER_OPS_CUDA_CASE(logits.device(), SoftmaxCrossEntropyBackward, logits, log_q, per_row, targets, dlogits)
  }
  return Status::Internal(kOp, ": unknown device");
}

}  // namespace ember::ops
