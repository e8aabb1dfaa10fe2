// ops/layers.h: the dense layers of the models, built on the ops and a
// ParameterSet. No autograd: a layer caches what its Backward needs during
// Forward, and Backward ACCUMULATES into the parameters' gradients (call
// ParameterSet::ZeroGrads() once per step).
//
// Layers keep their intermediate buffers between calls: once the batch size
// is stable, Forward and Backward allocate nothing. A layer reads its inputs
// and outputs again in Backward, so x and y must not be modified between a
// Forward and its Backward. Layers run on the device of their ParameterSet.
// Not thread-safe: a layer belongs to one worker thread.
//
//   ParameterSet params(Device::Cpu());
//   Mlp mlp(&params, "deep", 429, {1024, 512, 256}, 1);
//   params.Finalize(seed);
//   Tensor logits;
//   RETURN_IF_ERROR(mlp.Forward(input, &logits));            // logits [B, 1]
//   RETURN_IF_ERROR(mlp.Backward(dlogits, &dinput));          // or nullptr
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "ops/activation.h"
#include "ops/parameters.h"
#include "ops/tensor.h"

namespace ember::ops {

// y = act(x @ W + b), with W [in, out] (Xavier uniform, named "<name>.weight")
// and b [out] (zeros, "<name>.bias") added to `params`. The activation is
// fused into the bias pass (default: none, i.e. a plain linear layer).
class Linear {
 public:
  // The weight starts as `weight_init` (Xavier-uniform by default; a
  // linear model's weights start at zero), the bias at zero.
  Linear(ParameterSet* params, const std::string& name, int64_t in, int64_t out,
         Activation activation = Activation::kNone, Init weight_init = Init::kXavierUniform);

  // x is read as [B, in] (any shape with cols() == in). *y becomes [B, out];
  // it is (re)allocated only when its shape or device differs, so a caller's
  // buffer of the right shape is written in place. FailedPrecondition before
  // params->Finalize(); InvalidArgument on a shape or device mismatch.
  Status Forward(const Tensor& x, Tensor* y);
  // dy [B, out]; dW += x^T dpre, db += sum dpre (dpre = dy * act'); dx (shape
  // of the forward x, (re)allocated if needed) = dpre W^T unless nullptr.
  // FailedPrecondition without a Forward; InvalidArgument on a mismatch.
  Status Backward(const Tensor& dy, Tensor* dx);

  int64_t in() const { return in_; }
  int64_t out() const { return out_; }
  int weight_id() const { return weight_id_; }
  int bias_id() const { return bias_id_; }
  Activation activation() const { return activation_; }

 private:
  Status BindParameters();

  ParameterSet* params_;
  std::string name_;
  int64_t in_;
  int64_t out_;
  Activation activation_;
  int weight_id_;
  int bias_id_;
  bool bound_ = false;
  Tensor weight_, bias_, dweight_, dbias_;  // views into the ParameterSet
  Tensor x_;                                // the last Forward input (shallow)
  Tensor y_;                                // the last Forward output (shallow), for the activation's gradient
  Tensor dpre_;                             // gradient before the activation, owned
};

// Linear -> act -> Linear -> act -> ... -> Linear -> output_activation.
// Layer i is named "<name>.<i>" (parameters "<name>.<i>.weight", ".bias").
class Mlp {
 public:
  Mlp(ParameterSet* params, const std::string& name, int64_t in, std::vector<int64_t> hidden, int64_t out,
      Activation hidden_activation = Activation::kRelu, Activation output_activation = Activation::kNone);

  // x [B, in] -> *y [B, out] ((re)allocated only if its shape differs).
  Status Forward(const Tensor& x, Tensor* y);
  // dy [B, out]; parameter gradients accumulate; dx as in Linear::Backward.
  Status Backward(const Tensor& dy, Tensor* dx);

  int num_layers() const { return static_cast<int>(layers_.size()); }
  Linear& layer(int i) { return layers_[static_cast<size_t>(i)]; }

 private:
  std::vector<Linear> layers_;
  std::vector<Tensor> activations_;  // output of layer i, for i < last
  std::vector<Tensor> gradients_;    // gradient w.r.t. activations_[i]
};

// y = LayerNorm(x) over the last dimension (ops/layer_norm.h) with a gain
// "<name>.gamma" (ones) and a shift "<name>.beta" (zeros) of `dim` values.
class LayerNorm {
 public:
  LayerNorm(ParameterSet* params, const std::string& name, int64_t dim, float epsilon = 1e-5f);
  // x read as [rows, dim] (any shape with numel a multiple of dim) -> *y of
  // x's shape ((re)allocated only if its shape differs).
  Status Forward(const Tensor& x, Tensor* y);
  // dy (y's shape) -> *dx (x's shape, overwritten); gamma and beta
  // gradients accumulate. FailedPrecondition without a Forward.
  Status Backward(const Tensor& dy, Tensor* dx);

 private:
  ParameterSet* params_;
  int64_t dim_;
  float epsilon_;
  int gamma_id_, beta_id_;
  Tensor x_;  // the last Forward input, as [rows, dim] (shallow)
  Tensor mean_, rstd_;
};

}  // namespace ember::ops
