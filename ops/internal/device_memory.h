// ops/internal/device_memory.h: raw allocation and copies on the CPU or a
// CUDA device. CUDA runtime errors become a Status through ops/cuda_status.h
// (allocation failures as ResourceExhausted). Private to ops/.
#pragma once

#include <cstddef>

#include "common/status.h"
#include "ops/tensor.h"

#if EMBER_WITH_CUDA
#include <cuda_runtime.h>

#include "ops/cuda_status.h"
#endif

namespace ember::ops::internal {

// Allocates `bytes` on `device` (64-byte aligned on the CPU). Returns nullptr
// for 0 bytes. ResourceExhausted/Internal/Unimplemented on failure.
StatusOr<void*> AllocateBytes(size_t bytes, Device device);
// Frees memory from AllocateBytes; nullptr is a no-op. Errors are logged.
void FreeBytes(void* ptr, Device device);
// Page-locked host memory (cudaMallocHost) in a CUDA build, else as
// AllocateBytes on the CPU; FreePinnedBytes frees it.
StatusOr<void*> AllocatePinnedBytes(size_t bytes);
void FreePinnedBytes(void* ptr);
// Synchronous copy between any two devices.
Status CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
// As CopyBytes, but a copy to or from a CUDA device is enqueued on its
// legacy default stream and may still run when this returns.
Status CopyBytesAsync(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
// memset to 0 (asynchronous on CUDA).
Status ZeroBytes(void* ptr, Device device, size_t bytes);

#if EMBER_WITH_CUDA
// The kernels' launchers check their launches with it (ops/cuda_status.h).
using ::ember::ops::CudaStatus;
// Makes `index` the calling thread's current device (no-op when it already is).
Status SetCudaDevice(int index);
// Blocks in a grid-stride loop launch: enough to fill the device, capped.
inline unsigned int GridSize(long long n, int threads_per_block) {
  long long blocks = (n + threads_per_block - 1) / threads_per_block;
  if (blocks < 1) blocks = 1;
  if (blocks > 4096) blocks = 4096;
  return static_cast<unsigned int>(blocks);
}
#define EMBER_CUDA_RETURN_IF_ERROR(call) RETURN_IF_ERROR(::ember::ops::internal::CudaStatus((call), #call))
#endif

}  // namespace ember::ops::internal
