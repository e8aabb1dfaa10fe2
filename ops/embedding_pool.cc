// Shape and device checks for ops/embedding_pool.h, then a switch on the device.
#include "ops/embedding_pool.h"

#include "ops/internal/dispatch.h"

namespace ember::ops {
namespace {

// rows/drows [U, D], out/dout [B, C], offsets [B+1], 0 <= col_offset, col_offset + D <= C.
Status CheckPoolShapes(const char* op, const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets,
                       int64_t col_offset, const Tensor& out) {
  const bool ok = rows.ndim() == 2 && out.ndim() == 2 && offsets.numel() == out.rows() + 1 && col_offset >= 0 &&
                  col_offset + rows.dim(1) <= out.dim(1);
  if (!ok) {
    return Status::InvalidArgument(op, ": rows ", rows.ShapeString(), ", ids [", ids.numel(), "], offsets [",
                                   offsets.numel(), "], col_offset ", col_offset, ", out ", out.ShapeString(),
                                   "; expected rows [U, D], offsets [B+1], out [B, C] with col_offset + D <= C");
  }
  RETURN_IF_ERROR(internal::CheckDevice(op, "ids", ids.device(), out.device()));
  RETURN_IF_ERROR(internal::CheckDevice(op, "offsets", offsets.device(), out.device()));
  return internal::CheckDevice(op, "rows", rows.device(), out.device());
}

}  // namespace

StatusOr<PoolMode> ParsePoolMode(std::string_view name) {
  if (name == "sum") return PoolMode::kSum;
  if (name == "mean") return PoolMode::kMean;
  return Status::InvalidArgument("unknown pooling mode '", name, "'; expected sum or mean");
}

Status EmbeddingPoolForward(const Tensor& rows, const IndexTensor& ids, const IndexTensor& offsets, PoolMode mode,
                            int64_t col_offset, Tensor* out) {
  RETURN_IF_ERROR(CheckPoolShapes("EmbeddingPoolForward", rows, ids, offsets, col_offset, *out));
  if (out->rows() == 0 || rows.dim(1) == 0) return Status::OK();
  switch (out->device().type) {
    case DeviceType::kCpu:
      return cpu::EmbeddingPoolForward(rows, ids, offsets, mode, col_offset, out);
      EMBER_OPS_CUDA_CASE(out->device(), EmbeddingPoolForward, rows, ids, offsets, mode, col_offset, out)
  }
  return Status::Internal("EmbeddingPoolForward: unknown device");
}

Status EmbeddingPoolBackward(const Tensor& dout, int64_t col_offset, const IndexTensor& ids, const IndexTensor& offsets,
                             PoolMode mode, Tensor* drows) {
  RETURN_IF_ERROR(CheckPoolShapes("EmbeddingPoolBackward", *drows, ids, offsets, col_offset, dout));
  if (dout.rows() == 0 || drows->dim(1) == 0) return Status::OK();
  switch (dout.device().type) {
    case DeviceType::kCpu:
      return cpu::EmbeddingPoolBackward(dout, col_offset, ids, offsets, mode, drows);
      EMBER_OPS_CUDA_CASE(dout.device(), EmbeddingPoolBackward, dout, col_offset, ids, offsets, mode, drows)
  }
  return Status::Internal("EmbeddingPoolBackward: unknown device");
}

}  // namespace ember::ops
