// Raw allocation and copies; see ops/internal/device_memory.h.
#include "ops/internal/device_memory.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include <glog/logging.h>

namespace ember::ops::internal {

#if EMBER_WITH_CUDA
namespace {

// The device's default memory pool keeps what is freed (instead of giving
// it back at every synchronisation), so that steady-state steps allocate
// from the pool. Set once per device.
Status KeepFreedMemoryInPool(int device) {
  static std::mutex mu;
  static std::vector<bool> done;
  std::lock_guard<std::mutex> lock(mu);
  if (device < static_cast<int>(done.size()) && done[device]) return Status::OK();
  cudaMemPool_t pool = nullptr;
  EMBER_CUDA_RETURN_IF_ERROR(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t threshold = UINT64_MAX;
  EMBER_CUDA_RETURN_IF_ERROR(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  if (device >= static_cast<int>(done.size())) done.resize(device + 1, false);
  done[device] = true;
  return Status::OK();
}

}  // namespace
#endif

StatusOr<void*> AllocateBytes(size_t bytes, Device device) {
  if (bytes == 0) return static_cast<void*>(nullptr);
  switch (device.type) {
    case DeviceType::kCpu: {
      const size_t rounded = (bytes + 63) / 64 * 64;
      void* ptr = std::aligned_alloc(64, rounded);
      if (ptr == nullptr) return Status::ResourceExhausted("aligned_alloc of ", bytes, " bytes failed");
      return ptr;
    }
    case DeviceType::kCuda: {
#if EMBER_WITH_CUDA
      RETURN_IF_ERROR(SetCudaDevice(device.index));
      RETURN_IF_ERROR(KeepFreedMemoryInPool(device.index));
      void* ptr = nullptr;
      // Stream-ordered: no device-wide synchronisation, and freed blocks are
      // reused by the next allocation (the per-step tensors of a model).
      const cudaError_t error = cudaMallocAsync(&ptr, bytes, /*stream=*/0);
      if (error != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky-free error state
        return Status::ResourceExhausted("cudaMallocAsync(", bytes, " bytes) on ", device.DebugString(), ": ",
                                         CudaErrorText(error));
      }
      return ptr;
#else
      break;
#endif
    }
  }
  return Status::Unimplemented("allocation on ", device.DebugString(), " in a build without CUDA");
}

void FreeBytes(void* ptr, Device device) {
  if (ptr == nullptr) return;
  if (device.type == DeviceType::kCpu) {
    std::free(ptr);
    return;
  }
#if EMBER_WITH_CUDA
  Status status = SetCudaDevice(device.index);
  if (status.ok()) status = CudaStatus(cudaFreeAsync(ptr, /*stream=*/0), "cudaFreeAsync");
  LOG_IF(ERROR, !status.ok()) << status << " on " << device.DebugString();
#endif
}

StatusOr<void*> AllocatePinnedBytes(size_t bytes) {
#if EMBER_WITH_CUDA
  if (bytes == 0) return static_cast<void*>(nullptr);
  void* ptr = nullptr;
  const cudaError_t error = cudaMallocHost(&ptr, bytes);
  if (error != cudaSuccess) {
    (void)cudaGetLastError();
    return Status::ResourceExhausted("cudaMallocHost(", bytes, " bytes): ", CudaErrorText(error));
  }
  return ptr;
#else
  return AllocateBytes(bytes, Device::Cpu());
#endif
}

void FreePinnedBytes(void* ptr) {
  if (ptr == nullptr) return;
#if EMBER_WITH_CUDA
  const Status status = CudaStatus(cudaFreeHost(ptr), "cudaFreeHost");
  LOG_IF(ERROR, !status.ok()) << status;
#else
  FreeBytes(ptr, Device::Cpu());
#endif
}

namespace {

// The one copy between any two devices; `async`: a copy with a CUDA device
// is enqueued on its default stream (peer copies stay synchronous).
Status Copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes, bool async) {
  if (bytes == 0) return Status::OK();
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memmove(dst, src, bytes);
    return Status::OK();
  }
#if EMBER_WITH_CUDA
  if (dst_device.is_cuda() && src_device.is_cuda() && src_device.index != dst_device.index) {
    return CudaStatus(cudaMemcpyPeer(dst, dst_device.index, src, src_device.index, bytes), "cudaMemcpyPeer");
  }
  RETURN_IF_ERROR(SetCudaDevice(dst_device.is_cuda() ? dst_device.index : src_device.index));
  // Unified addressing: the runtime tells host from device pointers.
  const cudaError_t error = async ? cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, /*stream=*/0)
                                  : cudaMemcpy(dst, src, bytes, cudaMemcpyDefault);
  if (error != cudaSuccess) {
    return Status::Internal(async ? "cudaMemcpyAsync(" : "cudaMemcpy(", bytes, " bytes, ", src_device.DebugString(),
                            " -> ", dst_device.DebugString(), "): ", CudaErrorText(error));
  }
  return Status::OK();
#else
  return Status::Unimplemented("copy ", src_device.DebugString(), " -> ", dst_device.DebugString(),
                               " in a build without CUDA");
#endif
}

}  // namespace

Status CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  return Copy(dst, dst_device, src, src_device, bytes, /*async=*/false);
}

Status CopyBytesAsync(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  return Copy(dst, dst_device, src, src_device, bytes, /*async=*/true);
}

Status ZeroBytes(void* ptr, Device device, size_t bytes) {
  if (bytes == 0) return Status::OK();
  if (device.is_cpu()) {
    std::memset(ptr, 0, bytes);
    return Status::OK();
  }
#if EMBER_WITH_CUDA
  RETURN_IF_ERROR(SetCudaDevice(device.index));
  EMBER_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(ptr, 0, bytes, /*stream=*/0));
  return Status::OK();
#else
  return Status::Unimplemented("memset on ", device.DebugString(), " in a build without CUDA");
#endif
}

#if EMBER_WITH_CUDA
Status SetCudaDevice(int index) {
  int current = -1;
  EMBER_CUDA_RETURN_IF_ERROR(cudaGetDevice(&current));
  if (current == index) return Status::OK();
  const cudaError_t error = cudaSetDevice(index);
  if (error != cudaSuccess) {
    return Status::InvalidArgument("cudaSetDevice(", index, "): ", CudaErrorText(error));
  }
  return Status::OK();
}
#endif

}  // namespace ember::ops::internal
