#include "worker/staging.h"

#include <algorithm>

namespace ember::worker {

StatusOr<ops::Tensor> StagingBuffers::View(int slot, size_t table, int64_t rows, int64_t dim) {
  if (slot < 0 || slot >= kSlots || rows < 0 || dim < 0) {
    return Status::InvalidArgument("StagingBuffers::View(slot ", slot, ", table ", table, ", [", rows, ", ", dim, "])");
  }
  // Plain host memory is allocated afresh: reusing it measured slower on a
  // CPU worker (bench/README.md, "Device-generic models: the CPU cost");
  // only pinned memory, too dear to allocate every step, and device memory
  // are kept.
  if (device_.is_cpu() && !pinned_) return ops::Tensor::Allocate({rows, dim}, device_);
  std::vector<ops::Tensor>& buffers = buffers_[slot];
  if (buffers.size() <= table) buffers.resize(table + 1);
  ops::Tensor& buffer = buffers[table];
  const int64_t floats = rows * dim;
  if (buffer.numel() < floats) {
    const int64_t capacity = std::max(floats, buffer.numel() + buffer.numel() / 2);
    if (device_.is_cpu()) {
      ASSIGN_OR_RETURN(buffer, ops::Tensor::AllocateHost({capacity}, pinned_));
    } else {
      ASSIGN_OR_RETURN(buffer, ops::Tensor::Allocate({capacity}, device_));
    }
  }
  if (floats == 0) return ops::Tensor::View(nullptr, {rows, dim}, device_);
  return buffer.Slice(0, floats).Reshaped({rows, dim});
}

}  // namespace ember::worker
