// ops/internal/combine_kernels.h: the per-device implementations behind
// ops/combine.cc. Private to ops/. The dispatcher has checked shapes and
// devices and skipped empty work.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "ops/internal/combine_elements.h"
#include "ops/tensor.h"

namespace ember::ops {

#define EMBER_OPS_DECLARE_COMBINE_KERNELS                                                           \
  Status CopyColumns(const internal::ColumnBlock& block, const Tensor& src, bool add, Tensor* dst); \
  Status Multiply(const Tensor& a, const Tensor& b, Tensor* out);                                   \
  Status RowDot(const Tensor& a, const Tensor& b, Tensor* out);                                     \
  Status RowScale(const Tensor& x, const Tensor& scale, Tensor* out);                               \
  Status AddRowSums(const Tensor& x, Tensor* out);                                                  \
  Status BroadcastColumns(const Tensor& dout, Tensor* dx);

namespace cpu {
EMBER_OPS_DECLARE_COMBINE_KERNELS
}  // namespace cpu

#if EMBER_WITH_CUDA
namespace cuda {
EMBER_OPS_DECLARE_COMBINE_KERNELS
}  // namespace cuda
#endif

#undef EMBER_OPS_DECLARE_COMBINE_KERNELS

}  // namespace ember::ops
