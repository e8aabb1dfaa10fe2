// ops/internal/kernels.h: the per-device implementations behind the
// dispatchers in ops/*.cc. Private to ops/. Each function in cpu:: has a twin
// in cuda:: with the same signature; dispatchers have already checked shapes
// and devices, so implementations only check what needs the data (ids).
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/activation.h"
#include "ops/embedding_pool.h"
#include "ops/tensor.h"

namespace ember::ops {

// Hyper-parameters of one dense optimizer step, with the bias corrections of
// Adam already computed on the host.
struct DenseStepParams {
  float learning_rate = 0;
  float weight_decay = 0;
  float epsilon = 0;
  float beta1 = 0;
  float beta2 = 0;
  float bias_correction1 = 1;  // 1 - beta1^t
  float bias_correction2 = 1;  // 1 - beta2^t
};

#define EMBER_OPS_DECLARE_KERNELS                                                                                    \
  Status LinearForward(const Tensor& x, const Tensor& w, Tensor* y);                                                 \
  Status LinearBackward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor* dx, Tensor* dw);                 \
  Status BiasAdd(const Tensor& bias, Tensor* y);                                                                     \
  Status AddInto(const Tensor& x, Tensor* sum);                                                                      \
  Status Scale(float factor, Tensor* t);                                                                             \
  Status BiasBackward(const Tensor& dy, Tensor* dbias);                                                              \
  Status ActivationForward(Activation activation, const Tensor& x, Tensor* y);                                       \
  Status ActivationBackward(Activation activation, const Tensor& y, const Tensor& dy, Tensor* dx);                   \
  Status BiasActivation(const Tensor& bias, Activation activation, Tensor* y);                                       \
  Status ActivationBiasBackward(const Tensor& y, const Tensor& dy, Activation activation, Tensor* dpre,              \
                                Tensor* dbias);                                                                      \
  Status BceWithLogitsForward(const Tensor& logits, const Tensor& labels, const Tensor& weights, double* mean_loss); \
  Status BceWithLogitsBackward(const Tensor& logits, const Tensor& labels, const Tensor& weights, Tensor* dlogits);  \
  Status MseForward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, double* mean_loss);     \
  Status MseBackward(const Tensor& predictions, const Tensor& targets, const Tensor& weights, Tensor* dpredictions); \
  Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets, PoolMode mode, \
                              int64_t col_offset, Tensor* out);                                                      \
  Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids,                       \
                               const IndexTensor& offsets, PoolMode mode, Tensor* drows);                            \
  Status SgdStep(const DenseStepParams& p, int64_t n, float* values, const float* grads);                            \
  Status AdagradStep(const DenseStepParams& p, int64_t n, float* values, const float* grads, float* accumulators);   \
  Status AdamStep(const DenseStepParams& p, int64_t n, float* values, const float* grads, float* m, float* v);

namespace cpu {
EMBER_OPS_DECLARE_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_KERNELS
// Fills t (on a CUDA device) with value.
Status Fill(float value, Tensor* t);
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_KERNELS

}  // namespace ember::ops
