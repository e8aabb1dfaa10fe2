// ops/parameters.h: the dense parameters of a model, all in ONE flat value
// buffer and ONE flat gradient buffer, so that a worker allreduces a single
// buffer and a DenseOptimizer updates a single buffer.
//
// Layers call Add() while the model is built, then the model calls
// Finalize(seed) once, which allocates both buffers on the set's device and
// initialises every parameter deterministically: a parameter's values depend
// only on the seed and its name (not on the order of Add calls), so the same
// seed gives the same bits on every worker. Parameters are packed in Add
// order without padding; size() is the sum of their element counts.
//
// Thread-compatible. The value()/grad() views stay valid as long as the set.
//
//   ParameterSet params(Device::Cpu());
//   Linear layer(&params, "fc1", 429, 1024);   // adds fc1.weight, fc1.bias
//   RETURN_IF_ERROR(params.Finalize(/*seed=*/1));
//   RETURN_IF_ERROR(params.ZeroGrads());
//   ... forward, backward, allreduce(params.flat_grads()), optimizer.Step ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

enum class Init {
  kZeros,          // 0
  kXavierUniform,  // U(-a, a), a = sqrt(6 / (fan_in + fan_out)); fan_in = dim(0), fan_out = cols()
  kNormal001,      // N(0, 0.01^2)
  kOnes,           // 1 (a layer norm's gain)
};

class ParameterSet {
 public:
  explicit ParameterSet(Device device = Device::Cpu());
  ParameterSet(const ParameterSet&) = delete;
  ParameterSet& operator=(const ParameterSet&) = delete;
  ParameterSet(ParameterSet&&) = default;
  ParameterSet& operator=(ParameterSet&&) = default;

  // Registers a parameter and returns its id (0, 1, ...). CHECK-fails after
  // Finalize, on a duplicate name or on an invalid shape (programmer errors).
  int Add(std::string name, std::vector<int64_t> shape, Init init);
  // Allocates both buffers, initialises the values from `seed` and zeroes the
  // gradients. ResourceExhausted (or Internal for a failed copy) when the
  // device's memory cannot hold them. CHECK-fails when called twice.
  Status Finalize(uint64_t seed);
  bool finalized() const { return finalized_; }

  // Views into the flat buffers, shaped as added. CHECK-fail before Finalize
  // or on a bad id.
  Tensor value(int id);
  Tensor grad(int id);
  // 1-D views of all values / all gradients ([size()]).
  Tensor flat_values();
  Tensor flat_grads();
  // The id of `name`, or NotFound.
  StatusOr<int> Find(const std::string& name) const;

  // Total number of floats over all parameters.
  int64_t size() const { return size_; }
  // Sets every gradient to 0 (asynchronous on CUDA); Internal on a CUDA
  // error. CHECK-fails before Finalize.
  Status ZeroGrads();
  const std::string& name(int id) const;
  const std::vector<int64_t>& shape(int id) const;
  // Offset of parameter `id` in the flat buffers.
  int64_t offset(int id) const;
  int count() const { return static_cast<int>(entries_.size()); }
  Device device() const { return device_; }

 private:
  struct Entry {
    std::string name;
    std::vector<int64_t> shape;
    Init init;
    int64_t offset;
    int64_t numel;
  };
  const Entry& entry(int id) const;

  Device device_;
  std::vector<Entry> entries_;
  int64_t size_ = 0;
  bool finalized_ = false;
  Tensor values_;
  Tensor grads_;
};

}  // namespace ember::ops
