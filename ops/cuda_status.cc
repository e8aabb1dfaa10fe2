#include "ops/cuda_status.h"

namespace ember::ops {

std::string CudaErrorText(cudaError_t error) {
  return std::string(cudaGetErrorName(error)) + " (" + cudaGetErrorString(error) + ")";
}

Status CudaStatus(cudaError_t error, std::string_view call) {
  if (error == cudaSuccess) return Status::OK();
  return Status::Internal(call, ": ", CudaErrorText(error));
}

}  // namespace ember::ops
