// ops/cross_layer.h: CrossNetwork, the stacked cross layers of DCN-v2
// (Wang et al., WWW 2021): x_{l+1} = x0 ⊙ (x_l W_l + b_l) + x_l for
// l = 0..L-1, on top of the op pair in ops/cross.h.
//
// Layer l owns "<name>.<l>.weight" [d, d] (Xavier uniform) and
// "<name>.<l>.bias" [d] (zeros) in the caller's ParameterSet. As the layers
// of ops/layers.h: Forward caches what Backward needs (the inputs x_l and the
// pre-activations x_l W_l + b_l, kept in buffers that are reallocated only
// when the batch size changes), Backward ACCUMULATES into the parameters'
// gradients, x0 must not change between a Forward and its Backward, and the
// network runs on the device of its ParameterSet. Not thread-safe.
//
//   ParameterSet params(Device::Cpu());
//   CrossNetwork cross(&params, "cross", /*dim=*/221, /*num_layers=*/3);
//   params.Finalize(seed);
//   RETURN_IF_ERROR(cross.Forward(x0, &x_out));        // x_out [B, 221]
//   RETURN_IF_ERROR(cross.Backward(dx_out, &dx0));      // or nullptr
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ops/parameters.h"
#include "ops/tensor.h"

namespace ember::ops {

class CrossNetwork {
 public:
  // CHECK-fails on a null ParameterSet, dim <= 0 or num_layers < 1 (programmer errors).
  CrossNetwork(ParameterSet* params, const std::string& name, int64_t dim, int num_layers);

  // x0 is read as [B, dim]; *y becomes [B, dim] ((re)allocated only when its
  // shape or device differs). FailedPrecondition before params->Finalize();
  // InvalidArgument on a shape or device mismatch.
  Status Forward(const Tensor& x0, Tensor* y);
  // dy [B, dim]; parameter gradients accumulate; *dx (the gradient of x0
  // through every layer, shape of the forward x0, (re)allocated if needed)
  // is overwritten unless dx is nullptr. FailedPrecondition without a
  // Forward; InvalidArgument on a mismatch.
  Status Backward(const Tensor& dy, Tensor* dx);

  int64_t dim() const { return dim_; }
  int num_layers() const { return num_layers_; }
  int weight_id(int layer) const { return weight_ids_[static_cast<size_t>(layer)]; }
  int bias_id(int layer) const { return bias_ids_[static_cast<size_t>(layer)]; }

 private:
  Status BindParameters();

  ParameterSet* params_;
  std::string name_;
  int64_t dim_;
  int num_layers_;
  std::vector<int> weight_ids_, bias_ids_;
  bool bound_ = false;
  std::vector<Tensor> weights_, biases_, dweights_, dbiases_;  // views into the ParameterSet
  std::vector<int64_t> x0_shape_;                              // the last Forward input's shape
  Tensor x0_;                                                  // the last Forward input viewed as [B, dim] (shallow)
  std::vector<Tensor> inputs_;                                 // x_l for l >= 1 (x_0 is x0_), owned
  std::vector<Tensor> pre_;                                    // x_l W_l + b_l, owned
  Tensor dpre_, dx0_scratch_, grad_a_, grad_b_;                // backward scratch, owned
};

}  // namespace ember::ops
