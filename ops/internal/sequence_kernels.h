// ops/internal/sequence_kernels.h: the per-device implementations behind
// ops/sequence.cc. Private to ops/. The dispatcher has checked shapes,
// devices and lengths.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_SEQUENCE_KERNELS                                                                            \
  Status SequencePoolForward(const Tensor& x, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* out);       \
  Status SequencePoolBackward(const Tensor& dout, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* dx);    \
  Status WeightedSequencePoolForward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths, int64_t dim, \
                                     Tensor* out);                                                                    \
  Status WeightedSequencePoolBackward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths,             \
                                      const Tensor& dout, int64_t dim, Tensor* dx, Tensor* dweights);                 \
  Status TargetAttentionFeaturesForward(const Tensor& seq, const Tensor& target, int64_t dim, Tensor* features);      \
  Status TargetAttentionFeaturesBackward(const Tensor& seq, const Tensor& target, const Tensor& dfeatures,            \
                                         int64_t dim, Tensor* dseq, Tensor* dtarget);                                 \
  Status HeadScoresForward(const Tensor& q, const Tensor& k, int64_t seq_len, int64_t heads, float scale,             \
                           Tensor* scores);                                                                           \
  Status HeadScoresBackward(const Tensor& q, const Tensor& k, const Tensor& dscores, int64_t seq_len, int64_t heads,  \
                            float scale, Tensor* dq, Tensor* dk);                                                     \
  Status HeadApplyForward(const Tensor& attention, const Tensor& v, int64_t seq_len, int64_t heads, Tensor* out);     \
  Status HeadApplyBackward(const Tensor& attention, const Tensor& v, const Tensor& dout, int64_t seq_len,             \
                           int64_t heads, Tensor* dattention, Tensor* dv);

namespace cpu {
EMBER_OPS_DECLARE_SEQUENCE_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_SEQUENCE_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_SEQUENCE_KERNELS

}  // namespace ember::ops
