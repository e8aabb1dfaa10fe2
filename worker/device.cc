#include "worker/device.h"

namespace ember::worker {

StatusOr<ops::DeviceType> ParseDeviceFlag(std::string_view value) {
  if (value == "cpu") return ops::DeviceType::kCpu;
  if (value == "cuda") {
#if EMBER_WITH_CUDA
    return ops::DeviceType::kCuda;
#else
    return Status::InvalidArgument(
        "--device=cuda: this ember was built without CUDA (EMBER_WITH_CUDA=OFF, or no "
        "nvcc at build time); rebuild with the CUDA toolkit or use --device=cpu");
#endif
  }
  return Status::InvalidArgument("--device=", value, ": expected cpu or cuda");
}

StatusOr<ops::Device> WorkerDevice(ops::DeviceType requested, int rank, int local_rank, const std::string& host) {
  if (requested == ops::DeviceType::kCpu) return ops::Device::Cpu();
  const int visible = ops::CudaDeviceCount();
  if (visible == 0) {
#if EMBER_WITH_CUDA
    const char* why = "no CUDA device is visible (CUDA_VISIBLE_DEVICES, the driver, or no GPU)";
#else
    const char* why = "this ember was built without CUDA";
#endif
    return Status::FailedPrecondition("--device=cuda: worker ", rank, " on host ", host, " has no usable GPU: ", why);
  }
  return ops::Device::Cuda(local_rank % visible);
}

}  // namespace ember::worker
