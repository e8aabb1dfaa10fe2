// ops/embedding_pool.h: pooling of embedding rows over variable-length
// multi-hot bags, written straight into a column block of a wider matrix (so
// every sparse field is pooled into one concatenated MLP input), and its
// gradient.
//
//   rows    [U, D]  the unique embedding rows pulled for the batch
//   ids     [N]     int32 indices into rows, bag after bag
//   offsets [B+1]   bag b is ids[offsets[b] .. offsets[b+1]); offsets are
//                   non-decreasing, 0 <= offsets[0], offsets[B] <= N
//   out     [B, C]  pooled bag b goes to out[b, col_offset .. col_offset+D)
//
// An empty bag pools to zeros. kMean divides by the bag's length. All
// tensors on one device. The CPU implementation checks every id and offset
// (InvalidArgument naming the position); the CUDA implementation trusts
// offsets and skips ids outside [0, U) so a bad batch cannot fault the GPU.
// Thread-compatible.
//
//   // field f of 26, D = 16, into the [B, 13 + 26*16] MLP input:
//   RETURN_IF_ERROR(EmbeddingPoolForward(rows, ids, offsets, PoolMode::kSum, 13 + 16 * f, &input));
//   RETURN_IF_ERROR(EmbeddingPoolBackward(dinput, 13 + 16 * f, ids, offsets, PoolMode::kSum, &drows));
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

enum class PoolMode { kSum, kMean };

// "sum", "mean" -> PoolMode; InvalidArgument otherwise.
StatusOr<PoolMode> ParsePoolMode(std::string_view name);

// Writes the pooled [B, D] block into out[:, col_offset : col_offset + D);
// the other columns of *out are left untouched.
// InvalidArgument on a shape, range or device mismatch.
Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets, PoolMode mode,
                            int64_t col_offset, Tensor* out);

// drows[ids[i], :] += dout[b, col_offset : col_offset + D) (divided by the
// bag's length for kMean) for every occurrence i of bag b. ACCUMULATES:
// duplicate ids add up. InvalidArgument on a shape, range or device mismatch.
Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids, const IndexTensor& offsets,
                             PoolMode mode, Tensor* drows);

}  // namespace ember::ops
