// ops/cuda_status.h: CUDA runtime errors as Status, in one place for every
// module that calls CUDA (ops/ itself, worker/'s NCCL dense sync). Only in a
// build with CUDA (EMBER_WITH_CUDA).
//
//   RETURN_IF_ERROR(ops::CudaStatus(cudaSetDevice(device), "cudaSetDevice on GPU 1"));
#pragma once

#if EMBER_WITH_CUDA
#include <cuda_runtime.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace ember::ops {

// "<error name> (<error text>)", e.g. "cudaErrorNoDevice (no CUDA-capable
// device is detected)".
std::string CudaErrorText(cudaError_t error);
// OK for cudaSuccess; otherwise Internal "<call>: <CudaErrorText>".
Status CudaStatus(cudaError_t error, std::string_view call);

}  // namespace ember::ops
#endif
