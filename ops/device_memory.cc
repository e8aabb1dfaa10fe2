// Raw allocation and copies; see ops/internal/device_memory.h.
#include "ops/internal/device_memory.h"

#include <cstdlib>
#include <cstring>

#include <glog/logging.h>

namespace ember::ops::internal {

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
      void* ptr = nullptr;
      const cudaError_t error = cudaMalloc(&ptr, bytes);
      if (error != cudaSuccess) {
        (void)cudaGetLastError();  // clear the sticky-free error state
        return Status::ResourceExhausted("cudaMalloc(", bytes, " bytes) on ", device.DebugString(), ": ",
                                         cudaGetErrorString(error));
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
  const Status status = CudaStatus(cudaFree(ptr), "cudaFree");
  LOG_IF(ERROR, !status.ok()) << status << " on " << device.DebugString();
#endif
}

Status CopyBytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return Status::OK();
  if (dst_device.is_cpu() && src_device.is_cpu()) {
    std::memmove(dst, src, bytes);
    return Status::OK();
  }
#if EMBER_WITH_CUDA
  cudaMemcpyKind kind = cudaMemcpyDeviceToDevice;
  if (src_device.is_cpu()) {
    kind = cudaMemcpyHostToDevice;
    RETURN_IF_ERROR(SetCudaDevice(dst_device.index));
  } else if (dst_device.is_cpu()) {
    kind = cudaMemcpyDeviceToHost;
    RETURN_IF_ERROR(SetCudaDevice(src_device.index));
  } else if (src_device.index != dst_device.index) {
    RETURN_IF_ERROR(CudaStatus(cudaMemcpyPeer(dst, dst_device.index, src, src_device.index, bytes),
                               "cudaMemcpyPeer"));
    return Status::OK();
  } else {
    RETURN_IF_ERROR(SetCudaDevice(dst_device.index));
  }
  const cudaError_t error = cudaMemcpy(dst, src, bytes, kind);
  if (error != cudaSuccess) {
    return Status::Internal("cudaMemcpy(", bytes, " bytes, ", src_device.DebugString(), " -> ",
                            dst_device.DebugString(), "): ", cudaGetErrorString(error));
  }
  return Status::OK();
#else
  return Status::Unimplemented("copy ", src_device.DebugString(), " -> ", dst_device.DebugString(),
                               " in a build without CUDA");
#endif
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
Status CudaStatus(cudaError_t error, const char* call) {
  if (error == cudaSuccess) return Status::OK();
  return Status::Internal(call, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")");
}

Status SetCudaDevice(int index) {
  int current = -1;
  EMBER_CUDA_RETURN_IF_ERROR(cudaGetDevice(&current));
  if (current == index) return Status::OK();
  const cudaError_t error = cudaSetDevice(index);
  if (error != cudaSuccess) {
    return Status::InvalidArgument("cudaSetDevice(", index, "): ", cudaGetErrorString(error));
  }
  return Status::OK();
}
#endif

}  // namespace ember::ops::internal
