#include "ops/cross_layer.h"

#include <glog/logging.h>

#include "ops/cross.h"

namespace ember::ops {
namespace {

// Makes *t a [rows, cols] tensor on `device`, allocating only on a change.
Status EnsureMatrix(int64_t rows, int64_t cols, Device device, Tensor* t) {
  if (t->ndim() == 2 && t->dim(0) == rows && t->dim(1) == cols && t->device() == device) return Status::OK();
  ASSIGN_OR_RETURN(*t, Tensor::Allocate({rows, cols}, device));
  return Status::OK();
}

}  // namespace

CrossNetwork::CrossNetwork(ParameterSet* params, const std::string& name, int64_t dim, int num_layers)
    : params_(params), name_(name), dim_(dim), num_layers_(num_layers) {
  CHECK(params != nullptr) << "CrossNetwork " << name << " needs a ParameterSet";
  CHECK(dim > 0 && num_layers >= 1) << "CrossNetwork " << name << ": dim " << dim << ", layers " << num_layers;
  for (int l = 0; l < num_layers; ++l) {
    const std::string layer = name + "." + std::to_string(l);
    weight_ids_.push_back(params->Add(layer + ".weight", {dim, dim}, Init::kXavierUniform));
    bias_ids_.push_back(params->Add(layer + ".bias", {dim}, Init::kZeros));
  }
  inputs_.resize(static_cast<size_t>(num_layers));
  pre_.resize(static_cast<size_t>(num_layers));
}

Status CrossNetwork::BindParameters() {
  if (!params_->finalized()) {
    return Status::FailedPrecondition("CrossNetwork ", name_, ": the ParameterSet is not finalized");
  }
  for (int l = 0; l < num_layers_; ++l) {
    weights_.push_back(params_->value(weight_ids_[static_cast<size_t>(l)]));
    biases_.push_back(params_->value(bias_ids_[static_cast<size_t>(l)]));
    dweights_.push_back(params_->grad(weight_ids_[static_cast<size_t>(l)]));
    dbiases_.push_back(params_->grad(bias_ids_[static_cast<size_t>(l)]));
  }
  bound_ = true;
  return Status::OK();
}

Status CrossNetwork::Forward(const Tensor& x0, Tensor* y) {
  if (!bound_) RETURN_IF_ERROR(BindParameters());
  if (x0.ndim() < 2 || x0.cols() != dim_ || !(x0.device() == params_->device())) {
    return Status::InvalidArgument("CrossNetwork ", name_, ": input ", x0.DebugString(), ", expected [B, ", dim_,
                                   "] on ", params_->device().DebugString());
  }
  const int64_t rows = x0.rows();
  const Device device = x0.device();
  x0_shape_ = x0.shape();
  x0_ = x0.ndim() == 2 ? x0 : x0.Reshaped({rows, dim_});
  RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, y));
  for (int l = 0; l < num_layers_; ++l) {
    const size_t i = static_cast<size_t>(l);
    const Tensor& input = l == 0 ? x0_ : inputs_[i];
    Tensor* output = l + 1 == num_layers_ ? y : &inputs_[i + 1];
    RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, output));
    RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, &pre_[i]));
    RETURN_IF_ERROR(CrossForward(x0_, input, weights_[i], biases_[i], &pre_[i], output));
  }
  return Status::OK();
}

Status CrossNetwork::Backward(const Tensor& dy, Tensor* dx) {
  if (x0_.ndim() == 0) {
    return Status::FailedPrecondition("CrossNetwork ", name_, ": Backward without a Forward");
  }
  const int64_t rows = x0_.rows();
  const Device device = x0_.device();
  if (dy.ndim() < 1 || dy.rows() != rows || dy.cols() != dim_ || !(dy.device() == device)) {
    return Status::InvalidArgument("CrossNetwork ", name_, ": dy ", dy.DebugString(), ", expected [", rows, ", ", dim_,
                                   "] on ", device.DebugString());
  }
  RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, &dpre_));
  RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, &grad_a_));
  RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, &grad_b_));
  // The gradient of x0 is summed over the layers, in *dx (viewed as a
  // matrix) or, when the caller does not want it, in a scratch buffer.
  Tensor dx0;
  if (dx != nullptr) {
    if (dx->shape() != x0_shape_ || !(dx->device() == device)) {
      ASSIGN_OR_RETURN(*dx, Tensor::Allocate(x0_shape_, device));
    }
    dx0 = dx->ndim() == 2 ? *dx : dx->Reshaped({rows, dim_});
  } else {
    RETURN_IF_ERROR(EnsureMatrix(rows, dim_, device, &dx0_scratch_));
    dx0 = dx0_scratch_;
  }
  RETURN_IF_ERROR(SetZero(&dx0));
  // The gradient with respect to x_{l+1}: dy, then grad_a_ / grad_b_ in turn.
  const Tensor dy_matrix = dy.ndim() == 2 ? dy : dy.Reshaped({rows, dim_});
  const Tensor* upstream = &dy_matrix;
  for (int l = num_layers_ - 1; l >= 0; --l) {
    const size_t i = static_cast<size_t>(l);
    const Tensor& input = l == 0 ? x0_ : inputs_[i];
    Tensor* downstream = upstream == &grad_a_ ? &grad_b_ : &grad_a_;
    RETURN_IF_ERROR(CrossBackward(x0_, input, weights_[i], pre_[i], *upstream, &dpre_, &dx0, downstream, &dweights_[i],
                                  &dbiases_[i]));
    upstream = downstream;
  }
  // x_0 is x0: the gradient along the layers' residual path joins the sum.
  return AddInto(*upstream, &dx0);
}

}  // namespace ember::ops
