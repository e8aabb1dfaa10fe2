// CUDA implementation of ops/sequence.h: one thread per output element,
// computed by the same functions as the CPU (ops/internal/sequence_elements.h),
// so both devices give the same bits for the same inputs (up to the
// compiler's contraction of a*b+c into fused multiply-adds). No atomics.
#include "ops/internal/device_memory.h"
#include "ops/internal/sequence_elements.h"
#include "ops/internal/sequence_kernels.h"

namespace ember::ops::cuda {
namespace {

using namespace ::ember::ops::internal;

constexpr int kThreads = 256;

#define EMBER_FOR_EACH_ELEMENT(i, n)                                                         \
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < (n); \
       i += static_cast<long long>(gridDim.x) * blockDim.x)

__global__ void PoolKernel(long long rows, long long seq_len, long long dim, bool mean, const float* x,
                           const int* lengths, float* out) {
  EMBER_FOR_EACH_ELEMENT(i, rows * dim) { out[i] = PoolElement(x, lengths, seq_len, dim, mean, i / dim, i % dim); }
}

__global__ void PoolGradKernel(long long rows, long long seq_len, long long dim, bool mean, const float* dout,
                               const int* lengths, float* dx) {
  EMBER_FOR_EACH_ELEMENT(i, rows * seq_len * dim) {
    const long long b = i / (seq_len * dim), j = i / dim % seq_len, d = i % dim;
    dx[i] = PoolGradElement(dout, lengths, dim, mean, b, j, d);
  }
}

__global__ void WeightedPoolKernel(long long rows, long long seq_len, long long dim, const float* x,
                                   const float* weights, const int* lengths, float* out) {
  EMBER_FOR_EACH_ELEMENT(i, rows * dim) {
    out[i] = WeightedPoolElement(x, weights, lengths, seq_len, dim, i / dim, i % dim);
  }
}

__global__ void WeightedPoolGradKernel(long long rows, long long seq_len, long long dim, const float* x,
                                       const float* weights, const int* lengths, const float* dout, float* dx,
                                       float* dweights) {
  EMBER_FOR_EACH_ELEMENT(i, rows * seq_len * dim) {
    const long long b = i / (seq_len * dim), j = i / dim % seq_len, d = i % dim;
    dx[i] = j < lengths[b] ? weights[b * seq_len + j] * dout[b * dim + d] : 0.f;
    if (d == 0) dweights[b * seq_len + j] = WeightedPoolGradWeight(x, lengths, dout, seq_len, dim, b, j);
  }
}

__global__ void FeaturesKernel(long long rows, long long seq_len, long long dim, const float* seq, const float* target,
                               float* features) {
  EMBER_FOR_EACH_ELEMENT(i, rows * 4 * dim) {
    features[i] = FeatureElement(seq, target, seq_len, dim, i / (4 * dim), i % (4 * dim));
  }
}

__global__ void FeaturesGradSeqKernel(long long batch, long long seq_len, long long dim, const float* target,
                                      const float* dfeatures, float* dseq) {
  EMBER_FOR_EACH_ELEMENT(i, batch * seq_len * dim) {
    const long long b = i / (seq_len * dim), j = i / dim % seq_len, d = i % dim;
    dseq[i] += FeatureGradSeq(target, dfeatures, seq_len, dim, b, j, d);
  }
}

__global__ void FeaturesGradTargetKernel(long long batch, long long seq_len, long long dim, const float* seq,
                                         const float* dfeatures, float* dtarget) {
  EMBER_FOR_EACH_ELEMENT(i, batch * dim) {
    dtarget[i] += FeatureGradTarget(seq, dfeatures, seq_len, dim, i / dim, i % dim);
  }
}

__global__ void ScoresKernel(long long rows, long long seq_len, long long heads, long long width, float scale,
                             const float* q, const float* k, float* scores) {
  EMBER_FOR_EACH_ELEMENT(i, rows * seq_len) {
    scores[i] = ScoreElement(q, k, seq_len, heads, width, scale, i / seq_len, i % seq_len);
  }
}

__global__ void ScoresGradKernel(long long rows, long long seq_len, long long heads, long long width, float scale,
                                 const float* q, const float* k, const float* dscores, float* dq, float* dk) {
  EMBER_FOR_EACH_ELEMENT(i, rows * width) {
    dq[i] = ScoreGradElement(k, dscores, seq_len, heads, width, scale, true, i / width, i % width);
    dk[i] = ScoreGradElement(q, dscores, seq_len, heads, width, scale, false, i / width, i % width);
  }
}

__global__ void ApplyKernel(long long rows, long long seq_len, long long heads, long long width, const float* attention,
                            const float* v, float* out) {
  EMBER_FOR_EACH_ELEMENT(i, rows * width) {
    out[i] = ApplyElement(attention, v, seq_len, heads, width, i / width, i % width);
  }
}

__global__ void ApplyGradAttentionKernel(long long rows, long long seq_len, long long heads, long long width,
                                         const float* v, const float* dout, float* dattention) {
  EMBER_FOR_EACH_ELEMENT(i, rows * seq_len) {
    dattention[i] = ApplyGradAttention(v, dout, seq_len, heads, width, i / seq_len, i % seq_len);
  }
}

__global__ void ApplyGradValueKernel(long long rows, long long seq_len, long long heads, long long width,
                                     const float* attention, const float* dout, float* dv) {
  EMBER_FOR_EACH_ELEMENT(i, rows * width) {
    dv[i] = ApplyGradValue(attention, dout, seq_len, heads, width, i / width, i % width);
  }
}

#undef EMBER_FOR_EACH_ELEMENT

unsigned Grid(long long n) { return static_cast<unsigned>(internal::GridSize(n, kThreads)); }

}  // namespace

