// ops/internal/softmax_kernels.h: the per-device implementations behind
// ops/softmax.cc. Private to ops/. The dispatcher has checked shapes,
// devices and target ranges. `log_q_per_row`: log_q is [B, C] (else [C] or
// empty).
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_SOFTMAX_KERNELS                                                           \
  Status MaskedSoftmaxForward(const Tensor& x, const IndexTensor& lengths, Tensor* y);              \
  Status MaskedSoftmaxBackward(const Tensor& y, const Tensor& dy, Tensor* dx);                      \
  Status SoftmaxCrossEntropyForward(const Tensor& logits, const Tensor& log_q, bool log_q_per_row,  \
                                    const IndexTensor& targets, double* mean_loss);                 \
  Status SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& log_q, bool log_q_per_row, \
                                     const IndexTensor& targets, Tensor* dlogits);

namespace cpu {
EMBER_OPS_DECLARE_SOFTMAX_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_SOFTMAX_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_SOFTMAX_KERNELS

}  // namespace ember::ops
