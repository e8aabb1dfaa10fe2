#include "ops/layers.h"

#include <glog/logging.h>

#include "ops/activation.h"
#include "ops/bias.h"
#include "ops/layer_norm.h"
#include "ops/linear.h"

namespace ember::ops {
namespace {

// Makes *t a [rows, cols] tensor on `device`, allocating only on a change.
Status EnsureMatrix(int64_t rows, int64_t cols, Device device, Tensor* t) {
  if (t->ndim() == 2 && t->dim(0) == rows && t->dim(1) == cols && t->device() == device) return Status::OK();
  ASSIGN_OR_RETURN(*t, Tensor::Allocate({rows, cols}, device));
  return Status::OK();
}

}  // namespace

Linear::Linear(ParameterSet* params, const std::string& name, int64_t in, int64_t out, Activation activation,
               Init weight_init)
    : params_(params), name_(name), in_(in), out_(out), activation_(activation) {
  CHECK(params != nullptr) << "Linear " << name << " needs a ParameterSet";
  CHECK(in > 0 && out > 0) << "Linear " << name << ": in " << in << ", out " << out;
  weight_id_ = params->Add(name + ".weight", {in, out}, weight_init);
  bias_id_ = params->Add(name + ".bias", {out}, Init::kZeros);
}

Status Linear::BindParameters() {
  if (!params_->finalized()) {
    return Status::FailedPrecondition("Linear ", name_, ": the ParameterSet is not finalized");
  }
  weight_ = params_->value(weight_id_);
  bias_ = params_->value(bias_id_);
  dweight_ = params_->grad(weight_id_);
  dbias_ = params_->grad(bias_id_);
  bound_ = true;
  return Status::OK();
}

Status Linear::Forward(const Tensor& x, Tensor* y) {
  if (!bound_) RETURN_IF_ERROR(BindParameters());
  if (x.ndim() < 2 || x.cols() != in_ || !(x.device() == params_->device())) {
    return Status::InvalidArgument("Linear ", name_, ": input ", x.DebugString(), ", expected [B, ", in_, "] on ",
                                   params_->device().DebugString());
  }
  RETURN_IF_ERROR(EnsureMatrix(x.rows(), out_, x.device(), y));
  RETURN_IF_ERROR(LinearForward(x, weight_, y));
  RETURN_IF_ERROR(BiasActivation(bias_, activation_, y));
  x_ = x;  // copy-assignment reuses the shape vector's capacity: no allocation
  if (activation_ != Activation::kNone) y_ = *y;
  return Status::OK();
}

Status Linear::Backward(const Tensor& dy, Tensor* dx) {
  if (x_.ndim() == 0) {
    return Status::FailedPrecondition("Linear ", name_, ": Backward without a Forward");
  }
  if (dy.ndim() < 1 || dy.rows() != x_.rows() || dy.cols() != out_ || !(dy.device() == x_.device())) {
    return Status::InvalidArgument("Linear ", name_, ": dy ", dy.DebugString(), ", expected [", x_.rows(), ", ", out_,
                                   "] on ", x_.device().DebugString());
  }
  const Tensor* dpre = &dy;
  if (activation_ == Activation::kNone) {
    RETURN_IF_ERROR(BiasBackward(dy, &dbias_));
  } else {
    RETURN_IF_ERROR(EnsureMatrix(dy.rows(), out_, dy.device(), &dpre_));
    RETURN_IF_ERROR(ActivationBiasBackward(y_, dy, activation_, &dpre_, &dbias_));
    dpre = &dpre_;
  }
  if (dx != nullptr && (dx->shape() != x_.shape() || !(dx->device() == x_.device()))) {
    ASSIGN_OR_RETURN(*dx, Tensor::Allocate(x_.shape(), x_.device()));
  }
  return LinearBackward(x_, weight_, *dpre, dx, &dweight_);
}

Mlp::Mlp(ParameterSet* params, const std::string& name, int64_t in, std::vector<int64_t> hidden, int64_t out,
         Activation hidden_activation, Activation output_activation) {
  int64_t width = in;
  for (size_t i = 0; i < hidden.size(); ++i) {
    layers_.emplace_back(params, name + "." + std::to_string(i), width, hidden[i], hidden_activation);
    width = hidden[i];
  }
  layers_.emplace_back(params, name + "." + std::to_string(hidden.size()), width, out, output_activation);
  activations_.resize(hidden.size());
  gradients_.resize(hidden.size());
}

Status Mlp::Forward(const Tensor& x, Tensor* y) {
  const size_t last = layers_.size() - 1;
  for (size_t i = 0; i <= last; ++i) {
    const Tensor& input = i == 0 ? x : activations_[i - 1];
    Tensor* output = i == last ? y : &activations_[i];
    RETURN_IF_ERROR(layers_[i].Forward(input, output));
  }
  return Status::OK();
}

Status Mlp::Backward(const Tensor& dy, Tensor* dx) {
  for (size_t i = layers_.size(); i-- > 0;) {
    const Tensor& upstream = i == layers_.size() - 1 ? dy : gradients_[i];
    Tensor* downstream = i == 0 ? dx : &gradients_[i - 1];
    RETURN_IF_ERROR(layers_[i].Backward(upstream, downstream));
  }
  return Status::OK();
}

LayerNorm::LayerNorm(ParameterSet* params, const std::string& name, int64_t dim, float epsilon)
    : params_(params),
      dim_(dim),
      epsilon_(epsilon),
      gamma_id_(params->Add(name + ".gamma", {dim}, Init::kOnes)),
      beta_id_(params->Add(name + ".beta", {dim}, Init::kZeros)) {}

Status LayerNorm::Forward(const Tensor& x, Tensor* y) {
  if (!params_->finalized()) return Status::FailedPrecondition("LayerNorm::Forward before ParameterSet::Finalize");
  if (x.numel() % dim_ != 0) {
    return Status::InvalidArgument("LayerNorm over ", dim_, " values: input ", x.ShapeString());
  }
  const int64_t rows = x.numel() / dim_;
  x_ = Tensor::View(x.device_data(), {rows, dim_}, x.device());
  if (y->shape() != x.shape() || y->device() != x.device()) {
    ASSIGN_OR_RETURN(*y, Tensor::Allocate(x.shape(), x.device()));
  }
  if (mean_.numel() != rows || mean_.device() != x.device()) {
    ASSIGN_OR_RETURN(mean_, Tensor::Allocate({rows}, x.device()));
    ASSIGN_OR_RETURN(rstd_, Tensor::Allocate({rows}, x.device()));
  }
  Tensor y2 = y->Reshaped({rows, dim_});
  return LayerNormForward(x_, params_->value(gamma_id_), params_->value(beta_id_), epsilon_, &y2, &mean_, &rstd_);
}

Status LayerNorm::Backward(const Tensor& dy, Tensor* dx) {
  if (x_.empty()) return Status::FailedPrecondition("LayerNorm::Backward without a Forward");
  if (dy.numel() != x_.numel()) {
    return Status::InvalidArgument("LayerNorm::Backward: dy ", dy.ShapeString(), " for input ", x_.ShapeString());
  }
  if (dx->numel() != x_.numel() || dx->device() != x_.device()) {
    ASSIGN_OR_RETURN(*dx, Tensor::Allocate(dy.shape(), x_.device()));
  }
  Tensor dy2 = Tensor::View(dy.device_data(), x_.shape(), dy.device());
  Tensor dx2 = dx->Reshaped(x_.shape());
  Tensor dgamma = params_->grad(gamma_id_);
  Tensor dbeta = params_->grad(beta_id_);
  return LayerNormBackward(x_, params_->value(gamma_id_), mean_, rstd_, dy2, &dx2, &dgamma, &dbeta);
}

}  // namespace ember::ops