Status SequencePoolForward(const Tensor& x, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* out) {
  PoolKernel<<<Grid(x.rows() * dim), kThreads>>>(x.rows(), x.dim(1) / dim, dim, mean, x.device_data(),
                                                 lengths.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolKernel");
}

Status SequencePoolBackward(const Tensor& dout, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* dx) {
  PoolGradKernel<<<Grid(dx->numel()), kThreads>>>(dx->rows(), dx->dim(1) / dim, dim, mean, dout.device_data(),
                                                  lengths.device_data(), dx->device_data());
  return internal::CudaStatus(cudaGetLastError(), "PoolGradKernel");
}

Status WeightedSequencePoolForward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths, int64_t dim,
                                   Tensor* out) {
  WeightedPoolKernel<<<Grid(x.rows() * dim), kThreads>>>(
      x.rows(), x.dim(1) / dim, dim, x.device_data(), weights.device_data(), lengths.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "WeightedPoolKernel");
}

Status WeightedSequencePoolBackward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths,
                                    const Tensor& dout, int64_t dim, Tensor* dx, Tensor* dweights) {
  WeightedPoolGradKernel<<<Grid(x.numel()), kThreads>>>(x.rows(), x.dim(1) / dim, dim, x.device_data(),
                                                        weights.device_data(), lengths.device_data(),
                                                        dout.device_data(), dx->device_data(), dweights->device_data());
  return internal::CudaStatus(cudaGetLastError(), "WeightedPoolGradKernel");
}

Status TargetAttentionFeaturesForward(const Tensor& seq, const Tensor& target, int64_t dim, Tensor* features) {
  FeaturesKernel<<<Grid(features->numel()), kThreads>>>(features->rows(), seq.dim(1) / dim, dim, seq.device_data(),
                                                        target.device_data(), features->device_data());
  return internal::CudaStatus(cudaGetLastError(), "FeaturesKernel");
}

Status TargetAttentionFeaturesBackward(const Tensor& seq, const Tensor& target, const Tensor& dfeatures, int64_t dim,
                                       Tensor* dseq, Tensor* dtarget) {
  const long long seq_len = seq.dim(1) / dim;
  FeaturesGradSeqKernel<<<Grid(seq.numel()), kThreads>>>(seq.rows(), seq_len, dim, target.device_data(),
                                                         dfeatures.device_data(), dseq->device_data());
  RETURN_IF_ERROR(internal::CudaStatus(cudaGetLastError(), "FeaturesGradSeqKernel"));
  FeaturesGradTargetKernel<<<Grid(seq.rows() * dim), kThreads>>>(seq.rows(), seq_len, dim, seq.device_data(),
                                                                 dfeatures.device_data(), dtarget->device_data());
  return internal::CudaStatus(cudaGetLastError(), "FeaturesGradTargetKernel");
}

Status HeadScoresForward(const Tensor& q, const Tensor& k, int64_t seq_len, int64_t heads, float scale,
                         Tensor* scores) {
  ScoresKernel<<<Grid(scores->numel()), kThreads>>>(scores->rows(), seq_len, heads, q.dim(1), scale, q.device_data(),
                                                    k.device_data(), scores->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ScoresKernel");
}

Status HeadScoresBackward(const Tensor& q, const Tensor& k, const Tensor& dscores, int64_t seq_len, int64_t heads,
                          float scale, Tensor* dq, Tensor* dk) {
  ScoresGradKernel<<<Grid(q.numel()), kThreads>>>(q.rows(), seq_len, heads, q.dim(1), scale, q.device_data(),
                                                  k.device_data(), dscores.device_data(), dq->device_data(),
                                                  dk->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ScoresGradKernel");
}

Status HeadApplyForward(const Tensor& attention, const Tensor& v, int64_t seq_len, int64_t heads, Tensor* out) {
  ApplyKernel<<<Grid(v.numel()), kThreads>>>(v.rows(), seq_len, heads, v.dim(1), attention.device_data(),
                                             v.device_data(), out->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ApplyKernel");
}

Status HeadApplyBackward(const Tensor& attention, const Tensor& v, const Tensor& dout, int64_t seq_len, int64_t heads,
                         Tensor* dattention, Tensor* dv) {
  ApplyGradAttentionKernel<<<Grid(attention.numel()), kThreads>>>(
      attention.rows(), seq_len, heads, v.dim(1), v.device_data(), dout.device_data(), dattention->device_data());
  RETURN_IF_ERROR(internal::CudaStatus(cudaGetLastError(), "ApplyGradAttentionKernel"));
  ApplyGradValueKernel<<<Grid(v.numel()), kThreads>>>(v.rows(), seq_len, heads, v.dim(1), attention.device_data(),
                                                      dout.device_data(), dv->device_data());
  return internal::CudaStatus(cudaGetLastError(), "ApplyGradValueKernel");
}

}  // namespace ember::ops::cuda
