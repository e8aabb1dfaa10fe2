#include "ops/tensor.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include <glog/logging.h>

#include "ops/internal/device_memory.h"
#include "ops/internal/kernels.h"

namespace ember::ops {
namespace {

// The element count of `shape`, or InvalidArgument.
StatusOr<int64_t> ShapeNumel(const std::vector<int64_t>& shape) {
  if (shape.empty() || shape.size() > 4) {
    return Status::InvalidArgument("a Tensor has 1 to 4 dimensions, got ", shape.size());
  }
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) return Status::InvalidArgument("negative dimension ", d, " in a Tensor shape");
    if (d > 0 && numel > INT64_MAX / d) return Status::InvalidArgument("a Tensor shape of more than 2^63 elements");
    numel *= d;
  }
  return numel;
}

int64_t CheckedNumel(const std::vector<int64_t>& shape) {
  CHECK(!shape.empty() && shape.size() <= 4) << "a Tensor has 1 to 4 dimensions, got " << shape.size();
  int64_t numel = 1;
  for (int64_t d : shape) {
    CHECK_GE(d, 0) << "negative dimension in a Tensor shape";
    numel *= d;
  }
  return numel;
}

template <typename T>
StatusOr<std::shared_ptr<T>> AllocateShared(int64_t numel, Device device) {
  if (numel > static_cast<int64_t>(SIZE_MAX / sizeof(T))) {
    return Status::ResourceExhausted("a buffer of ", numel, " elements on ", device.DebugString());
  }
  ASSIGN_OR_RETURN(void* ptr, internal::AllocateBytes(static_cast<size_t>(numel) * sizeof(T), device));
  return std::shared_ptr<T>(static_cast<T*>(ptr), [device](T* p) { internal::FreeBytes(p, device); });
}

template <typename T>
std::shared_ptr<T> AllocateOrDie(int64_t numel, Device device) {
  StatusOr<std::shared_ptr<T>> storage = AllocateShared<T>(numel, device);
  CHECK(storage.ok()) << "allocating " << numel << " elements on " << device.DebugString() << ": " << storage.status();
  return std::move(storage).value();
}

int DetectCudaDevices() {
#if EMBER_WITH_CUDA
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess) {
    (void)cudaGetLastError();
    LOG(INFO) << "CUDA unavailable: cudaGetDeviceCount: " << CudaErrorText(error);
    return 0;
  }
  return count;
#else
  return 0;
#endif
}

}  // namespace

Device Device::Cpu() { return Device{DeviceType::kCpu, 0}; }
Device Device::Cuda(int index) { return Device{DeviceType::kCuda, index}; }

std::string Device::DebugString() const {
  return type == DeviceType::kCpu ? std::string("cpu") : "cuda:" + std::to_string(index);
}

bool Device::operator==(const Device& other) const {
  return type == other.type && (type == DeviceType::kCpu || index == other.index);
}

int CudaDeviceCount() {
  static const int count = DetectCudaDevices();
  return count;
}

bool CudaAvailable() { return CudaDeviceCount() > 0; }

// ---------------------------------------------------------------- Tensor

Tensor::Tensor() = default;

StatusOr<Tensor> Tensor::Allocate(std::vector<int64_t> shape, Device device) {
  Tensor t;
  ASSIGN_OR_RETURN(t.numel_, ShapeNumel(shape));
  ASSIGN_OR_RETURN(t.storage_, AllocateShared<float>(t.numel_, device));
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = t.storage_.get();
  return t;
}

StatusOr<Tensor> Tensor::AllocateHost(std::vector<int64_t> shape, bool pinned) {
  // Page-locking needs a driver: without a usable GPU there is nothing to pin for.
  if (!pinned || !CudaAvailable()) return Allocate(std::move(shape), Device::Cpu());
  Tensor t;
  ASSIGN_OR_RETURN(t.numel_, ShapeNumel(shape));
  if (t.numel_ > static_cast<int64_t>(SIZE_MAX / sizeof(float))) {
    return Status::ResourceExhausted("a pinned buffer of ", t.numel_, " floats");
  }
  ASSIGN_OR_RETURN(void* ptr, internal::AllocatePinnedBytes(static_cast<size_t>(t.numel_) * sizeof(float)));
  t.storage_ = std::shared_ptr<float>(static_cast<float*>(ptr), [](float* p) { internal::FreePinnedBytes(p); });
  t.shape_ = std::move(shape);
  t.device_ = Device::Cpu();
  t.data_ = t.storage_.get();
  return t;
}

