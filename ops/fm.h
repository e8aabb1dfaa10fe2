// ops/fm.h: the second-order interaction of a factorization machine
// (Rendle, "Factorization Machines", ICDM 2010) over per-field embeddings,
// as DeepFM's FM component uses it, and its gradient.
//
//   x    [B, C]  field f's embedding of sample b in x[b, f*D .. (f+1)*D);
//                C >= F*D, so the fields may lead a wider matrix (DeepFM
//                reads the MLP input [embeddings | dense features] in place)
//   out  [B, 1]  out[b] = sum_{f<f'} <e_bf, e_bf'>
//                       = 0.5 * sum_d ((sum_f e_bfd)^2 - sum_f e_bfd^2)
//
// The O(F*D) form is used on every device. All tensors on one device.
// Thread-compatible.
//
//   // 26 fields of dim 16 leading the [B, 26*16 + 13] MLP input:
//   RETURN_IF_ERROR(FmInteractionForward(input, 26, 16, &fm_out));
//   RETURN_IF_ERROR(FmInteractionBackward(input, dfm_out, 26, 16, &dinput));
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// Writes out[b, 0] for every sample b. InvalidArgument unless x is [B, C]
// with num_fields, dim > 0 and num_fields*dim <= C, out is [B, 1], and both
// are on one device.
Status FmInteractionForward(const Tensor& x, int64_t num_fields, int64_t dim, Tensor* out);

// dx[b, f*D + d] += dout[b] * (sum_f' x[b, f'*D + d] - x[b, f*D + d]) for
// the first F*D columns; the other columns of *dx are left untouched.
// ACCUMULATES, unlike other input gradients, because the embeddings also feed
// the MLP whose Backward has already written dx. InvalidArgument unless x is
// as for the forward, dout is [B, 1] and dx has x's shape, all on one device.
Status FmInteractionBackward(const Tensor& x, const Tensor& dout, int64_t num_fields, int64_t dim, Tensor* dx);

}  // namespace ember::ops
