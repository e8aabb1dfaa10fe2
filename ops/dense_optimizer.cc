#include "ops/dense_optimizer.h"

#include <cmath>

#include <glog/logging.h>

#include "ops/internal/dispatch.h"

namespace ember::ops {

StatusOr<DenseOptimizerType> ParseDenseOptimizerType(std::string_view name) {
  if (name == "sgd") return DenseOptimizerType::kSgd;
  if (name == "adagrad") return DenseOptimizerType::kAdagrad;
  if (name == "adam") return DenseOptimizerType::kAdam;
  return Status::InvalidArgument("unknown dense optimizer '", name, "'; expected sgd, adagrad or adam");
}

const char* DenseOptimizerTypeName(DenseOptimizerType type) {
  switch (type) {
    case DenseOptimizerType::kSgd:
      return "sgd";
    case DenseOptimizerType::kAdagrad:
      return "adagrad";
    case DenseOptimizerType::kAdam:
      return "adam";
  }
  return "unknown";
}

StatusOr<DenseOptimizer> DenseOptimizer::Create(DenseOptimizerOptions options, int64_t num_params, Device device) {
  if (num_params < 0) return Status::InvalidArgument("DenseOptimizer of ", num_params, " parameters");
  DenseOptimizer optimizer(options, num_params, device);
  switch (options.type) {
    case DenseOptimizerType::kSgd:
      break;
    case DenseOptimizerType::kAdagrad: {
      ASSIGN_OR_RETURN(optimizer.state_, Tensor::Allocate({num_params}, device));
      RETURN_IF_ERROR(Fill(options.adagrad_initial_accumulator, &optimizer.state_));
      break;
    }
    case DenseOptimizerType::kAdam: {
      ASSIGN_OR_RETURN(optimizer.state_, Tensor::AllocateZeros({2 * num_params}, device));
      break;
    }
  }
  return optimizer;
}

Status DenseOptimizer::Step(Tensor* values, const Tensor& grads) {
  if (values->numel() != num_params_ || grads.numel() != num_params_) {
    return Status::InvalidArgument("DenseOptimizer::Step: values ", values->ShapeString(), " and grads ",
                                   grads.ShapeString(), " must hold ", num_params_, " floats");
  }
  RETURN_IF_ERROR(internal::CheckDevice("DenseOptimizer::Step", "values", values->device(), device_));
  RETURN_IF_ERROR(internal::CheckDevice("DenseOptimizer::Step", "grads", grads.device(), device_));
  ++step_count_;
  DenseStepParams p;
  p.learning_rate = options_.learning_rate;
  p.weight_decay = options_.weight_decay;
  p.epsilon = options_.epsilon;
  p.beta1 = options_.beta1;
  p.beta2 = options_.beta2;
  p.bias_correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta1), step_count_));
  p.bias_correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(options_.beta2), step_count_));
  const int64_t n = num_params_;
  if (n == 0) return Status::OK();
  float* v = values->device_data();
  const float* g = grads.device_data();
  float* s = state_.device_data();
  switch (device_.type) {
    case DeviceType::kCpu:
      switch (options_.type) {
        case DenseOptimizerType::kSgd:
          return cpu::SgdStep(p, n, v, g);
        case DenseOptimizerType::kAdagrad:
          return cpu::AdagradStep(p, n, v, g, s);
        case DenseOptimizerType::kAdam:
          return cpu::AdamStep(p, n, v, g, s, s + n);
      }
      break;
    case DeviceType::kCuda:
#if EMBER_WITH_CUDA
      RETURN_IF_ERROR(internal::SetCudaDevice(device_.index));
      switch (options_.type) {
        case DenseOptimizerType::kSgd:
          return cuda::SgdStep(p, n, v, g);
        case DenseOptimizerType::kAdagrad:
          return cuda::AdagradStep(p, n, v, g, s);
        case DenseOptimizerType::kAdam:
          return cuda::AdamStep(p, n, v, g, s, s + n);
      }
      break;
#else
      return Status::Unimplemented("DenseOptimizer::Step on ", device_.DebugString(), " in a build without CUDA");
#endif
  }
  return Status::Internal("DenseOptimizer::Step: unknown device or optimizer type");
}

}  // namespace ember::ops
