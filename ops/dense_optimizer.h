// ops/dense_optimizer.h: SGD, AdaGrad and Adam over one flat parameter
// buffer (the ParameterSet's flat_values/flat_grads), on the CPU or CUDA.
//
// Every worker applies the same step to the same allreduced gradients, so the
// replicas stay equal bit for bit on one device type. Weight decay is L2
// added to the gradient (torch.optim semantics, not AdamW):
//   g' = g + weight_decay * p
//   sgd:     p -= lr * g'
//   adagrad: a += g'^2;  p -= lr * g' / (sqrt(a) + epsilon)   (a starts at
//            adagrad_initial_accumulator)
//   adam:    m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;  t += 1
//            p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + epsilon)
//
// Thread-compatible; one optimizer belongs to one worker thread.
//
//   ASSIGN_OR_RETURN(DenseOptimizer optimizer, DenseOptimizer::Create(options, params.size(), params.device()));
//   Tensor values = params.flat_values();
//   RETURN_IF_ERROR(optimizer.Step(&values, params.flat_grads()));
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

enum class DenseOptimizerType { kSgd, kAdagrad, kAdam };

struct DenseOptimizerOptions {
  DenseOptimizerType type = DenseOptimizerType::kAdam;  // Default: Adam
  float learning_rate = 1e-3f;                          // Default: 1e-3
  float adagrad_initial_accumulator = 0.1f;             // Default: 0.1
  float beta1 = 0.9f;                                   // Default: 0.9 (Adam)
  float beta2 = 0.999f;                                 // Default: 0.999 (Adam)
  float epsilon = 1e-8f;                                // Default: 1e-8 (AdaGrad, Adam)
  float weight_decay = 0.f;                             // Default: 0 (L2 on the gradient)
};

// "sgd", "adagrad", "adam" (exact, lower case). InvalidArgument otherwise.
StatusOr<DenseOptimizerType> ParseDenseOptimizerType(std::string_view name);
// "sgd", "adagrad", "adam".
const char* DenseOptimizerTypeName(DenseOptimizerType type);

class DenseOptimizer {
 public:
  // An optimizer with its state allocated on `device`: nothing for SGD,
  // [num_params] accumulators for AdaGrad, [2 * num_params] (m then v) for
  // Adam. ResourceExhausted when the device cannot hold the state,
  // InvalidArgument for num_params < 0.
  static StatusOr<DenseOptimizer> Create(DenseOptimizerOptions options, int64_t num_params, Device device);

  // One update of the whole flat buffer. InvalidArgument unless values and
  // grads hold num_params floats on the optimizer's device.
  Status Step(Tensor* values, const Tensor& grads);

  // The optimizer state, flat (a view; empty for SGD). Layout above.
  Tensor state() { return state_; }
  // The number of steps taken (Adam's t); restore it with the state.
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t step_count) { step_count_ = step_count; }
  const DenseOptimizerOptions& options() const { return options_; }
  int64_t num_params() const { return num_params_; }
  Device device() const { return device_; }

 private:
  DenseOptimizer(DenseOptimizerOptions options, int64_t num_params, Device device)
      : options_(options), num_params_(num_params), device_(device) {}

  DenseOptimizerOptions options_;
  int64_t num_params_;
  Device device_;
  Tensor state_;
  int64_t step_count_ = 0;
};

}  // namespace ember::ops
