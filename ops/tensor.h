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
// Thread-compatible: a Tensor handle is a value; two threads may read the
// same buffer, but writers need outside synchronisation. CUDA memory is
// allocated on `device.index` and all CUDA work in ember::ops runs on that
// device's legacy default stream; copies through To()/CopyInto() are
// synchronous with respect to the host.
//
//   Tensor x = Tensor::Zeros({batch, 429});
//   x.data()[0] = 1.f;
//   ASSIGN_OR_RETURN(Tensor x_gpu, x.To(Device::Cuda(0)));
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

class Tensor {
 public:
  // An empty tensor: no shape, no data, numel() == 0, on the CPU.
  Tensor();

  // A new owning tensor with uninitialised data. CHECK-fails on a shape with
  // fewer than 1 or more than 4 dimensions, a negative dimension, or an
  // out-of-memory allocation (a start-up configuration error).
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
  float* data() { return data_; }
  const float* data() const { return data_; }
  Device device() const { return device_; }
  // True when numel() == 0 (in particular for a default-constructed Tensor).
  bool empty() const { return numel_ == 0; }
  // True when this handle shares ownership of its buffer (false for views).
  bool owns_data() const { return storage_ != nullptr; }

  // A deep copy on the same device.
  Tensor Clone() const;
  // A deep copy on `device`; Internal if the CUDA copy fails, Unimplemented
  // for a CUDA device in a build without CUDA.
  StatusOr<Tensor> To(Device device) const;
  // A view of the same storage with another shape; CHECKs that numel matches.
  Tensor Reshaped(std::vector<int64_t> shape) const;
  // "Tensor[2, 3] on cpu".
  std::string DebugString() const;
  // "[2, 3]".
  std::string ShapeString() const;

 private:
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

  int32_t* data() { return data_; }
  const int32_t* data() const { return data_; }
  int64_t numel() const { return numel_; }
  Device device() const { return device_; }
  bool empty() const { return numel_ == 0; }
  IndexTensor Clone() const;
  StatusOr<IndexTensor> To(Device device) const;
  // The values, copied to the host (for tests and logs).
  StatusOr<std::vector<int32_t>> ToVector() const;
  // "IndexTensor[5] on cpu".
  std::string DebugString() const;

 private:
  std::shared_ptr<int32_t> storage_;
  int32_t* data_ = nullptr;
  int64_t numel_ = 0;
  Device device_;
};

// Copies src into the existing buffer of *dst (any devices, no allocation).
// InvalidArgument unless the element counts match.
Status CopyInto(const Tensor& src, Tensor* dst);
Status CopyInto(const IndexTensor& src, IndexTensor* dst);
// Sets every element of *t to `value` (asynchronously on a CUDA device).
Status Fill(float value, Tensor* t);
// Sets every element of *t to 0 (memset).
Status SetZero(Tensor* t);
// *sum += x element-wise (a gradient reaching a tensor by a second path).
// InvalidArgument unless the element counts and devices match.
Status AddInto(const Tensor& x, Tensor* sum);
// Blocks until all work queued on `device` has finished; returns the first
// asynchronous CUDA error as Internal. A no-op on the CPU.
Status Synchronize(Device device);

}  // namespace ember::ops
