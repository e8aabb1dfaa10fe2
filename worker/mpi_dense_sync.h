// worker/mpi_dense_sync.h: the dense allreduce among worker processes over
// MPI (DESIGN.md, "Dense compute": MPI on CPU workers), and the one place
// where MPI error codes become Status.
//
// MpiDenseSync sums over a communicator that holds the workers only (made
// with MPI_Comm_split by the caller, see job/mpi_job.h), with a ring
// allreduce of its own over MPI_Sendrecv. A plain MPI_Allreduce may add in a
// different order on different ranks, and then the replicas drift apart.
// Here the buffer is cut into W chunks (W workers; chunk c is
// [c n / W, (c + 1) n / W)). A reduce-scatter passes each chunk once around
// the ring, so chunk c's sum is formed in one fixed order,
//   ((v_c + v_{c+1}) + v_{c+2}) + ... + v_{c+W-1}   (worker indices mod W),
// on one worker. An all-gather then copies each finished chunk to every
// worker. So every worker gets the same bits, in every run with the same W,
// and each worker sends and receives 2 (W-1)/W of the buffer: half the
// traffic of a reduce to worker 0 then a broadcast, which this replaced
// (bench/net/dense_sync_bench). With 2 workers each element is a + b.
//
// Abort: a rank blocked in an MPI collective cannot be woken. Abort only
// records the status (later calls return it); the process that aborts must
// then end the job with MPI_Abort (RunMpiJob does), which also ends the peers
// blocked in the collective. Every call is made by the worker's thread,
// except Abort, which is thread-safe.
//
//   MPI_Comm workers;  // from MPI_Comm_split
//   ASSIGN_OR_RETURN(std::unique_ptr<MpiDenseSync> sync, MpiDenseSync::Create(workers));
//   RETURN_IF_ERROR(sync->AllreduceSum(&buffer));   // a host tensor
#pragma once

#include <mpi.h>

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "worker/dense_sync.h"

namespace ember::worker {

// OK for MPI_SUCCESS; otherwise Internal naming `call` and MPI's error text.
// Needs MPI_ERRORS_RETURN on the communicator (else MPI aborts first).
Status MpiStatus(int code, std::string_view call);

class MpiDenseSync : public DenseSync {
 public:
  // `workers` must outlive the sync; it holds exactly the workers, and its
  // rank order is the workers' rank order. Internal naming the call when
  // MPI_Comm_size or MPI_Comm_rank of `workers` fails.
  static StatusOr<std::unique_ptr<MpiDenseSync>> Create(MPI_Comm workers);
  // The sum over all workers, the same bits on each. Aborted after Abort;
  // InvalidArgument when count does not fit an MPI count; Internal for an
  // MPI error.
  Status AllreduceSum(ops::Tensor* buffer) override;
  // Records `why`; see the header comment.
  void Abort(const Status& why) override;
  int num_workers() const override { return num_workers_; }
  // The recorded abort status, OK if none.
  Status aborted() const;

 private:
  MpiDenseSync(MPI_Comm workers, int num_workers, int rank)
      : workers_(workers), num_workers_(num_workers), rank_(rank) {}

  MPI_Comm workers_;
  int num_workers_;
  int rank_;
  std::vector<float> incoming_;  // one chunk from the previous worker
  mutable std::mutex mu_;
  Status aborted_;
};

}  // namespace ember::worker
