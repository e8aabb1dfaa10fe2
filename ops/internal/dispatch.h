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
#define EMBER_OPS_CUDA_CASE(device, op, ...)                                \
  case ::ember::ops::DeviceType::kCuda: {                                   \
    RETURN_IF_ERROR(::ember::ops::internal::SetCudaDevice((device).index)); \
    return ::ember::ops::cuda::op(__VA_ARGS__);                             \
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

// Every value of `t` in [lo, hi], else InvalidArgument "<op>: <name>[i] = v,
// outside [lo, hi]". Reads the values on the host (a copy from a device):
// for small index tensors (lengths, targets).
inline Status CheckIndexRange(const char* op, const char* name, const IndexTensor& t, int64_t lo, int64_t hi) {
  if (t.numel() == 0) return Status::OK();
  IndexTensor host;
  const IndexTensor* values = &t;
  if (t.device().type != DeviceType::kCpu) {
    ASSIGN_OR_RETURN(host, t.To(Device::Cpu()));
    values = &host;
  }
  for (int64_t i = 0; i < values->numel(); ++i) {
    const int32_t v = values->data()[i];
    if (v < lo || v > hi)
      return Status::InvalidArgument(op, ": ", name, "[", i, "] = ", v, ", outside [", lo, ", ", hi, "]");
  }
  return Status::OK();
}

}  // namespace ember::ops::internal
