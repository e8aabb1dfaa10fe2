// worker/nccl_dense_sync.h: the dense allreduce among worker processes over
// NCCL (DESIGN.md, "Dense compute": NCCL on GPU workers), selected with
// `ember train --dense_sync=nccl` under mpirun.
//
// Each worker process uses one GPU: device (local rank % GPUs visible),
// where the local rank counts the workers on its host (MPI_Comm_split_type
// of the workers' communicator). So k workers on a host with k GPUs take one
// each, and workers that each see only their own GPU (srun
// --gpus-per-task=1, or CUDA_VISIBLE_DEVICES per rank) take device 0. Two
// workers on one GPU (by its UUID) are refused: NCCL does not support it.
// Worker 0 makes the NCCL unique id and sends it to the others with
// MPI_Bcast; every worker then joins one non-blocking NCCL communicator
// whose ranks are the workers' ranks.
//
// AllreduceSum takes a buffer on this worker's GPU (a --device=cuda
// worker's gradients) and sums it in place with ncclAllReduce, with no copy
// to the host; it waits for the work queued before it on the device's
// default stream (an event) first. A host buffer (a --device=cpu worker) is
// staged through pinned memory to the GPU and back. Every worker gets the same bits
// (nccl.h: the result is left "identical" in every rank's buffer). The order
// of the additions is NCCL's, not MpiDenseSync's; with 2 workers the sums
// are the bits of MpiDenseSync's (one rounded addition per element; NaN
// payloads aside). NCCL does not promise the same
// bits from run to run: ring and tree reductions repeat on the same GPUs,
// topology, NCCL version and sizes, but NVLink SHARP (NVLS) does not. So
// for --deterministic, PrepareEnvironment(true) sets NCCL_ALGO=Ring,Tree
// (unless NCCL_ALGO is already set; it then wins over /etc/nccl.conf), and
// Create(deterministic) requires NCCL_ALGO to be set.
//
// Failure: unlike an MPI collective, a call waiting in NCCL can be ended. No
// call blocks inside CUDA or NCCL (unless NCCL_COMM_BLOCKING=1 is set):
// AllreduceSum waits by polling the communicator's state and the stream.
// Abort (thread-safe) makes the waiting call abort the communicator
// (ncclCommAbort) and return Aborted; an asynchronous NCCL error (e.g. a
// network peer that went away) is returned as Internal with NCCL's text.
// NCCL does not notice every dead peer (over shared memory or NVLink a
// kernel may just wait), and neither Create's wait for the communicator nor
// a call has a deadline of its own: in a job, a dead peer is found by the
// heartbeats and the job ends with MPI_Abort (job/mpi_job.h). After
// any failure every later call returns the same status. Every call but
// Abort is made by one thread, the worker's.
//
//   NcclDenseSync::PrepareEnvironment(deterministic);  // before MPI_Init
//   ASSIGN_OR_RETURN(std::unique_ptr<NcclDenseSync> sync, NcclDenseSync::Create(workers, host, deterministic));
//   RETURN_IF_ERROR(sync->AllreduceSum(&gradients));  // on GPU sync->device(), or on the host
#pragma once

#include <mpi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"
#include "worker/dense_sync.h"

struct ncclComm;     // nccl.h: typedef struct ncclComm* ncclComm_t
struct CUstream_st;  // cuda_runtime.h: typedef struct CUstream_st* cudaStream_t
struct CUevent_st;   // cuda_runtime.h: typedef struct CUevent_st* cudaEvent_t

namespace ember::worker {

class NcclDenseSync : public DenseSync {
 public:
  // Collective over `workers` (every worker calls it; the communicator holds
  // exactly the workers, in rank order, and must outlive the returned
  // object). `host` names this process's host in messages. Every worker
  // checks that every worker has a GPU of its own before any NCCL call, and
  // all fail alike, naming the worker (FailedPrecondition: "worker 1 on
  // host n3 has no GPU ..." or "workers 0 and 2 on host n3 would share GPU
  // 0 ..."). Internal for an MPI, CUDA or NCCL error after that.
  // FailedPrecondition when `deterministic` and NCCL_ALGO is not set
  // (PrepareEnvironment(true) was not called).
  static StatusOr<std::unique_ptr<NcclDenseSync>> Create(MPI_Comm workers, const std::string& host, bool deterministic);
  // Sets the environment NCCL reads at communicator init: NCCL_ALGO for
  // `deterministic` (see the header comment); warns when NCCL_COMM_BLOCKING
  // would make calls block. Call before any thread starts (setenv is not
  // safe against other threads' getenv): before MPI_Init.
  static void PrepareEnvironment(bool deterministic);
  ~NcclDenseSync() override;
  NcclDenseSync(const NcclDenseSync&) = delete;
  NcclDenseSync& operator=(const NcclDenseSync&) = delete;

  // The sum over all workers of *buffer (on GPU device(), or on the host),
  // in place, the same bits on each worker. InvalidArgument for a buffer on
  // another GPU. See the header comment for failures.
  Status AllreduceSum(ops::Tensor* buffer) override;
  // Thread-safe: the call in progress (or the next) aborts the communicator
  // and returns Aborted naming `why`.
  void Abort(const Status& why) override;
  int num_workers() const override { return num_workers_; }
  // The CUDA device this worker uses.
  int device() const { return device_; }

 private:
  NcclDenseSync(int device, int num_workers) : device_(device), num_workers_(num_workers) {}
  // The sum of a host buffer through the staging buffers, and of a buffer on
  // the GPU in place, without the bookkeeping of failures (AllreduceSum's).
  Status ReduceHost(float* data, int64_t count);
  Status ReduceOnDevice(float* data, int64_t count);
  // Enqueues the allreduce of data (on the GPU) on stream_ and waits for it.
  Status AllreduceOnStream(float* data, int64_t count, const std::string& what);
  // Grows the device and pinned host buffers to `count` floats.
  Status Reserve(int64_t count);
  // Waits until the communicator is no longer ncclInProgress (a
  // non-blocking init or enqueue), watching Abort.
  Status WaitForComm(const std::string& what);
  // Waits for stream_, watching Abort and NCCL's asynchronous errors.
  Status WaitForStream(const std::string& what);
  // Aborted with Abort's reason once Abort was called; OK before.
  Status AbortRequested() const;
  // Aborts the communicator (once) and records `why` as the final status.
  Status Fail(Status why);

  const int device_;
  const int num_workers_;
  ncclComm* comm_ = nullptr;
  CUstream_st* stream_ = nullptr;
  CUevent_st* computed_ = nullptr;  // recorded on the default stream before a device buffer's allreduce
  float* device_buffer_ = nullptr;
  float* pinned_buffer_ = nullptr;  // cudaMallocHost: copies that never block the host
  int64_t capacity_ = 0;            // floats in each buffer
  Status failed_;                   // the worker thread's: set once, returned by every later call
  std::atomic<bool> abort_requested_{false};
  mutable std::mutex mu_;
  Status abort_why_;  // guarded by mu_
};

}  // namespace ember::worker
