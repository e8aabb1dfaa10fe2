#include "worker/nccl_dense_sync.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "worker/mpi_dense_sync.h"

namespace ember::worker {
namespace {

std::string CudaText(cudaError_t error) {
  return std::string(cudaGetErrorName(error)) + ": " + cudaGetErrorString(error);
}

Status CudaStatus(cudaError_t error, std::string_view call, int device) {
  if (error == cudaSuccess) return Status::OK();
  return Status::Internal(call, " on GPU ", device, " failed: ", CudaText(error));
}

Status NcclStatus(ncclResult_t result, std::string_view call, ncclComm_t comm) {
  if (result == ncclSuccess) return Status::OK();
  const char* last = comm != nullptr ? ncclGetLastError(comm) : nullptr;
  return Status::Internal(call, " failed: ", ncclGetErrorString(result),
                          last != nullptr && last[0] != '\0' ? std::string(" (") + last + ")" : std::string());
}

// What each worker reports of itself before the communicator is made.
struct Probe {
  int local_rank = 0;
  int visible = 0;      // GPUs cudaGetDeviceCount sees
  int cuda_error = 0;   // cudaGetDeviceCount's error, 0 for none
  char host[MPI_MAX_PROCESSOR_NAME] = {};
};

// Worker 0's unique id, or the reason it has none.
struct IdMessage {
  ncclUniqueId id;
  int result = 0;  // ncclResult_t of ncclGetUniqueId
};

}  // namespace

StatusOr<std::unique_ptr<NcclDenseSync>> NcclDenseSync::Create(MPI_Comm workers, const std::string& host) {
  int rank = 0, size = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(workers, &rank), "MPI_Comm_rank(workers)"));
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(workers, &size), "MPI_Comm_size(workers)"));

  // One GPU per worker: its local rank among the workers on this host.
  Probe mine;
  MPI_Comm host_workers = MPI_COMM_NULL;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host_workers),
                            "MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED)"));
  const int ranked = MPI_Comm_rank(host_workers, &mine.local_rank);
  MPI_Comm_free(&host_workers);
  RETURN_IF_ERROR(MpiStatus(ranked, "MPI_Comm_rank(workers on this host)"));
  const cudaError_t counted = cudaGetDeviceCount(&mine.visible);
  if (counted != cudaSuccess) {
    mine.visible = 0;
    mine.cuda_error = static_cast<int>(counted);
  }
  std::strncpy(mine.host, host.c_str(), sizeof(mine.host) - 1);

  // Every worker learns whether every worker has its GPU, so that all fail
  // alike instead of some waiting in ncclCommInitRank for the others.
  std::vector<Probe> probes(static_cast<size_t>(size));
  RETURN_IF_ERROR(MpiStatus(MPI_Allgather(&mine, sizeof(Probe), MPI_BYTE, probes.data(), sizeof(Probe), MPI_BYTE,
                                          workers),
                            "MPI_Allgather(GPUs of the workers)"));
  for (int w = 0; w < size; ++w) {
    const Probe& p = probes[static_cast<size_t>(w)];
    if (p.local_rank < p.visible) continue;
    std::string why = "--dense_sync=nccl: worker " + std::to_string(w) + " on host " + p.host +
                      " has no GPU: its local rank " + std::to_string(p.local_rank) + " needs GPU " +
                      std::to_string(p.local_rank) + ", " + std::to_string(p.visible) + " visible";
    if (p.cuda_error != 0) why += " (cudaGetDeviceCount: " + CudaText(static_cast<cudaError_t>(p.cuda_error)) + ")";
    return Status::FailedPrecondition(why, "; start at most as many workers per host as it has GPUs, or use "
                                           "--dense_sync=mpi");
  }

  const int device = mine.local_rank;
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device), "cudaSetDevice", device));
  IdMessage id_message;
  if (rank == 0) id_message.result = static_cast<int>(ncclGetUniqueId(&id_message.id));
  RETURN_IF_ERROR(MpiStatus(MPI_Bcast(&id_message, sizeof(IdMessage), MPI_BYTE, 0, workers),
                            "MPI_Bcast(NCCL unique id)"));
  RETURN_IF_ERROR(NcclStatus(static_cast<ncclResult_t>(id_message.result), "ncclGetUniqueId on worker 0", nullptr));

  std::unique_ptr<NcclDenseSync> sync(new NcclDenseSync(device, size));
  cudaStream_t stream = nullptr;
  RETURN_IF_ERROR(CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate", device));
  sync->stream_ = stream;
  ncclComm_t comm = nullptr;
  RETURN_IF_ERROR(NcclStatus(ncclCommInitRank(&comm, size, id_message.id, rank),
                             "ncclCommInitRank(" + std::to_string(size) + " workers, rank " + std::to_string(rank) +
                                 ", GPU " + std::to_string(device) + ")",
                             nullptr));
  sync->comm_ = comm;
  return sync;
}

