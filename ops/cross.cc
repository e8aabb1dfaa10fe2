// Shape and device checks for ops/cross.h; the matrix products go through
// ops/linear.h and the bias reduction through ops/bias.h, the element-wise
// parts switch on the device.
#include "ops/cross.h"

#include <initializer_list>

#include "ops/bias.h"
#include "ops/internal/cross_kernels.h"
#include "ops/internal/dispatch.h"
#include "ops/linear.h"

namespace ember::ops {
namespace {

// True when a and b are [rows, cols] matrices (any rank with that layout).
bool IsMatrix(const Tensor& t, int64_t rows, int64_t cols) {
  return t.ndim() >= 1 && t.rows() == rows && t.cols() == cols && t.numel() == rows * cols;
}

Status CheckDevices(const char* op, Device device, std::initializer_list<std::pair<const char*, const Tensor*>> ts) {
  for (const auto& [name, t] : ts) RETURN_IF_ERROR(internal::CheckDevice(op, name, t->device(), device));
  return Status::OK();
}

bool Overlaps(const Tensor& a, const Tensor& b) {
  if (a.empty() || b.empty()) return false;
  return a.device_data() < b.device_data() + b.numel() && b.device_data() < a.device_data() + a.numel();
}

}  // namespace

Status CrossForward(const Tensor& x0, const Tensor& xl, const Tensor& w, const Tensor& b, Tensor* pre, Tensor* out) {
  const int64_t rows = x0.rows(), d = x0.cols();
  if (x0.ndim() < 2 || !IsMatrix(xl, rows, d) || w.ndim() != 2 || w.dim(0) != d || w.dim(1) != d || b.ndim() != 1 ||
      b.dim(0) != d || !IsMatrix(*pre, rows, d) || !IsMatrix(*out, rows, d)) {
    return Status::InvalidArgument("CrossForward: x0 ", x0.ShapeString(), ", xl ", xl.ShapeString(), ", w ",
                                   w.ShapeString(), ", b ", b.ShapeString(), ", pre ", pre->ShapeString(), ", out ",
                                   out->ShapeString(), "; expected x0, xl, pre, out [B, d], w [d, d], b [d]");
  }
  RETURN_IF_ERROR(
      CheckDevices("CrossForward", x0.device(), {{"xl", &xl}, {"w", &w}, {"b", &b}, {"pre", pre}, {"out", out}}));
  if (Overlaps(*out, x0) || Overlaps(*out, xl) || Overlaps(*out, *pre) || Overlaps(*pre, x0) || Overlaps(*pre, xl)) {
    return Status::InvalidArgument("CrossForward: out and pre must not alias x0, xl or each other");
  }
  RETURN_IF_ERROR(LinearForward(xl, w, pre));
  switch (x0.device().type) {
    case DeviceType::kCpu:
      return cpu::CrossForwardElementwise(x0, xl, b, pre, out);
      EMBER_OPS_CUDA_CASE(x0.device(), CrossForwardElementwise, x0, xl, b, pre, out)
  }
  return Status::Internal("CrossForward: unknown device");
}

Status CrossBackward(const Tensor& x0, const Tensor& xl, const Tensor& w, const Tensor& pre, const Tensor& dout,
                     Tensor* dpre, Tensor* dx0, Tensor* dxl, Tensor* dw, Tensor* db) {
  const int64_t rows = x0.rows(), d = x0.cols();
  const bool shapes_ok = x0.ndim() >= 2 && IsMatrix(xl, rows, d) && w.ndim() == 2 && w.dim(0) == d && w.dim(1) == d &&
                         IsMatrix(pre, rows, d) && IsMatrix(dout, rows, d) && dpre != nullptr &&
                         IsMatrix(*dpre, rows, d) && dx0 != nullptr && IsMatrix(*dx0, rows, d) && dxl != nullptr &&
                         IsMatrix(*dxl, rows, d) && dw != nullptr && dw->shape() == w.shape() && db != nullptr &&
                         db->ndim() == 1 && db->dim(0) == d;
  if (!shapes_ok) {
    return Status::InvalidArgument("CrossBackward: x0 ", x0.ShapeString(), ", xl ", xl.ShapeString(), ", w ",
                                   w.ShapeString(), ", pre ", pre.ShapeString(), ", dout ", dout.ShapeString(),
                                   ", dpre ", dpre ? dpre->ShapeString() : "null", ", dx0 ",
                                   dx0 ? dx0->ShapeString() : "null", ", dxl ", dxl ? dxl->ShapeString() : "null",
                                   ", dw ", dw ? dw->ShapeString() : "null", ", db ", db ? db->ShapeString() : "null",
                                   "; expected x0, xl, pre, dout, dpre, dx0, dxl [B, d], w and dw [d, d], db [d]");
  }
  RETURN_IF_ERROR(CheckDevices("CrossBackward", x0.device(),
                               {{"xl", &xl},
                                {"w", &w},
                                {"pre", &pre},
                                {"dout", &dout},
                                {"dpre", dpre},
                                {"dx0", dx0},
                                {"dxl", dxl},
                                {"dw", dw},
                                {"db", db}}));
  for (const Tensor* out : {dpre, dx0, dxl}) {
    for (const Tensor* in : {&x0, &xl, &pre, &dout}) {
      if (Overlaps(*out, *in)) {
        return Status::InvalidArgument("CrossBackward: dpre, dx0 and dxl must not alias the inputs");
      }
    }
  }
  if (Overlaps(*dpre, *dx0) || Overlaps(*dpre, *dxl) || Overlaps(*dx0, *dxl)) {
    return Status::InvalidArgument("CrossBackward: dpre, dx0 and dxl must be distinct");
  }
  switch (x0.device().type) {
    case DeviceType::kCpu:
      RETURN_IF_ERROR(cpu::CrossBackwardElementwise(x0, pre, dout, dpre, dx0));
      break;
    case DeviceType::kCuda: {
#if EMBER_WITH_CUDA
      RETURN_IF_ERROR(internal::SetCudaDevice(x0.device().index));
      RETURN_IF_ERROR(cuda::CrossBackwardElementwise(x0, pre, dout, dpre, dx0));
      break;
#else
      return Status::Unimplemented("CrossBackward on ", x0.device().DebugString(), " in a build without CUDA");
#endif
    }
  }
  RETURN_IF_ERROR(BiasBackward(*dpre, db));
  RETURN_IF_ERROR(LinearBackward(xl, w, *dpre, dxl, dw));
  return AddInto(dout, dxl);
}

}  // namespace ember::ops
