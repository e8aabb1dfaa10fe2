// CPU reference of ops/sequence.h: every output element through the
// functions of ops/internal/sequence_elements.h (the CUDA kernels call the
// same ones).
#include "ops/internal/sequence_elements.h"
#include "ops/internal/sequence_kernels.h"

namespace ember::ops::cpu {

using namespace ::ember::ops::internal;  // the element functions

Status SequencePoolForward(const Tensor& x, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* out) {
  const int64_t seq_len = x.dim(1) / dim;
  for (int64_t b = 0; b < x.rows(); ++b) {
    for (int64_t d = 0; d < dim; ++d) {
      out->data()[b * dim + d] = PoolElement(x.data(), lengths.data(), seq_len, dim, mean, b, d);
    }
  }
  return Status::OK();
}

Status SequencePoolBackward(const Tensor& dout, const IndexTensor& lengths, int64_t dim, bool mean, Tensor* dx) {
  const int64_t seq_len = dx->dim(1) / dim;
  for (int64_t b = 0; b < dx->rows(); ++b) {
    for (int64_t j = 0; j < seq_len; ++j) {
      for (int64_t d = 0; d < dim; ++d) {
        dx->data()[(b * seq_len + j) * dim + d] = PoolGradElement(dout.data(), lengths.data(), dim, mean, b, j, d);
      }
    }
  }
  return Status::OK();
}

Status WeightedSequencePoolForward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths, int64_t dim,
                                   Tensor* out) {
  const int64_t seq_len = x.dim(1) / dim;
  for (int64_t b = 0; b < x.rows(); ++b) {
    for (int64_t d = 0; d < dim; ++d) {
      out->data()[b * dim + d] = WeightedPoolElement(x.data(), weights.data(), lengths.data(), seq_len, dim, b, d);
    }
  }
  return Status::OK();
}

Status WeightedSequencePoolBackward(const Tensor& x, const Tensor& weights, const IndexTensor& lengths,
                                    const Tensor& dout, int64_t dim, Tensor* dx, Tensor* dweights) {
  const int64_t seq_len = x.dim(1) / dim;
  for (int64_t b = 0; b < x.rows(); ++b) {
    for (int64_t j = 0; j < seq_len; ++j) {
      const bool real = j < lengths.data()[b];
      for (int64_t d = 0; d < dim; ++d) {
        dx->data()[(b * seq_len + j) * dim + d] =
            real ? weights.data()[b * seq_len + j] * dout.data()[b * dim + d] : 0.f;
      }
      dweights->data()[b * seq_len + j] =
          WeightedPoolGradWeight(x.data(), lengths.data(), dout.data(), seq_len, dim, b, j);
    }
  }
  return Status::OK();
}

Status TargetAttentionFeaturesForward(const Tensor& seq, const Tensor& target, int64_t dim, Tensor* features) {
  const int64_t seq_len = seq.dim(1) / dim;
  for (int64_t row = 0; row < features->rows(); ++row) {
    for (int64_t c = 0; c < 4 * dim; ++c) {
      features->data()[row * 4 * dim + c] = FeatureElement(seq.data(), target.data(), seq_len, dim, row, c);
    }
  }
  return Status::OK();
}

Status TargetAttentionFeaturesBackward(const Tensor& seq, const Tensor& target, const Tensor& dfeatures, int64_t dim,
                                       Tensor* dseq, Tensor* dtarget) {
  const int64_t seq_len = seq.dim(1) / dim;
  for (int64_t b = 0; b < seq.rows(); ++b) {
    for (int64_t j = 0; j < seq_len; ++j) {
      for (int64_t d = 0; d < dim; ++d) {
        dseq->data()[(b * seq_len + j) * dim + d] +=
            FeatureGradSeq(target.data(), dfeatures.data(), seq_len, dim, b, j, d);
      }
    }
    for (int64_t d = 0; d < dim; ++d) {
      dtarget->data()[b * dim + d] += FeatureGradTarget(seq.data(), dfeatures.data(), seq_len, dim, b, d);
    }
  }
  return Status::OK();
}

Status HeadScoresForward(const Tensor& q, const Tensor& k, int64_t seq_len, int64_t heads, float scale,
                         Tensor* scores) {
  for (int64_t row = 0; row < scores->rows(); ++row) {
    for (int64_t j = 0; j < seq_len; ++j) {
      scores->data()[row * seq_len + j] = ScoreElement(q.data(), k.data(), seq_len, heads, q.dim(1), scale, row, j);
    }
  }
  return Status::OK();
}

Status HeadScoresBackward(const Tensor& q, const Tensor& k, const Tensor& dscores, int64_t seq_len, int64_t heads,
                          float scale, Tensor* dq, Tensor* dk) {
  const int64_t width = q.dim(1);
  for (int64_t row = 0; row < q.rows(); ++row) {
    for (int64_t col = 0; col < width; ++col) {
      dq->data()[row * width + col] =
          ScoreGradElement(k.data(), dscores.data(), seq_len, heads, width, scale, /*query=*/true, row, col);
      dk->data()[row * width + col] =
          ScoreGradElement(q.data(), dscores.data(), seq_len, heads, width, scale, /*query=*/false, row, col);
    }
  }
  return Status::OK();
}

Status HeadApplyForward(const Tensor& attention, const Tensor& v, int64_t seq_len, int64_t heads, Tensor* out) {
  const int64_t width = v.dim(1);
  for (int64_t row = 0; row < v.rows(); ++row) {
    for (int64_t col = 0; col < width; ++col) {
      out->data()[row * width + col] = ApplyElement(attention.data(), v.data(), seq_len, heads, width, row, col);
    }
  }
  return Status::OK();
}

Status HeadApplyBackward(const Tensor& attention, const Tensor& v, const Tensor& dout, int64_t seq_len, int64_t heads,
                         Tensor* dattention, Tensor* dv) {
  const int64_t width = v.dim(1);
  for (int64_t row = 0; row < attention.rows(); ++row) {
    for (int64_t j = 0; j < seq_len; ++j) {
      dattention->data()[row * seq_len + j] = ApplyGradAttention(v.data(), dout.data(), seq_len, heads, width, row, j);
    }
  }
  for (int64_t row = 0; row < v.rows(); ++row) {
    for (int64_t col = 0; col < width; ++col) {
      dv->data()[row * width + col] = ApplyGradValue(attention.data(), dout.data(), seq_len, heads, width, row, col);
    }
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