StatusOr<Tensor> Tensor::AllocateZeros(std::vector<int64_t> shape, Device device) {
  ASSIGN_OR_RETURN(Tensor t, Allocate(std::move(shape), device));
  RETURN_IF_ERROR(SetZero(&t));
  return t;
}

void DieOnHostAccess(const std::string& tensor) {
  LOG(FATAL) << "data() of " << tensor << ": host code may not touch device memory (use an op, or To(Device::Cpu()))";
  std::abort();  // LOG(FATAL) does not return
}

Tensor Tensor::Empty(std::vector<int64_t> shape, Device device) {
  Tensor t;
  t.numel_ = CheckedNumel(shape);
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.storage_ = AllocateOrDie<float>(t.numel_, device);
  t.data_ = t.storage_.get();
  return t;
}

Tensor Tensor::Zeros(std::vector<int64_t> shape, Device device) {
  Tensor t = Empty(std::move(shape), device);
  const Status status = SetZero(&t);
  CHECK(status.ok()) << status;
  return t;
}

Tensor Tensor::View(float* data, std::vector<int64_t> shape, Device device) {
  Tensor t;
  t.numel_ = CheckedNumel(shape);
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = data;
  return t;
}

int64_t Tensor::dim(int i) const {
  if (i < 0) i += ndim();
  DCHECK(i >= 0 && i < ndim()) << "dim(" << i << ") of " << DebugString();
  return shape_[static_cast<size_t>(i)];
}

StatusOr<Tensor> Tensor::Clone() const { return To(device_); }

StatusOr<Tensor> Tensor::To(Device device) const {
  if (shape_.empty()) return Tensor();
  ASSIGN_OR_RETURN(Tensor copy, Allocate(shape_, device));
  RETURN_IF_ERROR(CopyInto(*this, &copy));
  return copy;
}

Tensor Tensor::Slice(int64_t begin, int64_t count) const {
  CHECK(begin >= 0 && count >= 0 && begin + count <= numel_)
      << "Slice(" << begin << ", " << count << ") of " << DebugString();
  Tensor view = *this;
  view.shape_ = {count};
  view.numel_ = count;
  view.data_ = data_ == nullptr ? nullptr : data_ + begin;
  return view;
}

Tensor Tensor::Reshaped(std::vector<int64_t> shape) const {
  const int64_t numel = CheckedNumel(shape);
  CHECK_EQ(numel, numel_) << "Reshaped " << ShapeString() << " to a shape with another element count";
  Tensor view = *this;
  view.shape_ = std::move(shape);
  return view;
}

std::string Tensor::ShapeString() const {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape_.size(); ++i) out << (i ? ", " : "") << shape_[i];
  out << "]";
  return out.str();
}

std::string Tensor::DebugString() const {
  if (shape_.empty()) return "Tensor(empty)";
  return "Tensor" + ShapeString() + " on " + device_.DebugString();
}

// ---------------------------------------------------------------- IndexTensor

IndexTensor::IndexTensor() = default;

IndexTensor IndexTensor::Empty(int64_t n, Device device) {
  CHECK_GE(n, 0) << "IndexTensor size";
  IndexTensor t;
  t.numel_ = n;
  t.device_ = device;
  t.storage_ = AllocateOrDie<int32_t>(n, device);
  t.data_ = t.storage_.get();
  return t;
}

IndexTensor IndexTensor::View(int32_t* data, int64_t n, Device device) {
  CHECK_GE(n, 0) << "IndexTensor size";
  IndexTensor t;
  t.numel_ = n;
  t.device_ = device;
  t.data_ = data;
  return t;
}

StatusOr<IndexTensor> IndexTensor::FromVectorOr(const std::vector<int32_t>& values, Device device) {
  IndexTensor host = View(const_cast<int32_t*>(values.data()), static_cast<int64_t>(values.size()));
  return host.To(device);
}

IndexTensor IndexTensor::FromVector(const std::vector<int32_t>& values, Device device) {
  StatusOr<IndexTensor> t = FromVectorOr(values, device);
  CHECK(t.ok()) << t.status();
  return std::move(t).value();
}

StatusOr<IndexTensor> IndexTensor::Clone() const { return To(device_); }

StatusOr<IndexTensor> IndexTensor::To(Device device) const {
  IndexTensor copy;
  copy.numel_ = numel_;
  copy.device_ = device;
  ASSIGN_OR_RETURN(copy.storage_, AllocateShared<int32_t>(numel_, device));
  copy.data_ = copy.storage_.get();
  RETURN_IF_ERROR(CopyInto(*this, &copy));
  return copy;
}

