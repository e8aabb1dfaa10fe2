// worker/dense_sync.h: the allreduce of the flat dense gradient buffer.
//
// Every worker calls AllreduceSum with a buffer of the same length once per
// step; on return every worker's buffer holds the same bits: the
// element-wise sum over all workers, added in an order each implementation
// fixes, so that runs repeat too. Implementations: one worker (nothing to
// do), worker threads of one process (local mode, below: worker-rank
// order), worker processes over MPI (worker/mpi_dense_sync.h: a ring, each
// chunk from a different first worker) and over NCCL on one GPU per worker
// (worker/nccl_dense_sync.h: NCCL's order, repeatable with Ring and Tree).
//
// The buffer is a Tensor: the MPI sync sums host tensors; the local sync
// host tensors, and device tensors through a host copy; the NCCL sync a
// tensor on its GPU in place (no copy to the host), and a host tensor
// through pinned memory.
//
//   LocalDenseSyncGroup group(/*num_workers=*/2);
//   thread r: DenseSync* sync = group.member(r);
//             RETURN_IF_ERROR(sync->AllreduceSum(&buffer));
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/status.h"
#include "ops/tensor.h"

namespace ember::worker {

// InvalidArgument naming `sync` unless `buffer` is on the host.
Status RequireHostBuffer(const char* sync, const ops::Tensor& buffer);

class DenseSync {
 public:
  virtual ~DenseSync() = default;
  // Sums every element of *buffer over all workers in place. InvalidArgument
  // for a buffer on a device this sync does not reach; Aborted once any
  // worker called Abort (the others then stop instead of waiting forever).
  virtual Status AllreduceSum(ops::Tensor* buffer) = 0;
  // Wakes every worker blocked in AllreduceSum with Aborted. Thread-safe.
  virtual void Abort(const Status& why) = 0;
  virtual int num_workers() const = 0;
};

// One worker: the sum is the buffer itself.
class SingleWorkerSync : public DenseSync {
 public:
  Status AllreduceSum(ops::Tensor*) override { return Status::OK(); }
  void Abort(const Status&) override {}
  int num_workers() const override { return 1; }
};

// Worker threads of one process. Each rank reduces its slice of the buffer
// over all ranks (a reduce-scatter), then every rank copies the whole result
// (an all-gather); three generations of one barrier separate the phases.
class LocalDenseSyncGroup {
 public:
  explicit LocalDenseSyncGroup(int num_workers);
  ~LocalDenseSyncGroup();
  // The DenseSync of worker `rank`; owned by the group.
  DenseSync* member(int rank);

 private:
  class Member;
  friend class Member;
  Status Arrive();  // barrier; Aborted when the group is aborted
  Status AllreduceSum(int rank, float* data, int64_t count);
  void Abort(const Status& why);

  const int num_workers_;
  std::vector<std::unique_ptr<Member>> members_;
  std::vector<float*> buffers_;
  std::vector<float> result_;
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;
  uint64_t generation_ = 0;
  Status aborted_;
};

}  // namespace ember::worker
