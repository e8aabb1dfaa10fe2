// ops/internal/dispatch.h: helpers shared by the dispatchers in ops/*.cc.
// Private to ops/.
#pragma once

#include "common/status.h"
#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"
#include "ops/tensor.h"

// Inside `switch (device.type)`: the CUDA case, which makes the tensors'
// device current and calls cuda::op, or Unimplemented in a CPU-only build.
#if EMBER_WITH_CUDA
#define EMBER_OPS_CUDA_CASE(device, op, ...)                               \
  case ::ember::ops::DeviceType::kCuda: {                                  \
    RETURN_IF_ERROR(::ember::ops::internal::SetCudaDevice((device).index)); \
    return ::ember::ops::cuda::op(__VA_ARGS__);                            \
  }
#else
#define EMBER_OPS_CUDA_CASE(device, op, ...) \
  case ::ember::ops::DeviceType::kCuda:      \
    return ::ember::Status::Unimplemented(#op " on ", (device).DebugString(), " in a build without CUDA");
#endif

namespace ember::ops::internal {

// InvalidArgument "<op>: <name> is on <device>, expected <expected>".
inline Status CheckDevice(const char* op, const char* name, Device device, Device expected) {
  if (device == expected) return Status::OK();
  return Status::InvalidArgument(op, ": ", name, " is on ", device.DebugString(), ", expected ",
                                 expected.DebugString());
}

}  // namespace ember::ops::internal
