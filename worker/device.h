// worker/device.h: which device a worker computes its dense part on
// (--device). A CPU worker computes on the host; a CUDA worker takes GPU
// (local_rank % visible GPUs), where local_rank counts the workers on its
// host, the same GPU that NcclDenseSync takes for the allreduce. Thread-safe.
//
//   ASSIGN_OR_RETURN(ops::Device device, WorkerDevice(ops::DeviceType::kCuda, rank, local_rank, host));
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::worker {

// "cpu" or "cuda" (--device) into a device type; InvalidArgument naming the
// flag otherwise, and for "cuda" in a build without CUDA.
StatusOr<ops::DeviceType> ParseDeviceFlag(std::string_view value);

// The device of worker `rank` (the local_rank-th worker on `host`).
// FailedPrecondition naming the rank and the host when `requested` is CUDA
// and no GPU is usable there (none visible, no driver, or a build without
// CUDA).
StatusOr<ops::Device> WorkerDevice(ops::DeviceType requested, int rank, int local_rank, const std::string& host);

}  // namespace ember::worker
