// Shape and device checks for ops/activation.h, then a switch on the device.
#include "ops/activation.h"

#include "ops/internal/dispatch.h"

namespace ember::ops {
namespace {

Status CheckSameLayout(const char* op, const char* a_name, const Tensor& a, const char* b_name, const Tensor& b) {
  if (a.numel() != b.numel() || a.rows() != b.rows()) {
    return Status::InvalidArgument(op, ": ", a_name, " ", a.ShapeString(), " and ", b_name, " ", b.ShapeString(),
                                   " differ in shape");
  }
  return internal::CheckDevice(op, b_name, b.device(), a.device());
}

}  // namespace

const char* ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kSigmoid:
      return "sigmoid";
  }
  return "unknown";
}

Status ActivationForward(Activation activation, const Tensor& x, Tensor* y) {
  RETURN_IF_ERROR(CheckSameLayout(ActivationName(activation), "x", x, "y", *y));
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::ActivationForward(activation, x, y);
      EMBER_OPS_CUDA_CASE(x.device(), ActivationForward, activation, x, y)
  }
  return Status::Internal("ActivationForward: unknown device");
}

Status ActivationBackward(Activation activation, const Tensor& y, const Tensor& dy, Tensor* dx) {
  RETURN_IF_ERROR(CheckSameLayout(ActivationName(activation), "y", y, "dy", dy));
  RETURN_IF_ERROR(CheckSameLayout(ActivationName(activation), "y", y, "dx", *dx));
  switch (y.device().type) {
    case DeviceType::kCpu:
      return cpu::ActivationBackward(activation, y, dy, dx);
      EMBER_OPS_CUDA_CASE(y.device(), ActivationBackward, activation, y, dy, dx)
  }
  return Status::Internal("ActivationBackward: unknown device");
}

Status Relu(const Tensor& x, Tensor* y) { return ActivationForward(Activation::kRelu, x, y); }
Status ReluBackward(const Tensor& y, const Tensor& dy, Tensor* dx) {
  return ActivationBackward(Activation::kRelu, y, dy, dx);
}
Status Sigmoid(const Tensor& x, Tensor* y) { return ActivationForward(Activation::kSigmoid, x, y); }
Status SigmoidBackward(const Tensor& y, const Tensor& dy, Tensor* dx) {
  return ActivationBackward(Activation::kSigmoid, y, dy, dx);
}

Status BiasActivation(const Tensor& bias, Activation activation, Tensor* y) {
  if (bias.ndim() != 1 || y->ndim() < 1 || bias.dim(0) != y->cols()) {
    return Status::InvalidArgument("BiasActivation: bias ", bias.ShapeString(), " does not match the rows of y ",
                                   y->ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("BiasActivation", "bias", bias.device(), y->device()));
  switch (y->device().type) {
    case DeviceType::kCpu:
      return cpu::BiasActivation(bias, activation, y);
      EMBER_OPS_CUDA_CASE(y->device(), BiasActivation, bias, activation, y)
  }
  return Status::Internal("BiasActivation: unknown device");
}

Status ActivationBiasBackward(const Tensor& y, const Tensor& dy, Activation activation, Tensor* dpre, Tensor* dbias) {
  RETURN_IF_ERROR(CheckSameLayout("ActivationBiasBackward", "y", y, "dy", dy));
  RETURN_IF_ERROR(CheckSameLayout("ActivationBiasBackward", "y", y, "dpre", *dpre));
  if (dbias->ndim() != 1 || y.ndim() < 1 || dbias->dim(0) != y.cols()) {
    return Status::InvalidArgument("ActivationBiasBackward: dbias ", dbias->ShapeString(),
                                   " does not match the rows of y ", y.ShapeString());
  }
  RETURN_IF_ERROR(internal::CheckDevice("ActivationBiasBackward", "dbias", dbias->device(), y.device()));
  switch (y.device().type) {
    case DeviceType::kCpu:
      return cpu::ActivationBiasBackward(y, dy, activation, dpre, dbias);
      EMBER_OPS_CUDA_CASE(y.device(), ActivationBiasBackward, y, dy, activation, dpre, dbias)
  }
  return Status::Internal("ActivationBiasBackward: unknown device");
}

}  // namespace ember::ops
