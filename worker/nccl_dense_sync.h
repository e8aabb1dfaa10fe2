// worker/nccl_dense_sync.h: the dense allreduce among worker processes over
// NCCL (DESIGN.md, "Dense compute": NCCL on GPU workers), selected with
// `ember train --dense_sync=nccl` under mpirun.
//
// Each worker process uses one GPU: its local rank among the workers on its
// host (MPI_Comm_split_type of the workers' communicator), so mpirun with k
// workers per host needs k GPUs visible on each. Worker 0 makes the NCCL
// unique id and sends it to the others with MPI_Bcast; every worker then
// joins one NCCL communicator whose ranks are the workers' ranks.
//
// AllreduceSum takes a host buffer (the workers compute the dense part on
// the CPU today): it is copied to the GPU, summed in place with
// ncclAllReduce, and copied back. Every worker gets the same bits: NCCL's
// ring and tree algorithms compute each element's sum once and copy it to
// every rank. The order of the additions is NCCL's (it depends on the
// number of GPUs, their topology and the NCCL version), not worker-rank
// order as with MpiDenseSync; with 2 workers the sums are the same bits as
// MpiDenseSync's (a + b == b + a). Runs on the same GPUs with the same NCCL
// repeat bit for bit.
//
// Failure: unlike an MPI collective, a call blocked in NCCL can be ended.
// AllreduceSum waits by polling the stream; Abort (thread-safe) makes the
// waiting call abort the communicator (ncclCommAbort) and return Aborted,
// and an asynchronous NCCL error (a peer that died) is returned as Internal
// with NCCL's text. After either, every later call returns the same status.
// Every other call is made by one thread, the worker's.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<NcclDenseSync> sync, NcclDenseSync::Create(workers, host));
//   RETURN_IF_ERROR(sync->AllreduceSum(buffer.data(), buffer.size()));
#pragma once

#include <mpi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "worker/dense_sync.h"

struct ncclComm;      // nccl.h: typedef struct ncclComm* ncclComm_t
struct CUstream_st;   // cuda_runtime.h: typedef struct CUstream_st* cudaStream_t

namespace ember::worker {

class NcclDenseSync : public DenseSync {
 public:
  // Collective over `workers` (every worker calls it; the communicator holds
  // exactly the workers, in rank order, and must outlive the returned
  // object). `host` names this process's host in messages. Fails on every
  // worker alike, naming the first worker that has no GPU for its local
  // rank (FailedPrecondition: "worker 1 on host n3 has no GPU: its local
  // rank 1 needs GPU 1, 1 visible"); Internal for an MPI, CUDA or NCCL error.
  static StatusOr<std::unique_ptr<NcclDenseSync>> Create(MPI_Comm workers, const std::string& host);
  ~NcclDenseSync() override;
  NcclDenseSync(const NcclDenseSync&) = delete;
  NcclDenseSync& operator=(const NcclDenseSync&) = delete;

  // The sum over all workers of the host buffer data[0..count), in place,
  // the same bits on each worker. See the header comment for failures.
  Status AllreduceSum(float* data, int64_t count) override;
  // Thread-safe: the call in progress (or the next) aborts the communicator
  // and returns Aborted naming `why`.
  void Abort(const Status& why) override;
  int num_workers() const override { return num_workers_; }
  // The CUDA device this worker uses.
  int device() const { return device_; }

 private:
  NcclDenseSync(int device, int num_workers) : device_(device), num_workers_(num_workers) {}
  // Waits for stream_ while watching Abort and NCCL's asynchronous errors.
  Status WaitForStream(int64_t count);
  // Aborts the communicator (once) and records `why` as the final status.
  Status Fail(Status why);

  const int device_;
  const int num_workers_;
  ncclComm* comm_ = nullptr;
  CUstream_st* stream_ = nullptr;
  float* device_buffer_ = nullptr;
  int64_t device_floats_ = 0;
  Status failed_;  // the worker thread's: set once, returned by every later call
  std::atomic<bool> abort_requested_{false};
  mutable std::mutex mu_;
  Status abort_why_;  // guarded by mu_
};

}  // namespace ember::worker
