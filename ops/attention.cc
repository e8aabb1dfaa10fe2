#include "ops/attention.h"

#include <cmath>

#include <glog/logging.h>

#include "ops/bias.h"
#include "ops/sequence.h"
#include "ops/softmax.h"

namespace ember::ops {
namespace {

// Makes *t a tensor of `shape` on `device`, allocating only on a change.
Status Ensure(std::vector<int64_t> shape, Device device, Tensor* t) {
  if (t->shape() == shape && t->device() == device) return Status::OK();
  ASSIGN_OR_RETURN(*t, Tensor::Allocate(std::move(shape), device));
  return Status::OK();
}

// The host values of an IndexTensor (lengths: B values).
StatusOr<std::vector<int32_t>> HostValues(const IndexTensor& t) {
  if (t.device().is_cpu()) return std::vector<int32_t>(t.data(), t.data() + t.numel());
  ASSIGN_OR_RETURN(IndexTensor host, t.To(Device::Cpu()));
  return std::vector<int32_t>(host.data(), host.data() + host.numel());
}

}  // namespace

TargetAttention::TargetAttention(ParameterSet* params, const std::string& name, int64_t dim,
                                 std::vector<int64_t> hidden)
    : name_(name), dim_(dim), mlp_(params, name + ".mlp", 4 * dim, std::move(hidden), 1) {
  CHECK(dim > 0) << "TargetAttention " << name << ": dim " << dim;
}

Status TargetAttention::Forward(const Tensor& seq, const Tensor& target, const IndexTensor& lengths, Tensor* out) {
  if (seq.ndim() != 2 || seq.dim(1) % dim_ != 0) {
    return Status::InvalidArgument("TargetAttention ", name_, ": history ", seq.ShapeString(), " is not [B, L*", dim_,
                                   "]");
  }
  const int64_t batch = seq.dim(0), seq_len = seq.dim(1) / dim_;
  RETURN_IF_ERROR(Ensure({batch * seq_len, 4 * dim_}, seq.device(), &features_));
  RETURN_IF_ERROR(TargetAttentionFeaturesForward(seq, target, dim_, &features_));
  RETURN_IF_ERROR(mlp_.Forward(features_, &scores_));  // [B*L, 1]
  RETURN_IF_ERROR(Ensure({batch, dim_}, seq.device(), out));
  RETURN_IF_ERROR(WeightedSequencePoolForward(seq, scores_.Reshaped({batch, seq_len}), lengths, dim_, out));
  seq_ = seq;
  target_ = target;
  lengths_ = lengths;
  return Status::OK();
}

Status TargetAttention::Backward(const Tensor& dout, Tensor* dseq, Tensor* dtarget) {
  if (seq_.ndim() == 0) return Status::FailedPrecondition("TargetAttention ", name_, ": Backward without a Forward");
  const int64_t batch = seq_.dim(0), seq_len = seq_.dim(1) / dim_;
  RETURN_IF_ERROR(Ensure(seq_.shape(), seq_.device(), dseq));
  RETURN_IF_ERROR(Ensure({batch, dim_}, seq_.device(), dtarget));
  RETURN_IF_ERROR(Ensure({batch, seq_len}, seq_.device(), &dweights_));
  RETURN_IF_ERROR(
      WeightedSequencePoolBackward(seq_, scores_.Reshaped({batch, seq_len}), lengths_, dout, dim_, dseq, &dweights_));
  RETURN_IF_ERROR(mlp_.Backward(dweights_.Reshaped({batch * seq_len, 1}), &dfeatures_));
  RETURN_IF_ERROR(SetZero(dtarget));
  return TargetAttentionFeaturesBackward(seq_, target_, dfeatures_, dim_, dseq, dtarget);
}

MultiHeadSelfAttention::MultiHeadSelfAttention(ParameterSet* params, const std::string& name, int64_t seq_len,
                                               int64_t dim, int64_t heads)
    : name_(name),
      seq_len_(seq_len),
      dim_(dim),
      heads_(heads),
      params_(params),
      positions_id_(params->Add(name + ".positions", {seq_len * dim}, Init::kNormal001)),
      q_(params, name + ".q", dim, dim),
      k_(params, name + ".k", dim, dim),
      v_(params, name + ".v", dim, dim),
      o_(params, name + ".o", dim, dim) {
  CHECK(seq_len > 0 && heads > 0 && dim > 0 && dim % heads == 0)
      << "MultiHeadSelfAttention " << name << ": seq_len " << seq_len << ", dim " << dim << ", heads " << heads;
}

Status MultiHeadSelfAttention::Forward(const Tensor& x, const IndexTensor& lengths, Tensor* out) {
  if (x.ndim() != 2 || x.dim(1) != seq_len_ * dim_) {
    return Status::InvalidArgument("MultiHeadSelfAttention ", name_, ": input ", x.ShapeString(), " is not [B, ",
                                   seq_len_ * dim_, "]");
  }
  if (lengths.numel() != x.dim(0)) {
    return Status::InvalidArgument("MultiHeadSelfAttention ", name_, ": ", lengths.numel(), " lengths for ", x.dim(0),
                                   " sequences");
  }
  const int64_t batch = x.dim(0), rows = batch * seq_len_;
  // h = x + positions (the positions broadcast over the batch like a bias).
  RETURN_IF_ERROR(Ensure({batch, seq_len_ * dim_}, x.device(), &h_));
  RETURN_IF_ERROR(CopyInto(x, &h_));
  RETURN_IF_ERROR(BiasAdd(params_->value(positions_id_), &h_));
  const Tensor positions_major = h_.Reshaped({rows, dim_});
  RETURN_IF_ERROR(q_.Forward(positions_major, &query_));
  RETURN_IF_ERROR(k_.Forward(positions_major, &key_));
  RETURN_IF_ERROR(v_.Forward(positions_major, &value_));
  // Each (sample, head, query) row of the scores attends to its sample's keys.
  ASSIGN_OR_RETURN(std::vector<int32_t> host_lengths, HostValues(lengths));
  std::vector<int32_t> key_lengths(static_cast<size_t>(rows * heads_));
  for (int64_t b = 0; b < batch; ++b) {
    if (host_lengths[b] < 0 || host_lengths[b] > seq_len_) {
      return Status::InvalidArgument("MultiHeadSelfAttention ", name_, ": lengths[", b, "] = ", host_lengths[b],
                                     ", outside [0, ", seq_len_, "]");
    }
    std::fill(key_lengths.begin() + b * heads_ * seq_len_, key_lengths.begin() + (b + 1) * heads_ * seq_len_,
              host_lengths[b]);
  }
  ASSIGN_OR_RETURN(key_lengths_, IndexTensor::FromVectorOr(key_lengths, x.device()));
  RETURN_IF_ERROR(Ensure({rows * heads_, seq_len_}, x.device(), &scores_));
  RETURN_IF_ERROR(Ensure({rows * heads_, seq_len_}, x.device(), &attention_));
  const float scale = 1.f / std::sqrt(static_cast<float>(dim_ / heads_));
  RETURN_IF_ERROR(HeadScoresForward(query_, key_, seq_len_, heads_, scale, &scores_));
  RETURN_IF_ERROR(MaskedSoftmaxForward(scores_, key_lengths_, &attention_));
  RETURN_IF_ERROR(Ensure({rows, dim_}, x.device(), &heads_out_));
  RETURN_IF_ERROR(HeadApplyForward(attention_, value_, seq_len_, heads_, &heads_out_));
  RETURN_IF_ERROR(Ensure({batch, seq_len_ * dim_}, x.device(), out));
  Tensor out_rows = out->Reshaped({rows, dim_});  // the projection writes *out in place
  RETURN_IF_ERROR(o_.Forward(heads_out_, &out_rows));
  x_ = x;
  return Status::OK();
}

Status MultiHeadSelfAttention::Backward(const Tensor& dout, Tensor* dx) {
  if (x_.ndim() == 0) {
    return Status::FailedPrecondition("MultiHeadSelfAttention ", name_, ": Backward without a Forward");
  }
  const int64_t batch = x_.dim(0), rows = batch * seq_len_;
  if (dout.numel() != rows * dim_) {
    return Status::InvalidArgument("MultiHeadSelfAttention ", name_, ": dout ", dout.ShapeString(), ", expected [",
                                   batch, ", ", seq_len_ * dim_, "]");
  }
  RETURN_IF_ERROR(o_.Backward(dout.Reshaped({rows, dim_}), &dheads_out_));
  RETURN_IF_ERROR(Ensure(attention_.shape(), x_.device(), &dattention_));
  RETURN_IF_ERROR(Ensure(value_.shape(), x_.device(), &dvalue_));
  RETURN_IF_ERROR(HeadApplyBackward(attention_, value_, dheads_out_, seq_len_, heads_, &dattention_, &dvalue_));
  RETURN_IF_ERROR(Ensure(scores_.shape(), x_.device(), &dscores_));
  RETURN_IF_ERROR(MaskedSoftmaxBackward(attention_, dattention_, &dscores_));
  RETURN_IF_ERROR(Ensure(query_.shape(), x_.device(), &dquery_));
  RETURN_IF_ERROR(Ensure(key_.shape(), x_.device(), &dkey_));
  const float scale = 1.f / std::sqrt(static_cast<float>(dim_ / heads_));
  RETURN_IF_ERROR(HeadScoresBackward(query_, key_, dscores_, seq_len_, heads_, scale, &dquery_, &dkey_));
  // dh = the three projections' input gradients.
  RETURN_IF_ERROR(q_.Backward(dquery_, &dh_));
  RETURN_IF_ERROR(k_.Backward(dkey_, &dpart_));
  RETURN_IF_ERROR(AddInto(dpart_, &dh_));
  RETURN_IF_ERROR(v_.Backward(dvalue_, &dpart_));
  RETURN_IF_ERROR(AddInto(dpart_, &dh_));
  Tensor dpositions = params_->grad(positions_id_);
  RETURN_IF_ERROR(BiasBackward(dh_.Reshaped({batch, seq_len_ * dim_}), &dpositions));
  RETURN_IF_ERROR(Ensure({batch, seq_len_ * dim_}, x_.device(), dx));
  return CopyInto(dh_, dx);
}

}  // namespace ember::ops
