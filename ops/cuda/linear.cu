// CUDA implementation of ops/linear.h with cuBLAS. cuBLAS is column-major: a
// row-major [m, n] matrix is its column-major transpose, so y = x @ w is
// computed as y^T = w^T @ x^T with no transposed copy.
#include <cublas_v2.h>

#include <vector>

#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops::cuda {
namespace {

Status CublasStatus(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return Status::OK();
  return Status::Internal(call, ": ", cublasGetStatusString(status));
}

// One handle per host thread and device, created on first use, on the legacy
// default stream. Handles are never shared between threads.
struct HandleCache {
  std::vector<cublasHandle_t> handles;
  ~HandleCache() {
    for (cublasHandle_t h : handles) {
      if (h != nullptr) cublasDestroy(h);
    }
  }
};

StatusOr<cublasHandle_t> CurrentHandle() {
  thread_local HandleCache cache;
  int device = 0;
  EMBER_CUDA_RETURN_IF_ERROR(cudaGetDevice(&device));
  if (cache.handles.size() <= static_cast<size_t>(device)) cache.handles.resize(static_cast<size_t>(device) + 1);
  cublasHandle_t& handle = cache.handles[static_cast<size_t>(device)];
  if (handle == nullptr) {
    RETURN_IF_ERROR(CublasStatus(cublasCreate(&handle), "cublasCreate"));
    RETURN_IF_ERROR(CublasStatus(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST), "cublasSetPointerMode"));
  }
  return handle;
}

}  // namespace

Status LinearForward(const Tensor& x, const Tensor& w, Tensor* y) {
  const int batch = static_cast<int>(x.rows());
  const int in = static_cast<int>(w.dim(0));
  const int out = static_cast<int>(w.dim(1));
  if (batch == 0 || out == 0) return Status::OK();
  if (in == 0) return SetZero(y);
  ASSIGN_OR_RETURN(cublasHandle_t handle, CurrentHandle());
  const float one = 1.f, zero = 0.f;
  // y^T[out, B] = w^T[out, in] @ x^T[in, B]
  return CublasStatus(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, out, batch, in, &one, w.device_data(), out,
                                  x.device_data(), in, &zero, y->device_data(), out),
                      "cublasSgemm(LinearForward)");
}

Status LinearBackward(const Tensor& x, const Tensor& w, const Tensor& dy, Tensor* dx, Tensor* dw) {
  const int batch = static_cast<int>(x.rows());
  const int in = static_cast<int>(w.dim(0));
  const int out = static_cast<int>(w.dim(1));
  if (batch == 0 || in == 0) return Status::OK();
  if (out == 0) return dx == nullptr ? Status::OK() : SetZero(dx);
  ASSIGN_OR_RETURN(cublasHandle_t handle, CurrentHandle());
  const float one = 1.f, zero = 0.f;
  if (dx != nullptr) {
    // dx^T[in, B] = w[in, out] @ dy^T[out, B]; w is stored as w^T (col-major out x in).
    RETURN_IF_ERROR(CublasStatus(cublasSgemm(handle, CUBLAS_OP_T, CUBLAS_OP_N, in, batch, out, &one, w.device_data(),
                                             out, dy.device_data(), out, &zero, dx->device_data(), in),
                                 "cublasSgemm(LinearBackward dx)"));
  }
  // dw^T[out, in] += dy^T[out, B] @ x[B, in]; x is stored as x^T (col-major in x B).
  return CublasStatus(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_T, out, in, batch, &one, dy.device_data(), out,
                                  x.device_data(), in, &one, dw->device_data(), out),
                      "cublasSgemm(LinearBackward dw)");
}

}  // namespace ember::ops::cuda
