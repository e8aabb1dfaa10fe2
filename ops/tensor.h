// ops/tensor.h: the dense float32 tensor (and its int32 index counterpart)
// that every op in ember::ops reads and writes, on the CPU or a CUDA device.
//
// A Tensor is a small handle: a pointer to row-major float32 data, a shape of
// 1 to 4 dimensions and the device the data lives on. Tensors made by Empty,
// Zeros or Clone own their buffer through a shared reference count (copying
// the handle shares the buffer; Clone copies the data). A View wraps memory
// the caller owns and keeps alive. Reshaped returns a view that shares the
// storage (and keeps an owning buffer alive).
//
// Only host code touches a tensor's memory through data(), and only a CPU
// tensor's: data() CHECK-fails on a CUDA tensor, so that a host loop over
// device memory cannot hide in code that runs on either device. Ops and
// copies take the pointer on any device through device_data().
//
// Library code allocates with Allocate/AllocateZeros/Clone, which return a
// Status (a full GPU is an error to report, not a crash); Empty and Zeros
// CHECK-fail instead and are for host buffers whose size the program
// controls and for tests.
//
// Thread-compatible: a Tensor handle is a value; two threads may read the
// same buffer, but writers need outside synchronisation. CUDA memory is
// allocated on `device.index` and all CUDA work in ember::ops runs on that
// device's legacy default stream; copies through To()/CopyInto() are
// synchronous with respect to the host.
//
//   ASSIGN_OR_RETURN(Tensor x, Tensor::AllocateZeros({batch, 429}, device));
//   RETURN_IF_ERROR(ops::CopyColumns(dense, 0, 13, &x, 416));  // not: x.data()[i] = ...
//   ASSIGN_OR_RETURN(Tensor x_host, x.To(Device::Cpu()));
//   Tensor flat = x.Reshaped({batch * 429});   // same storage
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace ember::ops {

enum class DeviceType { kCpu, kCuda };

struct Device {
  DeviceType type = DeviceType::kCpu;
  int index = 0;

  static Device Cpu();
  static Device Cuda(int index = 0);
  bool is_cpu() const { return type == DeviceType::kCpu; }
  bool is_cuda() const { return type == DeviceType::kCuda; }
  // "cpu" or "cuda:N".
  std::string DebugString() const;
  bool operator==(const Device& other) const;
};

// True when ember was built with CUDA and at least one CUDA device is usable.
// False (never a crash) when built without CUDA, when no driver or device is
// present, or when cudaGetDeviceCount fails. Cached after the first call.
bool CudaAvailable();
// The number of usable CUDA devices (0 when CudaAvailable() is false).
int CudaDeviceCount();

// CHECK-fails naming `tensor`: host code reached for device memory.
[[noreturn]] void DieOnHostAccess(const std::string& tensor);

class Tensor {
 public:
  // An empty tensor: no shape, no data, numel() == 0, on the CPU.
  Tensor();

  // A new owning tensor with uninitialised data on `device`.
  // ResourceExhausted when the memory cannot be had (naming the bytes and the
  // device), InvalidArgument for a shape with fewer than 1 or more than 4
  // dimensions or a negative dimension, Unimplemented for a CUDA device in a
  // build without CUDA.
  static StatusOr<Tensor> Allocate(std::vector<int64_t> shape, Device device);
  // As Allocate, filled with 0.
  static StatusOr<Tensor> AllocateZeros(std::vector<int64_t> shape, Device device);
  // A host tensor whose memory is page-locked (cudaMallocHost) when `pinned`
  // and a GPU is usable, so that CopyIntoAsync to or from it runs
  // without blocking the host; plain host memory otherwise. Its device is
  // the CPU either way. Fails as Allocate does.
  static StatusOr<Tensor> AllocateHost(std::vector<int64_t> shape, bool pinned);
  // As Allocate, but CHECK-fails instead of returning an error: for host
  // buffers of sizes the program controls, and for tests.
  static Tensor Empty(std::vector<int64_t> shape, Device device = Device::Cpu());
  // As Empty, filled with 0.
  static Tensor Zeros(std::vector<int64_t> shape, Device device = Device::Cpu());
  // A non-owning view of `data`, which must hold numel floats on `device` and
  // outlive every copy of the view.
  static Tensor View(float* data, std::vector<int64_t> shape, Device device = Device::Cpu());

  const std::vector<int64_t>& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Dimension i; i may be negative (-1 is the last). DCHECKs the range.
  int64_t dim(int i) const;
  int64_t numel() const { return numel_; }
  // dim(0); 0 for an empty tensor.
  int64_t rows() const { return shape_.empty() ? 0 : shape_[0]; }
  // numel() / dim(0): the row length when the tensor is seen as a matrix.
  int64_t cols() const { return rows() == 0 ? 0 : numel_ / shape_[0]; }
  // The host memory of a CPU tensor; CHECK-fails on a CUDA tensor (host code
  // may not read device memory: use an op, or To(Device::Cpu())).
  float* data() { return host_data(); }
  const float* data() const { return host_data(); }
  // The memory on whatever device the tensor is: for kernels and copies.
  float* device_data() const { return data_; }
  Device device() const { return device_; }
  // True when numel() == 0 (in particular for a default-constructed Tensor).
  bool empty() const { return numel_ == 0; }
  // True when this handle shares ownership of its buffer (false for views).
  bool owns_data() const { return storage_ != nullptr; }

  // A deep copy on the same device; fails as Allocate and To do.
  StatusOr<Tensor> Clone() const;
  // A deep copy on `device`; Internal if the CUDA copy fails, Unimplemented
  // for a CUDA device in a build without CUDA.
  StatusOr<Tensor> To(Device device) const;
  // A view of the same storage with another shape; CHECKs that numel matches.
  Tensor Reshaped(std::vector<int64_t> shape) const;
  // The 1-D view [count] of elements [begin, begin + count) of the flattened
  // storage (keeps an owning buffer alive); CHECKs the range.
  Tensor Slice(int64_t begin, int64_t count) const;
  // "Tensor[2, 3] on cpu".
  std::string DebugString() const;
  // "[2, 3]".
  std::string ShapeString() const;

 private:
  // Inline, so that a loop over data() keeps its pointer in a register.
  float* host_data() const {
    if (!device_.is_cpu()) [[unlikely]]
      DieOnHostAccess(DebugString());
    return data_;
  }
  std::shared_ptr<float> storage_;  // null for views and the empty tensor
  float* data_ = nullptr;
  std::vector<int64_t> shape_;
  int64_t numel_ = 0;
  Device device_;
};

// A 1-D int32 tensor (ids, offsets) on the CPU or a CUDA device, with the
// same ownership rules as Tensor.
class IndexTensor {
 public:
  IndexTensor();
  // CHECK-fails on n < 0 or an out-of-memory allocation.
  static IndexTensor Empty(int64_t n, Device device = Device::Cpu());
  // A non-owning view of n int32 values on `device`.
  static IndexTensor View(int32_t* data, int64_t n, Device device = Device::Cpu());
  // A new owning tensor holding `values`, copied to `device`. CHECK-fails if
  // the copy to a CUDA device fails; use FromVectorOr to get a Status.
  static IndexTensor FromVector(const std::vector<int32_t>& values, Device device = Device::Cpu());
  static StatusOr<IndexTensor> FromVectorOr(const std::vector<int32_t>& values, Device device);

  // Host memory of a CPU tensor; CHECK-fails on a CUDA one (as Tensor::data()).
  int32_t* data() { return host_data(); }
  const int32_t* data() const { return host_data(); }
  // The memory on whatever device the tensor is: for kernels and copies.
  int32_t* device_data() const { return data_; }
  int64_t numel() const { return numel_; }
  Device device() const { return device_; }
  bool empty() const { return numel_ == 0; }
  StatusOr<IndexTensor> Clone() const;
  StatusOr<IndexTensor> To(Device device) const;
  // The view of values [begin, begin + count) (keeps an owning buffer alive);
  // CHECKs the range.
  IndexTensor Slice(int64_t begin, int64_t count) const;
  // The values, copied to the host (for tests and logs).
  StatusOr<std::vector<int32_t>> ToVector() const;
  // "IndexTensor[5] on cpu".
  std::string DebugString() const;

 private:
  int32_t* host_data() const {
    if (!device_.is_cpu()) [[unlikely]]
      DieOnHostAccess(DebugString());
    return data_;
  }
  std::shared_ptr<int32_t> storage_;
  int32_t* data_ = nullptr;
  int64_t numel_ = 0;
  Device device_;
};

// Copies src into the existing buffer of *dst (any devices, no allocation).
// InvalidArgument unless the element counts match.
Status CopyInto(const Tensor& src, Tensor* dst);
Status CopyInto(const IndexTensor& src, IndexTensor* dst);
// As CopyInto, but a copy to or from a CUDA device is enqueued on the
// device's default stream and may still run when this returns: a host src
// must stay unchanged, and a host dst must not be read, until work queued
// after it on that device has finished (Synchronize, or a synchronous copy
// from the device). Asynchronous only for pinned host memory
// (Tensor::AllocateHost); with pageable memory CUDA copies synchronously.
// On the CPU a plain copy.
Status CopyIntoAsync(const Tensor& src, Tensor* dst);
// Sets every element of *t to `value` (asynchronously on a CUDA device).
Status Fill(float value, Tensor* t);
// Sets every element of *t to 0 (memset).
Status SetZero(Tensor* t);
// *t *= factor element-wise.
Status Scale(float factor, Tensor* t);
// *sum += x element-wise (a gradient reaching a tensor by a second path).
// InvalidArgument unless the element counts and devices match.
Status AddInto(const Tensor& x, Tensor* sum);
// Blocks until all work queued on `device` has finished; returns the first
// asynchronous CUDA error as Internal. A no-op on the CPU.
Status Synchronize(Device device);

}  // namespace ember::ops