NcclDenseSync::~NcclDenseSync() {
  (void)cudaSetDevice(device_);
  if (comm_ != nullptr) {
    if (failed_.ok()) {
      (void)ncclCommDestroy(comm_);
    } else {
      (void)ncclCommAbort(comm_);
    }
  }
  if (stream_ != nullptr) {
    (void)cudaStreamSynchronize(stream_);
    (void)cudaStreamDestroy(stream_);
  }
  if (device_buffer_ != nullptr) (void)cudaFree(device_buffer_);
}

Status NcclDenseSync::AllreduceSum(float* data, int64_t count) {
  RETURN_IF_ERROR(failed_);
  if (abort_requested_.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> lock(mu_);
    return Fail(abort_why_);
  }
  if (count < 0) return Status::InvalidArgument("dense allreduce of ", count, " floats");
  if (count == 0) return Status::OK();
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_), "cudaSetDevice", device_));
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  if (count > device_floats_) {
    if (device_buffer_ != nullptr) {
      RETURN_IF_ERROR(CudaStatus(cudaFree(device_buffer_), "cudaFree", device_));
      device_buffer_ = nullptr;
      device_floats_ = 0;
    }
    void* buffer = nullptr;
    RETURN_IF_ERROR(CudaStatus(cudaMalloc(&buffer, bytes), "cudaMalloc(" + std::to_string(bytes) + " bytes)", device_));
    device_buffer_ = static_cast<float*>(buffer);
    device_floats_ = count;
  }
  RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(device_buffer_, data, bytes, cudaMemcpyHostToDevice, stream_),
                             "cudaMemcpyAsync(dense gradients to the GPU)", device_));
  const Status reduced =
      NcclStatus(ncclAllReduce(device_buffer_, device_buffer_, static_cast<size_t>(count), ncclFloat32, ncclSum,
                               comm_, stream_),
                 "ncclAllReduce(" + std::to_string(count) + " floats)", comm_);
  if (!reduced.ok()) return Fail(reduced);
  RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(data, device_buffer_, bytes, cudaMemcpyDeviceToHost, stream_),
                             "cudaMemcpyAsync(dense sum from the GPU)", device_));
  return WaitForStream(count);
}

Status NcclDenseSync::WaitForStream(int64_t count) {
  for (int polls = 0;; ++polls) {
    const cudaError_t query = cudaStreamQuery(stream_);
    if (query == cudaSuccess) return Status::OK();
    if (query != cudaErrorNotReady) {
      return Fail(CudaStatus(query, "the dense allreduce of " + std::to_string(count) + " floats", device_));
    }
    ncclResult_t async_error = ncclSuccess;
    const ncclResult_t asked = ncclCommGetAsyncError(comm_, &async_error);
    if (asked != ncclSuccess) return Fail(NcclStatus(asked, "ncclCommGetAsyncError", comm_));
    if (async_error != ncclSuccess && async_error != ncclInProgress) {
      return Fail(NcclStatus(async_error, "ncclAllReduce(" + std::to_string(count) + " floats)", comm_));
    }
    if (abort_requested_.load(std::memory_order_acquire)) {
      std::lock_guard<std::mutex> lock(mu_);
      return Fail(abort_why_);
    }
    // A dense allreduce takes well under a millisecond to a few; yield
    // first, then sleep, so that a long wait does not take a core from the
    // worker's own threads.
    if (polls < 200) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

Status NcclDenseSync::Fail(Status why) {
  if (comm_ != nullptr) {
    (void)ncclCommAbort(comm_);  // ends NCCL's kernels, so the stream drains
    comm_ = nullptr;
    // The copy back to the caller's buffer must not land after we return.
    (void)cudaStreamSynchronize(stream_);
  }
  failed_ = why;
  return why;
}

void NcclDenseSync::Abort(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (abort_why_.ok()) abort_why_ = Status::Aborted("dense sync aborted: ", why.ToString());
  abort_requested_.store(true, std::memory_order_release);
}

}  // namespace ember::worker