IndexTensor IndexTensor::Slice(int64_t begin, int64_t count) const {
  CHECK(begin >= 0 && count >= 0 && begin + count <= numel_)
      << "Slice(" << begin << ", " << count << ") of " << DebugString();
  IndexTensor view = *this;
  view.numel_ = count;
  view.data_ = data_ == nullptr ? nullptr : data_ + begin;
  return view;
}

StatusOr<std::vector<int32_t>> IndexTensor::ToVector() const {
  std::vector<int32_t> values(static_cast<size_t>(numel_));
  RETURN_IF_ERROR(internal::CopyBytes(values.data(), Device::Cpu(), data_, device_, values.size() * sizeof(int32_t)));
  return values;
}

std::string IndexTensor::DebugString() const {
  return "IndexTensor[" + std::to_string(numel_) + "] on " + device_.DebugString();
}

// ---------------------------------------------------------------- helpers

Status CopyInto(const Tensor& src, Tensor* dst) {
  if (src.numel() != dst->numel()) {
    return Status::InvalidArgument("CopyInto: src ", src.DebugString(), " and dst ", dst->DebugString(),
                                   " differ in element count");
  }
  return internal::CopyBytes(dst->device_data(), dst->device(), src.device_data(), src.device(),
                             static_cast<size_t>(src.numel()) * sizeof(float));
}

Status CopyIntoAsync(const Tensor& src, Tensor* dst) {
  if (src.numel() != dst->numel()) {
    return Status::InvalidArgument("CopyIntoAsync: src ", src.DebugString(), " and dst ", dst->DebugString(),
                                   " differ in element count");
  }
  return internal::CopyBytesAsync(dst->device_data(), dst->device(), src.device_data(), src.device(),
                                  static_cast<size_t>(src.numel()) * sizeof(float));
}

Status CopyInto(const IndexTensor& src, IndexTensor* dst) {
  if (src.numel() != dst->numel()) {
    return Status::InvalidArgument("CopyInto: src ", src.DebugString(), " and dst ", dst->DebugString(),
                                   " differ in element count");
  }
  return internal::CopyBytes(dst->device_data(), dst->device(), src.device_data(), src.device(),
                             static_cast<size_t>(src.numel()) * sizeof(int32_t));
}

Status Fill(float value, Tensor* t) {
  if (t->empty()) return Status::OK();
  switch (t->device().type) {
    case DeviceType::kCpu:
      std::fill(t->data(), t->data() + t->numel(), value);
      return Status::OK();
    case DeviceType::kCuda:
#if EMBER_WITH_CUDA
      return cuda::Fill(value, t);
#else
      break;
#endif
  }
  return Status::Unimplemented("Fill on ", t->device().DebugString(), " in a build without CUDA");
}

Status SetZero(Tensor* t) {
  return internal::ZeroBytes(t->device_data(), t->device(), static_cast<size_t>(t->numel()) * sizeof(float));
}

Status Scale(float factor, Tensor* t) {
  if (t->empty()) return Status::OK();
  switch (t->device().type) {
    case DeviceType::kCpu:
      return cpu::Scale(factor, t);
    case DeviceType::kCuda:
#if EMBER_WITH_CUDA
      RETURN_IF_ERROR(internal::SetCudaDevice(t->device().index));
      return cuda::Scale(factor, t);
#else
      break;
#endif
  }
  return Status::Unimplemented("Scale on ", t->device().DebugString(), " in a build without CUDA");
}

Status AddInto(const Tensor& x, Tensor* sum) {
  if (x.numel() != sum->numel() || !(x.device() == sum->device())) {
    return Status::InvalidArgument("AddInto: x ", x.DebugString(), " and sum ", sum->DebugString(),
                                   " differ in element count or device");
  }
  if (x.empty()) return Status::OK();
  switch (x.device().type) {
    case DeviceType::kCpu:
      return cpu::AddInto(x, sum);
    case DeviceType::kCuda:
#if EMBER_WITH_CUDA
      RETURN_IF_ERROR(internal::SetCudaDevice(x.device().index));
      return cuda::AddInto(x, sum);
#else
      break;
#endif
  }
  return Status::Unimplemented("AddInto on ", x.device().DebugString(), " in a build without CUDA");
}

Status Synchronize(Device device) {
  if (device.is_cpu()) return Status::OK();
#if EMBER_WITH_CUDA
  RETURN_IF_ERROR(internal::SetCudaDevice(device.index));
  EMBER_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize());
  return Status::OK();
#else
  return Status::Unimplemented("Synchronize on ", device.DebugString(), " in a build without CUDA");
#endif
}

}  // namespace ember::ops
