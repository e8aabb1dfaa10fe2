// CPU reference of ops/softmax.h: per row, the max, then the sum of
// exponentials in column order.
#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/internal/softmax_kernels.h"

namespace ember::ops::cpu {
namespace {

// z[c] = logits[b, c] - log_q (per column or per element), for one row.
inline float Adjusted(const Tensor& logits, const Tensor& log_q, bool per_row, int64_t b, int64_t c) {
  const int64_t cols = logits.dim(1);
  const float z = logits.data()[b * cols + c];
  if (log_q.empty()) return z;
  return z - log_q.data()[per_row ? b * cols + c : c];
}

}  // namespace

Status MaskedSoftmaxForward(const Tensor& x, const IndexTensor& lengths, Tensor* y) {
  const int64_t n = x.dim(1);
  for (int64_t b = 0; b < x.rows(); ++b) {
    const int64_t len = lengths.numel() == 0 ? n : lengths.data()[b];
    const float* row = x.data() + b * n;
    float* out = y->data() + b * n;
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t i = 0; i < len; ++i) max = std::max(max, row[i]);
    float sum = 0.f;
    for (int64_t i = 0; i < len; ++i) sum += std::exp(row[i] - max);
    for (int64_t i = 0; i < len; ++i) out[i] = std::exp(row[i] - max) / sum;
    for (int64_t i = len; i < n; ++i) out[i] = 0.f;
  }
  return Status::OK();
}

Status MaskedSoftmaxBackward(const Tensor& y, const Tensor& dy, Tensor* dx) {
  const int64_t n = y.dim(1);
  for (int64_t b = 0; b < y.rows(); ++b) {
    const float* p = y.data() + b * n;
    const float* up = dy.data() + b * n;
    float dot = 0.f;
    for (int64_t i = 0; i < n; ++i) dot += p[i] * up[i];
    float* down = dx->data() + b * n;  // may alias dy: each element is read before it is written
    for (int64_t i = 0; i < n; ++i) down[i] = p[i] * (up[i] - dot);
  }
  return Status::OK();
}

Status SoftmaxCrossEntropyForward(const Tensor& logits, const Tensor& log_q, bool per_row, const IndexTensor& targets,
                                  double* mean_loss) {
  const int64_t cols = logits.dim(1);
  double total = 0;
  for (int64_t b = 0; b < logits.rows(); ++b) {
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < cols; ++c) max = std::max(max, Adjusted(logits, log_q, per_row, b, c));
    double sum = 0;
    for (int64_t c = 0; c < cols; ++c)
      sum += std::exp(static_cast<double>(Adjusted(logits, log_q, per_row, b, c)) - max);
    total += max + std::log(sum) - Adjusted(logits, log_q, per_row, b, targets.data()[b]);
  }
  *mean_loss = total / static_cast<double>(logits.rows());
  return Status::OK();
}

Status SoftmaxCrossEntropyBackward(const Tensor& logits, const Tensor& log_q, bool per_row, const IndexTensor& targets,
                                   Tensor* dlogits) {
  const int64_t cols = logits.dim(1);
  const float inv_batch = 1.f / static_cast<float>(logits.rows());
  for (int64_t b = 0; b < logits.rows(); ++b) {
    float max = -std::numeric_limits<float>::infinity();
    for (int64_t c = 0; c < cols; ++c) max = std::max(max, Adjusted(logits, log_q, per_row, b, c));
    float sum = 0.f;
    for (int64_t c = 0; c < cols; ++c) sum += std::exp(Adjusted(logits, log_q, per_row, b, c) - max);
    // Element c is read (for its own gradient) before it is written, and
    // the row's max and sum are already known: dlogits may alias logits.
    for (int64_t c = 0; c < cols; ++c) {
      const float p = std::exp(Adjusted(logits, log_q, per_row, b, c) - max) / sum;
      dlogits->data()[b * cols + c] = (p - (c == targets.data()[b] ? 1.f : 0.f)) * inv_batch;
    }
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
