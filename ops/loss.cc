// Shape and device checks for ops/loss.h, then a switch on the device.
#include "ops/loss.h"

#include "ops/internal/dispatch.h"

namespace ember::ops {
namespace {

// B values each in logits (or predictions), labels (or targets) and weights
// (or no weights), on one device.
Status CheckLossInputs(const char* op, const Tensor& logits, const Tensor& labels, const Tensor& weights) {
  if (logits.ndim() < 1 || (logits.ndim() != 1 && logits.cols() != 1) || labels.numel() != logits.numel() ||
      (!weights.empty() && weights.numel() != logits.numel())) {
    return Status::InvalidArgument(op, ": logits ", logits.ShapeString(), ", labels ", labels.ShapeString(),
                                   ", weights ", weights.ShapeString(),
                                   "; expected B values each ([B] or [B, 1]; weights may be empty)");
  }
  RETURN_IF_ERROR(internal::CheckDevice(op, "labels", labels.device(), logits.device()));
  if (!weights.empty()) RETURN_IF_ERROR(internal::CheckDevice(op, "weights", weights.device(), logits.device()));
  return Status::OK();
}

}  // namespace

Status BceWithLogitsForward(const Tensor& logits, const Tensor& labels, const Tensor& weights, double* mean_loss) {
  RETURN_IF_ERROR(CheckLossInputs("BceWithLogitsForward", logits, labels, weights));
  if (logits.empty()) {
    *mean_loss = 0;
    return Status::OK();
  }
  switch (logits.device().type) {
    case DeviceType::kCpu:
      return cpu::BceWithLogitsForward(logits, labels, weights, mean_loss);
      EMBER_OPS_CUDA_CASE(logits.device(), BceWithLogitsForward, logits, labels, weights, mean_loss)
  }
  return Status::Internal("BceWithLogitsForward: unknown device");
}

Status BceWithLogitsBackward(const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits) {
  RETURN_IF_ERROR(CheckLossInputs("BceWithLogitsBackward", logits, labels, weights));
  if (dlogits->numel() != logits.numel()) {
    return Status::InvalidArgument("BceWithLogitsBackward: dlogits ", dlogits->ShapeString(), " does not match logits ",
                                   logits.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("BceWithLogitsBackward", "dlogits", dlogits->device(), logits.device()));
  if (logits.empty()) return Status::OK();
  switch (logits.device().type) {
    case DeviceType::kCpu:
      return cpu::BceWithLogitsBackward(logits, labels, weights, dlogits);
      EMBER_OPS_CUDA_CASE(logits.device(), BceWithLogitsBackward, logits, labels, weights, dlogits)
  }
  return Status::Internal("BceWithLogitsBackward: unknown device");
}

Status MseForward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, double* mean_loss) {
  RETURN_IF_ERROR(CheckLossInputs("MseForward", predictions, targets, weights));
  if (predictions.empty()) {
    *mean_loss = 0;
    return Status::OK();
  }
  switch (predictions.device().type) {
    case DeviceType::kCpu:
      return cpu::MseForward(predictions, targets, weights, mean_loss);
      EMBER_OPS_CUDA_CASE(predictions.device(), MseForward, predictions, targets, weights, mean_loss)
  }
  return Status::Internal("MseForward: unknown device");
}

Status MseBackward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, Tensor* dpredictions) {
  RETURN_IF_ERROR(CheckLossInputs("MseBackward", predictions, targets, weights));
  if (dpredictions->numel() != predictions.numel()) {
    return Status::InvalidArgument("MseBackward: dpredictions ", dpredictions->ShapeString(),
                                   " does not match predictions ", predictions.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("MseBackward", "dpredictions", dpredictions->device(), predictions.device()));
  if (predictions.empty()) return Status::OK();
  switch (predictions.device().type) {
    case DeviceType::kCpu:
      return cpu::MseBackward(predictions, targets, weights, dpredictions);
      EMBER_OPS_CUDA_CASE(predictions.device(), MseBackward, predictions, targets, weights, dpredictions)
  }
  return Status::Internal("MseBackward: unknown device");
}

}  // namespace ember::ops
