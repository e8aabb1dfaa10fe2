// ops/internal/sequence_elements.h: one output element of each op of
// ops/sequence.h, as a function of the inputs. The CPU reference loops over
// the elements and each CUDA thread computes one, so both devices do the
// same arithmetic in the same order. Private to ops/. Layouts as in
// ops/sequence.h: L = seq_len, D = dim, H = heads, W = H * dh (the width of a
// multi-head matrix).
#pragma once

#include <cstdint>

#include "ops/internal/host_device.h"

namespace ember::ops::internal {

// SequencePool: out[b, d].
EMBER_HOST_DEVICE inline float PoolElement(const float* x, const int32_t* lengths, int64_t seq_len, int64_t dim,
                                           bool mean, int64_t b, int64_t d) {
  const int64_t len = lengths[b];
  float sum = 0.f;
  for (int64_t j = 0; j < len; ++j) sum += x[b * seq_len * dim + j * dim + d];
  return mean && len > 0 ? sum / static_cast<float>(len) : sum;
}

// SequencePoolBackward: dx[b, j*D + d].
EMBER_HOST_DEVICE inline float PoolGradElement(const float* dout, const int32_t* lengths, int64_t dim, bool mean,
                                               int64_t b, int64_t j, int64_t d) {
  const int64_t len = lengths[b];
  if (j >= len) return 0.f;
  const float g = dout[b * dim + d];
  return mean ? g / static_cast<float>(len) : g;
}

// WeightedSequencePool: out[b, d].
EMBER_HOST_DEVICE inline float WeightedPoolElement(const float* x, const float* weights, const int32_t* lengths,
                                                   int64_t seq_len, int64_t dim, int64_t b, int64_t d) {
  float sum = 0.f;
  for (int64_t j = 0; j < lengths[b]; ++j) sum += weights[b * seq_len + j] * x[b * seq_len * dim + j * dim + d];
  return sum;
}

// WeightedSequencePoolBackward: dweights[b, j].
EMBER_HOST_DEVICE inline float WeightedPoolGradWeight(const float* x, const int32_t* lengths, const float* dout,
                                                      int64_t seq_len, int64_t dim, int64_t b, int64_t j) {
  if (j >= lengths[b]) return 0.f;
  float dot = 0.f;
  for (int64_t d = 0; d < dim; ++d) dot += x[b * seq_len * dim + j * dim + d] * dout[b * dim + d];
  return dot;
}

// TargetAttentionFeatures: features[b*L + j, c], c in [0, 4D): [e, t, e - t, e * t].
EMBER_HOST_DEVICE inline float FeatureElement(const float* seq, const float* target, int64_t seq_len, int64_t dim,
                                              int64_t row, int64_t c) {
  const int64_t b = row / seq_len, j = row % seq_len, part = c / dim, d = c % dim;
  const float e = seq[b * seq_len * dim + j * dim + d], t = target[b * dim + d];
  return part == 0 ? e : part == 1 ? t : part == 2 ? e - t : e * t;
}

// The gradient of position j's features with respect to e (its element d).
EMBER_HOST_DEVICE inline float FeatureGradSeq(const float* target, const float* dfeatures, int64_t seq_len, int64_t dim,
                                              int64_t b, int64_t j, int64_t d) {
  const float* g = dfeatures + (b * seq_len + j) * 4 * dim;
  return g[d] + g[2 * dim + d] + target[b * dim + d] * g[3 * dim + d];
}

// The gradient of every position's features with respect to t (element d).
EMBER_HOST_DEVICE inline float FeatureGradTarget(const float* seq, const float* dfeatures, int64_t seq_len, int64_t dim,
                                                 int64_t b, int64_t d) {
  float sum = 0.f;
  for (int64_t j = 0; j < seq_len; ++j) {
    const float* g = dfeatures + (b * seq_len + j) * 4 * dim;
    sum += g[dim + d] - g[2 * dim + d] + seq[b * seq_len * dim + j * dim + d] * g[3 * dim + d];
  }
  return sum;
}

// HeadScores: scores[(b*H + h)*L + i, j].
EMBER_HOST_DEVICE inline float ScoreElement(const float* q, const float* k, int64_t seq_len, int64_t heads,
                                            int64_t width, float scale, int64_t row, int64_t j) {
  const int64_t head_dim = width / heads, i = row % seq_len, bh = row / seq_len, b = bh / heads, h = bh % heads;
  const float* qi = q + (b * seq_len + i) * width + h * head_dim;
  const float* kj = k + (b * seq_len + j) * width + h * head_dim;
  float dot = 0.f;
  for (int64_t d = 0; d < head_dim; ++d) dot += qi[d] * kj[d];
  return scale * dot;
}

// HeadScoresBackward: dq[b*L + i, h*dh + d] (`query` true) or dk[b*L + i, h*dh + d].
EMBER_HOST_DEVICE inline float ScoreGradElement(const float* other, const float* dscores, int64_t seq_len,
                                                int64_t heads, int64_t width, float scale, bool query, int64_t row,
                                                int64_t col) {
  const int64_t head_dim = width / heads, b = row / seq_len, i = row % seq_len, h = col / head_dim;
  const float* block = dscores + (b * heads + h) * seq_len * seq_len;
  float sum = 0.f;
  for (int64_t j = 0; j < seq_len; ++j) {
    const float g = query ? block[i * seq_len + j] : block[j * seq_len + i];
    sum += g * other[(b * seq_len + j) * width + col];
  }
  return scale * sum;
}

// HeadApply: out[b*L + i, h*dh + d] = sum_j A[(b*H + h)*L + i, j] * v[b*L + j, h*dh + d].
EMBER_HOST_DEVICE inline float ApplyElement(const float* attention, const float* v, int64_t seq_len, int64_t heads,
                                            int64_t width, int64_t row, int64_t col) {
  const int64_t head_dim = width / heads, b = row / seq_len, i = row % seq_len, h = col / head_dim;
  const float* a = attention + ((b * heads + h) * seq_len + i) * seq_len;
  float sum = 0.f;
  for (int64_t j = 0; j < seq_len; ++j) sum += a[j] * v[(b * seq_len + j) * width + col];
  return sum;
}

// HeadApplyBackward: dattention[(b*H + h)*L + i, j] = <dout[b*L + i, head h], v[b*L + j, head h]>.
EMBER_HOST_DEVICE inline float ApplyGradAttention(const float* v, const float* dout, int64_t seq_len, int64_t heads,
                                                  int64_t width, int64_t row, int64_t j) {
  const int64_t head_dim = width / heads, i = row % seq_len, bh = row / seq_len, b = bh / heads, h = bh % heads;
  const float* g = dout + (b * seq_len + i) * width + h * head_dim;
  const float* vj = v + (b * seq_len + j) * width + h * head_dim;
  float dot = 0.f;
  for (int64_t d = 0; d < head_dim; ++d) dot += g[d] * vj[d];
  return dot;
}

// HeadApplyBackward: dv[b*L + j, h*dh + d] = sum_i A[(b*H + h)*L + i, j] * dout[b*L + i, h*dh + d].
EMBER_HOST_DEVICE inline float ApplyGradValue(const float* attention, const float* dout, int64_t seq_len, int64_t heads,
                                              int64_t width, int64_t row, int64_t col) {
  const int64_t head_dim = width / heads, b = row / seq_len, j = row % seq_len, h = col / head_dim;
  const float* block = attention + (b * heads + h) * seq_len * seq_len;
  float sum = 0.f;
  for (int64_t i = 0; i < seq_len; ++i) sum += block[i * seq_len + j] * dout[(b * seq_len + i) * width + col];
  return sum;
}

}  // namespace ember::ops::internal
