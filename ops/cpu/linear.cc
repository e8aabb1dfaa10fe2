// CPU reference of ops/linear.h: OpenBLAS sgemm with transposes.
#include <cblas.h>

#include "ops/internal/kernels.h"

namespace ember::ops::cpu {

Status LinearForward(const Tensor& x, const Tensor& w, Tensor* y) {
  const int batch = static_cast<int>(x.rows());
  const int in = static_cast<int>(w.dim(0));
  const int out = static_cast<int>(w.dim(1));
  if (batch == 0 || out == 0) return Status::OK();
  if (in == 0) return SetZero(y);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, batch, out, in, 1.f, x.data(), in, w.data(), out, 0.f,
              y->data(), out);
  return Status::OK();
}

Status LinearBackward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor* dx, Tensor* dw) {
  const int batch = static_cast<int>(x.rows());
  const int in = static_cast<int>(w.dim(0));
  const int out = static_cast<int>(w.dim(1));
  if (batch == 0 || in == 0) return Status::OK();
  if (out == 0) return dx == nullptr ? Status::OK() : SetZero(dx);
  if (dx != nullptr) {
    // dx[B,in] = dy[B,out] @ w[in,out]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, in, out, 1.f, dy.data(), out, w.data(), out, 0.f,
                dx->data(), in);
  }
  // dw[in,out] += x[B,in]^T @ dy[B,out]
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, batch, 1.f, x.data(), in, dy.data(), out, 1.f,
              dw->data(), out);
  return Status::OK();
}

}  // namespace ember::ops::cpu
