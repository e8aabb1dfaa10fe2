// ops/dot_interaction.h: DLRM's dot interaction (Naumov et al., "Deep
// Learning Recommendation Model for Personalization and Recommendation
// Systems", 2019) and its gradient.
//
//   x    [B, T*D]        T vectors of dim D per sample: vector t of sample b
//                        is x[b, t*D .. (t+1)*D). DLRM puts the bottom MLP's
//                        output at t = 0 and the F field embeddings at 1..F.
//   out  [B, T*(T-1)/2]  the pairwise dot products <v_i, v_j> for i > j (the
//                        strictly lower triangle of x_b x_b^T), row-major in
//                        (i, j): pair (i, j) is column i*(i-1)/2 + j, so the
//                        order is (1,0), (2,0), (2,1), (3,0), (3,1), (3,2), ...
//
// Backward: dx[b, i, :] = sum_{j != i} dout[b, pair(i, j)] * x[b, j, :].
// All tensors on one device. Thread-compatible.
//
//   // bottom output + 26 fields of dim 16: 27 vectors, 351 pairs.
//   RETURN_IF_ERROR(DotInteractionForward(vectors, 27, 16, &pairs));
//   RETURN_IF_ERROR(DotInteractionBackward(vectors, dpairs, 27, 16, &dvectors));
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// T*(T-1)/2: the number of pairs of T vectors (the width of the output).
constexpr int64_t DotInteractionPairs(int64_t num_vectors) { return num_vectors * (num_vectors - 1) / 2; }

// Writes every column of *out. InvalidArgument unless x is [B, T*D] with
// T >= 2 and D > 0, out is [B, T*(T-1)/2], and both are on one device.
Status DotInteractionForward(const Tensor& x, int64_t num_vectors, int64_t dim, Tensor* out);

// OVERWRITES *dx (the gradient of x given dout = d loss / d out).
// InvalidArgument unless x is as for the forward, dout has the forward
// output's shape and dx has x's shape, all on one device.
Status DotInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_vectors, int64_t dim, Tensor* dx);

}  // namespace ember::ops
