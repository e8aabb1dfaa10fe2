// CPU reference of ops/embedding_pool.h. Every offset and id is checked
// before any output is written.
#include <cstring>

#include "ops/internal/kernels.h"

namespace ember::ops::cpu {
namespace {

Status CheckIdsAndOffsets(const char* op, const IndexTensor& ids, const IndexTensor& offsets, int64_t num_rows) {
  const int32_t* off = offsets.data();
  const int64_t num_bags = offsets.numel() - 1;
  if (off[0] < 0 || off[num_bags] > ids.numel()) {
    return Status::InvalidArgument(op, ": offsets span [", off[0], ", ", off[num_bags], ") outside ids [", ids.numel(),
                                   "]");
  }
  for (int64_t b = 0; b < num_bags; ++b) {
    if (off[b + 1] < off[b]) {
      return Status::InvalidArgument(op, ": offsets decrease at bag ", b, ": ", off[b], " > ", off[b + 1]);
    }
  }
  const int32_t* id = ids.data();
  for (int64_t i = off[0]; i < off[num_bags]; ++i) {
    if (id[i] < 0 || id[i] >= num_rows) {
      return Status::InvalidArgument(op, ": ids[", i, "] = ", id[i], " outside the ", num_rows, " rows");
    }
  }
  return Status::OK();
}

}  // namespace

Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets, PoolMode mode,
                            int64_t col_offset, Tensor* out) {
  RETURN_IF_ERROR(CheckIdsAndOffsets("EmbeddingPoolForward", ids, offsets, rows.rows()));
  const int64_t dim = rows.dim(1);
  const int64_t out_cols = out->dim(1);
  const int32_t* off = offsets.data();
  const int32_t* id = ids.data();
  for (int64_t b = 0; b + 1 < offsets.numel(); ++b) {
    float* __restrict dst = out->data() + b * out_cols + col_offset;
    const int32_t begin = off[b], end = off[b + 1];
    if (begin == end) {
      std::memset(dst, 0, static_cast<size_t>(dim) * sizeof(float));
      continue;
    }
    std::memcpy(dst, rows.data() + static_cast<int64_t>(id[begin]) * dim, static_cast<size_t>(dim) * sizeof(float));
    for (int32_t i = begin + 1; i < end; ++i) {
      const float* __restrict src = rows.data() + static_cast<int64_t>(id[i]) * dim;
      for (int64_t d = 0; d < dim; ++d) dst[d] += src[d];
    }
    if (mode == PoolMode::kMean && end - begin > 1) {
      const float scale = 1.f / static_cast<float>(end - begin);
      for (int64_t d = 0; d < dim; ++d) dst[d] *= scale;
    }
  }
  return Status::OK();
}

Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids, const IndexTensor& offsets,
                             PoolMode mode, Tensor* drows) {
  RETURN_IF_ERROR(CheckIdsAndOffsets("EmbeddingPoolBackward", ids, offsets, drows->rows()));
  const int64_t dim = drows->dim(1);
  const int64_t out_cols = dout.dim(1);
  const int32_t* off = offsets.data();
  const int32_t* id = ids.data();
  for (int64_t b = 0; b + 1 < offsets.numel(); ++b) {
    const float* __restrict src = dout.data() + b * out_cols + col_offset;
    const int32_t begin = off[b], end = off[b + 1];
    const float scale = mode == PoolMode::kMean && end > begin ? 1.f / static_cast<float>(end - begin) : 1.f;
    for (int32_t i = begin; i < end; ++i) {
      float* __restrict dst = drows->data() + static_cast<int64_t>(id[i]) * dim;
      for (int64_t d = 0; d < dim; ++d) dst[d] += scale * src[d];
    }
  }
  return Status::OK();
}

}  // namespace ember::ops::cpu
