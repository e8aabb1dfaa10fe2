// ops/cross.h: the DCN-v2 cross layer (Wang et al., "DCN V2: Improved Deep &
// Cross Network and Practical Lessons for Web-scale Learning to Rank
// Systems", WWW 2021, eq. 1):
//
//   x_{l+1} = x0 ⊙ (x_l W + b) + x_l,   W [d, d] full rank, b [d],
//
// with x0, x_l, x_{l+1} read as matrices [B, d]. (Rows are samples, so the
// paper's W x_l is written x_l W here, as in ops/linear.h.) The matrix
// product runs through LinearForward / LinearBackward (sgemm / cuBLAS); the
// element-wise part is a kernel per device (ops/cpu/cross.cc,
// ops/cuda/cross.cu). All tensors on one device. Thread-compatible.
//
//   RETURN_IF_ERROR(CrossForward(x0, xl, w, b, &pre, &out));        // pre kept
//   RETURN_IF_ERROR(SetZero(&dx0));
//   RETURN_IF_ERROR(CrossBackward(x0, xl, w, pre, dout, &dpre, &dx0, &dxl, &dw, &db));
#pragma once

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::ops {

// pre = xl @ w + b and out = x0 ⊙ pre + xl. x0, xl, *pre, *out are [B, d]
// matrices (rows() == B, cols() == d); w is [d, d], b is [d]. *pre must be
// kept for CrossBackward. InvalidArgument (with the shapes) on a shape or
// device mismatch, or when *out aliases x0, xl or *pre.
Status CrossForward(const Tensor& x0, const Tensor& xl, const Tensor& w, const Tensor& b, Tensor* pre, Tensor* out);

// The gradients of CrossForward given dout [B, d] and its pre:
//   dpre = dout ⊙ x0           (scratch [B, d], overwritten),
//   *dx0 += dout ⊙ pre         (ACCUMULATES: x0 feeds every layer of a network),
//   *dxl  = dout + dpre @ wᵀ   (overwritten),
//   *dw  += xlᵀ @ dpre, *db += Σ_b dpre   (ACCUMULATE, as every parameter gradient).
// InvalidArgument on a shape or device mismatch, or when dpre, dx0 and dxl
// are not distinct from each other and from the inputs.
Status CrossBackward(const Tensor& x0, const Tensor& xl, const Tensor& w, const Tensor& pre, const Tensor& dout,
                     Tensor* dpre, Tensor* dx0, Tensor* dxl, Tensor* dw, Tensor* db);

}  // namespace ember::ops
