// CPU reference of ops/bias.h and ops/activation.h: contiguous loops that the
// compiler vectorises; the fused variants make one pass over the matrix.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/internal/kernels.h"

namespace ember::ops::cpu {
namespace {

inline float SigmoidOf(float x) {
  // exp of a non-positive argument never overflows.
  if (x >= 0.f) return 1.f / (1.f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.f + e);
}

}  // namespace

Status BiasAdd(const Tensor& bias, Tensor* y) {
  const int64_t rows = y->rows(), cols = y->cols();
  const float* __restrict b = bias.data();
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = y->data() + r * cols;
    for (int64_t j = 0; j < cols; ++j) row[j] += b[j];
  }
  return Status::OK();
}

Status BiasBackward(const Tensor& dy, Tensor* dbias) {
  const int64_t rows = dy.rows(), cols = dy.cols();
  float* __restrict db = dbias->data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* __restrict row = dy.data() + r * cols;
    for (int64_t j = 0; j < cols; ++j) db[j] += row[j];
  }
  return Status::OK();
}

// x and y may alias, so no __restrict here: each element is read, then written.
Status ActivationForward(Activation activation, const Tensor& x, Tensor* y) {
  const int64_t n = x.numel();
  const float* in = x.data();
  float* out = y->data();
  switch (activation) {
    case Activation::kNone:
      if (in != out) std::memmove(out, in, static_cast<size_t>(n) * sizeof(float));
      break;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) out[i] = std::max(in[i], 0.f);
      break;
    case Activation::kSigmoid:
      for (int64_t i = 0; i < n; ++i) out[i] = SigmoidOf(in[i]);
      break;
  }
  return Status::OK();
}

Status ActivationBackward(Activation activation, const Tensor& y, const Tensor& dy, Tensor* dx) {
  const int64_t n = y.numel();
  const float* out = y.data();
  const float* g = dy.data();
  float* dg = dx->data();
  switch (activation) {
    case Activation::kNone:
      if (g != dg) std::memmove(dg, g, static_cast<size_t>(n) * sizeof(float));
      break;
    case Activation::kRelu:
      for (int64_t i = 0; i < n; ++i) dg[i] = out[i] > 0.f ? g[i] : 0.f;
      break;
    case Activation::kSigmoid:
      for (int64_t i = 0; i < n; ++i) dg[i] = g[i] * out[i] * (1.f - out[i]);
      break;
  }
  return Status::OK();
}

Status BiasActivation(const Tensor& bias, Activation activation, Tensor* y) {
  const int64_t rows = y->rows(), cols = y->cols();
  const float* __restrict b = bias.data();
  for (int64_t r = 0; r < rows; ++r) {
    float* __restrict row = y->data() + r * cols;
    switch (activation) {
      case Activation::kNone:
        for (int64_t j = 0; j < cols; ++j) row[j] += b[j];
        break;
      case Activation::kRelu:
        for (int64_t j = 0; j < cols; ++j) row[j] = std::max(row[j] + b[j], 0.f);
        break;
      case Activation::kSigmoid:
        for (int64_t j = 0; j < cols; ++j) row[j] = SigmoidOf(row[j] + b[j]);
        break;
    }
  }
  return Status::OK();
}

Status ActivationBiasBackward(const Tensor& y, const Tensor& dy, Activation activation, Tensor* dpre, Tensor* dbias) {
  const int64_t rows = y.rows(), cols = y.cols();
  float* __restrict db = dbias->data();
  for (int64_t r = 0; r < rows; ++r) {
    const float* out = y.data() + r * cols;
    const float* g = dy.data() + r * cols;
    float* dg = dpre->data() + r * cols;  // may alias g
    switch (activation) {
      case Activation::kNone:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = g[j];
          dg[j] = v;
          db[j] += v;
        }
        break;
      case Activation::kRelu:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = out[j] > 0.f ? g[j] : 0.f;
          dg[j] = v;
          db[j] += v;
        }
        break;
      case Activation::kSigmoid:
        for (int64_t j = 0; j < cols; ++j) {
          const float v = g[j] * out[j] * (1.f - out[j]);
          dg[j] = v;
          db[j] += v;
        }
        break;
    }
  }
  return Status::OK();
}

Status AddInto(const Tensor& x, Tensor* sum) {
  const int64_t n = x.numel();
  const float* __restrict g = x.data();
  float* __restrict out = sum->data();
  for (int64_t i = 0; i < n; ++i) out[i] += g[i];
  return Status::OK();
}

Status Scale(float factor, Tensor* t) {
  float* __restrict values = t->data();
  for (int64_t i = 0; i < t->numel(); ++i) values[i] *= factor;
  return Status::OK();
}

}  // namespace ember::ops::cpu
