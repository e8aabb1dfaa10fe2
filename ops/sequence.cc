// Shape, device and length checks for ops/sequence.h, then a switch on the
// device.
#include "ops/sequence.h"

#include "ops/internal/dispatch.h"
#include "ops/internal/sequence_kernels.h"

namespace ember::ops {
namespace {

// t is [rows, cols] on `device`.
Status CheckMatrix(const char* op, const char* name, const Tensor& t, int64_t rows, int64_t cols, Device device) {
  if (t.ndim() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
    return Status::InvalidArgument(op, ": ", name, " is ", t.ShapeString(), ", expected [", rows, ", ", cols, "]");
  }
  return internal::CheckDevice(op, name, t.device(), device);
}

// A batch of sequences x [B, L*D] (D > 0) with B lengths in [0, L]; returns L.
StatusOr<int64_t> CheckSequences(const char* op, const Tensor& x, const IndexTensor& lengths, int64_t dim) {
  if (x.ndim() != 2 || dim <= 0 || x.dim(1) % dim != 0) {
    return Status::InvalidArgument(op, ": sequences ", x.ShapeString(), " are not [B, L*D] with D = ", dim);
  }
  const int64_t seq_len = x.dim(1) / dim;
  if (lengths.numel() != x.dim(0)) {
    return Status::InvalidArgument(op, ": ", lengths.numel(), " lengths for ", x.dim(0), " sequences");
  }
  RETURN_IF_ERROR(internal::CheckDevice(op, "lengths", lengths.device(), x.device()));
  RETURN_IF_ERROR(internal::CheckIndexRange(op, "lengths", lengths, 0, seq_len));
  return seq_len;
}

// Multi-head rows [B*L, H*dh]: rows a multiple of seq_len, cols of heads.
Status CheckHeads(const char* op, const char* name, const Tensor& t, int64_t seq_len, int64_t heads) {
  if (t.ndim() != 2 || seq_len <= 0 || heads <= 0 || t.dim(0) % seq_len != 0 || t.dim(1) % heads != 0) {
    return Status::InvalidArgument(op, ": ", name, " ", t.ShapeString(), " is not [B*L, H*dh] with L = ", seq_len,
                                   ", H = ", heads);
  }
  return Status::OK();
}

#define EMBER_SEQUENCE_DISPATCH(device, op, ...)   \
  switch ((device).type) {                         \
    case DeviceType::kCpu:                         \
      return cpu::op(__VA_ARGS__);                 \
      EMBER_OPS_CUDA_CASE(device, op, __VA_ARGS__) \
  }                                                \
  return Status::Internal(#op ": unknown device")

}  // namespace

Status SequencePoolForward(const Tensor& x, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* out) {
  RETURN_IF_ERROR(CheckSequences("SequencePoolForward", x, lengths, dim).status());
  RETURN_IF_ERROR(CheckMatrix("SequencePoolForward", "out", *out, x.dim(0), dim, x.device()));
  if (x.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(x.device(), SequencePoolForward, x, lengths, dim, mean, out);
}

Status SequencePoolBackward(const Tensor& dout, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* dx) {
  RETURN_IF_ERROR(CheckSequences("SequencePoolBackward", *dx, lengths, dim).status());
  RETURN_IF_ERROR(CheckMatrix("SequencePoolBackward", "dout", dout, dx->dim(0), dim, dx->device()));
  if (dx->rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(dx->device(), SequencePoolBackward, dout, lengths, dim, mean, dx);
}

Status WeightedSequencePoolForward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths, int64_t dim,
                                   Tensor* out) {
  constexpr const char* kOp = "WeightedSequencePoolForward";
  ASSIGN_OR_RETURN(int64_t seq_len, CheckSequences(kOp, x, lengths, dim));
  RETURN_IF_ERROR(CheckMatrix(kOp, "weights", weights, x.dim(0), seq_len, x.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "out", *out, x.dim(0), dim, x.device()));
  if (x.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(x.device(), WeightedSequencePoolForward, x, weights, lengths, dim, out);
}

Status WeightedSequencePoolBackward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths,
                                    const Tensor& dout, int64_t dim, Tensor* dx, Tensor* dweights) {
  constexpr const char* kOp = "WeightedSequencePoolBackward";
  ASSIGN_OR_RETURN(int64_t seq_len, CheckSequences(kOp, x, lengths, dim));
  RETURN_IF_ERROR(CheckMatrix(kOp, "weights", weights, x.dim(0), seq_len, x.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dout", dout, x.dim(0), dim, x.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dx", *dx, x.dim(0), x.dim(1), x.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dweights", *dweights, x.dim(0), seq_len, x.device()));
  if (x.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(x.device(), WeightedSequencePoolBackward, x, weights, lengths, dout, dim, dx, dweights);
}

Status TargetAttentionFeaturesForward(const Tensor& seq, const Tensor& target, int64_t dim, Tensor* features) {
  constexpr const char* kOp = "TargetAttentionFeaturesForward";
  if (seq.ndim() != 2 || dim <= 0 || seq.dim(1) % dim != 0) {
    return Status::InvalidArgument(kOp, ": sequences ", seq.ShapeString(), " are not [B, L*D] with D = ", dim);
  }
  const int64_t seq_len = seq.dim(1) / dim;
  RETURN_IF_ERROR(CheckMatrix(kOp, "target", target, seq.dim(0), dim, seq.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "features", *features, seq.dim(0) * seq_len, 4 * dim, seq.device()));
  if (seq.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(seq.device(), TargetAttentionFeaturesForward, seq, target, dim, features);
}

Status TargetAttentionFeaturesBackward(const Tensor& seq, const Tensor& target, const Tensor& dfeatures, int64_t dim,
                                       Tensor* dseq, Tensor* dtarget) {
  constexpr const char* kOp = "TargetAttentionFeaturesBackward";
  if (seq.ndim() != 2 || dim <= 0 || seq.dim(1) % dim != 0) {
    return Status::InvalidArgument(kOp, ": sequences ", seq.ShapeString(), " are not [B, L*D] with D = ", dim);
  }
  const int64_t seq_len = seq.dim(1) / dim;
  RETURN_IF_ERROR(CheckMatrix(kOp, "target", target, seq.dim(0), dim, seq.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dfeatures", dfeatures, seq.dim(0) * seq_len, 4 * dim, seq.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dseq", *dseq, seq.dim(0), seq.dim(1), seq.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dtarget", *dtarget, seq.dim(0), dim, seq.device()));
  if (seq.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(seq.device(), TargetAttentionFeaturesBackward, seq, target, dfeatures, dim, dseq, dtarget);
}

Status HeadScoresForward(const Tensor& q, const Tensor& k, int64_t seq_len, int64_t heads, float scale,
                         Tensor* scores) {
  constexpr const char* kOp = "HeadScoresForward";
  RETURN_IF_ERROR(CheckHeads(kOp, "q", q, seq_len, heads));
  RETURN_IF_ERROR(CheckMatrix(kOp, "k", k, q.dim(0), q.dim(1), q.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "scores", *scores, q.dim(0) * heads, seq_len, q.device()));
  if (q.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(q.device(), HeadScoresForward, q, k, seq_len, heads, scale, scores);
}

Status HeadScoresBackward(const Tensor& q, const Tensor& k, const Tensor& dscores, int64_t seq_len, int64_t heads,
                          float scale, Tensor* dq, Tensor* dk) {
  constexpr const char* kOp = "HeadScoresBackward";
  RETURN_IF_ERROR(CheckHeads(kOp, "q", q, seq_len, heads));
  RETURN_IF_ERROR(CheckMatrix(kOp, "k", k, q.dim(0), q.dim(1), q.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dscores", dscores, q.dim(0) * heads, seq_len, q.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dq", *dq, q.dim(0), q.dim(1), q.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dk", *dk, q.dim(0), q.dim(1), q.device()));
  if (q.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(q.device(), HeadScoresBackward, q, k, dscores, seq_len, heads, scale, dq, dk);
}

Status HeadApplyForward(const Tensor& attention, const Tensor& v, int64_t seq_len, int64_t heads, Tensor* out) {
  constexpr const char* kOp = "HeadApplyForward";
  RETURN_IF_ERROR(CheckHeads(kOp, "v", v, seq_len, heads));
  RETURN_IF_ERROR(CheckMatrix(kOp, "attention", attention, v.dim(0) * heads, seq_len, v.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "out", *out, v.dim(0), v.dim(1), v.device()));
  if (v.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(v.device(), HeadApplyForward, attention, v, seq_len, heads, out);
}

Status HeadApplyBackward(const Tensor& attention, const Tensor& v, const Tensor& dout, int64_t seq_len, int64_t heads,
                         Tensor* dattention, Tensor* dv) {
  constexpr const char* kOp = "HeadApplyBackward";
  RETURN_IF_ERROR(CheckHeads(kOp, "v", v, seq_len, heads));
  RETURN_IF_ERROR(CheckMatrix(kOp, "attention", attention, v.dim(0) * heads, seq_len, v.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dout", dout, v.dim(0), v.dim(1), v.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dattention", *dattention, v.dim(0) * heads, seq_len, v.device()));
  RETURN_IF_ERROR(CheckMatrix(kOp, "dv", *dv, v.dim(0), v.dim(1), v.device()));
  if (v.rows() == 0) return Status::OK();
  EMBER_SEQUENCE_DISPATCH(v.device(), HeadApplyBackward, attention, v, dout, seq_len, heads, dattention, dv);
}

}  // namespace ember::ops
