// Shape and device checks for ops/combine.h, then a switch on the device.
#include "ops/combine.h"

#include "ops/internal/combine_kernels.h"
#include "ops/internal/dispatch.h"

namespace ember::ops {
namespace {

// A tensor seen as a matrix: [rows, cols] (1-D: [n, 1]).
int64_t MatrixCols(const Tensor& t) { return t.ndim() == 1 ? 1 : t.cols(); }

Status CheckSameDevice(const char* op, const Tensor& a, const char* name, const Tensor& b) {
  return internal::CheckDevice(op, name, a.device(), b.device());
}

Status ColumnOp(const char* op, const Tensor& src, int64_t src_col, int64_t width, Tensor* dst, int64_t dst_col,
                bool add) {
  const int64_t src_cols = MatrixCols(src), dst_cols = MatrixCols(*dst);
  const bool ok = src.ndim() >= 1 && dst->ndim() >= 1 && src.rows() == dst->rows() && width >= 0 && src_col >= 0 &&
                  dst_col >= 0 && src_col + width <= src_cols && dst_col + width <= dst_cols;
  if (!ok) {
    return Status::InvalidArgument(op, ": columns [", src_col, ", ", src_col + width, ") of ", src.DebugString(),
                                   " into columns [", dst_col, ", ", dst_col + width, ") of ", dst->DebugString(),
                                   "; both blocks must lie inside matrices with the same rows");
  }
  RETURN_IF_ERROR(CheckSameDevice(op, *dst, "src", src));
  if (src.rows() == 0 || width == 0) return Status::OK();
  if (src.device_data() == dst->device_data()) {
    return Status::InvalidArgument(op, ": src and dst are the same buffer");
  }
  const internal::ColumnBlock block{src.rows(), width, src_cols, src_col, dst_cols, dst_col};
  switch (dst->device().type) {
    case DeviceType::kCpu:
      return cpu::CopyColumns(block, src, add, dst);
      EMBER_OPS_CUDA_CASE(dst->device(), CopyColumns, block, src, add, dst)
  }
  return Status::Internal(op, ": unknown device");
}

Status CheckSameShape(const char* op, const Tensor& a, const char* name, const Tensor& b) {
  if (a.shape() != b.shape()) {
    return Status::InvalidArgument(op, ": ", name, " is ", b.DebugString(), ", expected the shape of ",
                                   a.DebugString());
  }
  return CheckSameDevice(op, a, name, b);
}

// a, b [R, K] and a vector v of R values ([R, 1] or [R]), one device.
Status CheckRowShapes(const char* op, const Tensor& a, const Tensor& b, const Tensor& v) {
  RETURN_IF_ERROR(CheckSameShape(op, a, "b", b));
  if (a.ndim() < 1 || v.numel() != a.rows() || MatrixCols(v) != 1) {
    return Status::InvalidArgument(op, ": ", a.DebugString(), " needs a vector of ", a.rows(), " rows; got ",
                                   v.DebugString());
  }
  return CheckSameDevice(op, a, "the row vector", v);
}

// out[r, k] = x[r, k] * scale[r]; shapes checked by the caller.
Status RowScale(const Tensor& x, const Tensor& scale, Tensor* out) {
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::RowScale(x, scale, out);
      EMBER_OPS_CUDA_CASE(x.device(), RowScale, x, scale, out)
  }
  return Status::Internal("RowScale: unknown device");
}

}  // namespace

Status CopyColumns(const Tensor& src, int64_t src_col, int64_t width, Tensor* dst, int64_t dst_col) {
  return ColumnOp("CopyColumns", src, src_col, width, dst, dst_col, /*add=*/false);
}

Status AddColumns(const Tensor& src, int64_t src_col, int64_t width, Tensor* dst, int64_t dst_col) {
  return ColumnOp("AddColumns", src, src_col, width, dst, dst_col, /*add=*/true);
}

Status Multiply(const Tensor& a, const Tensor& b, Tensor* out) {
  RETURN_IF_ERROR(CheckSameShape("Multiply", a, "b", b));
  RETURN_IF_ERROR(CheckSameShape("Multiply", a, "out", *out));
  if (a.empty()) return Status::OK();
  switch (a.device().type) {
    case DeviceType::kCpu:
      return cpu::Multiply(a, b, out);
      EMBER_OPS_CUDA_CASE(a.device(), Multiply, a, b, out)
  }
  return Status::Internal("Multiply: unknown device");
}

Status MultiplyBackward(const Tensor& a, const Tensor& b, const Tensor& dout, Tensor* da, Tensor* db) {
  if (da != nullptr) RETURN_IF_ERROR(Multiply(dout, b, da));
  if (db != nullptr) RETURN_IF_ERROR(Multiply(dout, a, db));
  return Status::OK();
}

Status RowDot(const Tensor& a, const Tensor& b, Tensor* out) {
  RETURN_IF_ERROR(CheckRowShapes("RowDot", a, b, *out));
  if (a.rows() == 0) return Status::OK();
  switch (a.device().type) {
    case DeviceType::kCpu:
      return cpu::RowDot(a, b, out);
      EMBER_OPS_CUDA_CASE(a.device(), RowDot, a, b, out)
  }
  return Status::Internal("RowDot: unknown device");
}

Status RowDotBackward(const Tensor& a, const Tensor& b, const Tensor& dout, Tensor* da, Tensor* db) {
  RETURN_IF_ERROR(CheckRowShapes("RowDotBackward", a, b, dout));
  if (da != nullptr) RETURN_IF_ERROR(CheckSameShape("RowDotBackward", a, "da", *da));
  if (db != nullptr) RETURN_IF_ERROR(CheckSameShape("RowDotBackward", a, "db", *db));
  if (a.empty()) return Status::OK();
  if (da != nullptr) RETURN_IF_ERROR(RowScale(b, dout, da));
  if (db != nullptr) RETURN_IF_ERROR(RowScale(a, dout, db));
  return Status::OK();
}

Status AddRowSums(const Tensor& x, Tensor* out) {
  RETURN_IF_ERROR(CheckRowShapes("AddRowSums", x, x, *out));
  if (x.rows() == 0) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::AddRowSums(x, out);
      EMBER_OPS_CUDA_CASE(x.device(), AddRowSums, x, out)
  }
  return Status::Internal("AddRowSums: unknown device");
}

Status BroadcastColumns(const Tensor& dout, Tensor* dx) {
  RETURN_IF_ERROR(CheckRowShapes("BroadcastColumns", *dx, *dx, dout));
  if (dx->empty()) return Status::OK();
  switch (dx->device().type) {
    case DeviceType::kCpu:
      return cpu::BroadcastColumns(dout, dx);
      EMBER_OPS_CUDA_CASE(dx->device(), BroadcastColumns, dout, dx)
  }
  return Status::Internal("BroadcastColumns: unknown device");
}

}  // namespace ember::ops
