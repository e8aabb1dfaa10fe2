// worker/staging.h: buffers reused from step to step for what crosses
// between the host and the dense part's device each step: on the host, the
// pulled rows and the row gradients for the push (pinned, page-locked, on a
// GPU worker, so that the copies to and from the device are asynchronous;
// plain host memory on a CPU worker); on a GPU, the rows' device copies.
//
// Plain host buffers (a CPU worker's) are allocated afresh on every View
// (bench/README.md says why). Kept buffers come in slots: the batch of
// step k uses slot k % 2 for its rows,
// so the pull of step k+1 lands in the other slot while step k computes;
// one more slot holds the row gradients of the step being pushed. A buffer
// only grows (by half again at least), so steady-state steps allocate
// nothing. A view stays valid until the same (slot, table) is asked again;
// a grown buffer's old storage lives while a view of it does.
//
//   StagingBuffers host(ops::Device::Cpu(), /*pinned=*/device.is_cuda());
//   StagingBuffers on_device(device, /*pinned=*/false);
//   ASSIGN_OR_RETURN(ops::Tensor rows, staging.View(step % 2, table, unique_keys, dim));
//
// Not thread-safe: one worker thread owns it.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::worker {

class StagingBuffers {
 public:
  static constexpr int kSlots = 3;
  static constexpr int kGradientSlot = 2;

  // Buffers on `device`; host buffers page-locked when `pinned`.
  StagingBuffers(ops::Device device, bool pinned) : device_(device), pinned_(pinned) {}
  // A [rows, dim] tensor on the buffers' device in buffer (slot, table).
  // ResourceExhausted when the memory cannot be had.
  StatusOr<ops::Tensor> View(int slot, size_t table, int64_t rows, int64_t dim);

 private:
  const ops::Device device_;
  const bool pinned_;
  std::vector<ops::Tensor> buffers_[kSlots];  // per slot, per table: 1-D, their capacity
};

}  // namespace ember::worker
