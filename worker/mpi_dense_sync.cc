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

StatusOr<std::unique_ptr<MpiDenseSync>> MpiDenseSync::Create(MPI_Comm workers) {
  int num_workers = 0, rank = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(workers, &num_workers), "MPI_Comm_size(workers)"));
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(workers, &rank), "MPI_Comm_rank(workers)"));
  return std::unique_ptr<MpiDenseSync>(new MpiDenseSync(workers, num_workers, rank));
}

Status MpiDenseSync::AllreduceSum(ops::Tensor* buffer) {
  RETURN_IF_ERROR(aborted());
  RETURN_IF_ERROR(RequireHostBuffer("MpiDenseSync", *buffer));
  if (num_workers_ == 1 || buffer->empty()) return Status::OK();
  float* data = buffer->data();
  const int64_t count = buffer->numel();
  const int64_t w = num_workers_;
  // Chunk c is [begin(c), begin(c + 1)); chunk sizes differ by one at most.
  const auto begin = [&](int64_t c) { return c * count / w; };
  if (count / w + 1 > INT_MAX) {
    return Status::InvalidArgument("dense buffer of ", count, " floats: a chunk per worker does not fit one MPI count");
  }
  incoming_.resize(static_cast<size_t>(count / w + 1));
  const int next = static_cast<int>((rank_ + 1) % w);
  const int previous = static_cast<int>((rank_ + w - 1) % w);
  const auto chunk = [&](int64_t c) { return ((c % w) + w) % w; };
  // Reduce-scatter: in step s this worker sends its partial sum of chunk
  // rank - s and adds the previous worker's partial sum of chunk rank - s - 1
  // to its own values. After W - 1 steps it holds the whole sum of chunk
  // rank + 1.
  for (int64_t s = 0; s + 1 < w; ++s) {
    const int64_t send = chunk(rank_ - s), receive = chunk(rank_ - s - 1);
    const int send_count = static_cast<int>(begin(send + 1) - begin(send));
    const int receive_count = static_cast<int>(begin(receive + 1) - begin(receive));
    RETURN_IF_ERROR(MpiStatus(MPI_Sendrecv(data + begin(send), send_count, MPI_FLOAT, next, 0, incoming_.data(),
                                           receive_count, MPI_FLOAT, previous, 0, workers_, MPI_STATUS_IGNORE),
                              "MPI_Sendrecv(reduce-scatter step " + std::to_string(s) + ")"));
    float* mine = data + begin(receive);
    for (int i = 0; i < receive_count; ++i) mine[i] = incoming_[static_cast<size_t>(i)] + mine[i];
  }
  // All-gather: in step s this worker passes on the finished chunk
  // rank + 1 - s and receives the finished chunk rank - s in place.
  for (int64_t s = 0; s + 1 < w; ++s) {
    const int64_t send = chunk(rank_ + 1 - s), receive = chunk(rank_ - s);
    const int send_count = static_cast<int>(begin(send + 1) - begin(send));
    const int receive_count = static_cast<int>(begin(receive + 1) - begin(receive));
    RETURN_IF_ERROR(MpiStatus(MPI_Sendrecv(data + begin(send), send_count, MPI_FLOAT, next, 1, data + begin(receive),
                                           receive_count, MPI_FLOAT, previous, 1, workers_, MPI_STATUS_IGNORE),
                              "MPI_Sendrecv(all-gather step " + std::to_string(s) + ")"));
  }
  return Status::OK();
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
