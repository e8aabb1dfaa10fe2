#include "worker/mpi_dense_sync.h"

#include <climits>
#include <string>
#include <vector>

namespace ember::worker {

Status MpiStatus(int code, std::string_view call) {
  if (code == MPI_SUCCESS) return Status::OK();
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) length = 0;
  return Status::Internal(call, " failed: MPI error ", code, " (", std::string(text, length), ")");
}

MpiDenseSync::MpiDenseSync(MPI_Comm workers) : workers_(workers) {
  if (MPI_Comm_size(workers_, &num_workers_) != MPI_SUCCESS) num_workers_ = 1;
}

Status MpiDenseSync::AllreduceSum(float* data, int64_t count) {
  RETURN_IF_ERROR(aborted());
  if (num_workers_ == 1) return Status::OK();
  if (count < 0 || count > INT_MAX) {
    return Status::InvalidArgument("dense buffer of ", count, " floats does not fit one MPI count");
  }
  const int n = static_cast<int>(count);
  int rank = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(workers_, &rank), "MPI_Comm_rank(workers)"));
  if (rank == 0) {
    RETURN_IF_ERROR(MpiStatus(MPI_Reduce(MPI_IN_PLACE, data, n, MPI_FLOAT, MPI_SUM, 0, workers_),
                              "MPI_Reduce(" + std::to_string(n) + " floats, root 0)"));
  } else {
    RETURN_IF_ERROR(MpiStatus(MPI_Reduce(data, nullptr, n, MPI_FLOAT, MPI_SUM, 0, workers_),
                              "MPI_Reduce(" + std::to_string(n) + " floats, root 0)"));
  }
  return MpiStatus(MPI_Bcast(data, n, MPI_FLOAT, 0, workers_), "MPI_Bcast(" + std::to_string(n) + " floats, root 0)");
}

void MpiDenseSync::Abort(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (aborted_.ok()) aborted_ = Status::Aborted("dense sync aborted: ", why.ToString());
}

Status MpiDenseSync::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

}  // namespace ember::worker
