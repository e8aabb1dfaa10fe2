#include "worker/nccl_dense_sync.h"

#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include "common/logging.h"
#include "ops/cuda_status.h"
#include "worker/mpi_dense_sync.h"

namespace ember::worker {
namespace {

// `call` on GPU `device` (ops::CudaStatus, the one translation).
Status CudaStatus(cudaError_t error, std::string_view call, int device) {
  if (error == cudaSuccess) return Status::OK();
  return ops::CudaStatus(error, std::string(call) + " on GPU " + std::to_string(device));
}

Status NcclStatus(ncclResult_t result, std::string_view call, ncclComm_t comm) {
  if (result == ncclSuccess) return Status::OK();
  const char* last = ncclGetLastError(comm);
  return Status::Internal(call, " failed: ", ncclGetErrorString(result),
                          last != nullptr && last[0] != '\0' ? std::string(" (") + last + ")" : std::string());
}

// Polls: yields first, then sleeps, so that a long wait (a slow peer) does
// not take a core from the worker's own threads.
void Pause(int polls) {
  if (polls < 200) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

// What each worker reports of itself before any NCCL call.
struct Probe {
  int local_rank = 0;
  int visible = 0;     // GPUs cudaGetDeviceCount sees
  int device = -1;     // the one it takes, -1 for none
  int cuda_error = 0;  // the first CUDA error of the set-up, 0 for none
  char failed_call[32] = {};
  unsigned char uuid[16] = {};
  char host[MPI_MAX_PROCESSOR_NAME] = {};
};

std::string UuidText(const unsigned char (&uuid)[16]) {
  static const char kHex[] = "0123456789abcdef";
  std::string text = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    text += kHex[uuid[i] >> 4];
    text += kHex[uuid[i] & 15];
  }
  return text;
}

// The reason the workers cannot form the communicator, or OK; the same on
// every worker, as every worker holds every probe.
Status CheckProbes(const std::vector<Probe>& probes) {
  const std::string hint =
      "; NCCL needs a GPU of its own per worker: start at most as many workers per host as it "
      "has GPUs, or use --dense_sync=mpi";
  for (size_t w = 0; w < probes.size(); ++w) {
    const Probe& p = probes[w];
    const std::string who = "--dense_sync=nccl: worker " + std::to_string(w) + " on host " + p.host;
    if (p.visible == 0) {
      std::string why = who + " has no GPU (0 visible";
      if (p.cuda_error != 0) {
        why += "; cudaGetDeviceCount: " + ops::CudaErrorText(static_cast<cudaError_t>(p.cuda_error));
      }
      return Status::FailedPrecondition(why, ")", hint);
    }
    if (p.cuda_error != 0) {
      return Status::FailedPrecondition(who, ": ", p.failed_call, " on GPU ", p.device,
                                        " failed: ", ops::CudaErrorText(static_cast<cudaError_t>(p.cuda_error)));
    }
  }
  for (size_t a = 0; a < probes.size(); ++a) {
    for (size_t b = a + 1; b < probes.size(); ++b) {
      if (std::memcmp(probes[a].uuid, probes[b].uuid, sizeof(probes[a].uuid)) != 0) continue;
      return Status::FailedPrecondition("--dense_sync=nccl: workers ", a, " and ", b, " on host ", probes[a].host,
                                        " would share GPU ", probes[a].device, " (", UuidText(probes[a].uuid), ", ",
                                        probes[a].visible, " visible)", hint);
    }
  }
  return Status::OK();
}

// Worker 0's unique id, or the reason it has none.
struct IdMessage {
  ncclUniqueId id;
  int result = 0;  // ncclResult_t of ncclGetUniqueId
};

// NCCL's algorithms that add in an order fixed by the GPUs, topology, NCCL
// version and size (not NVLS: NVIDIA/nccl#1497).
constexpr std::string_view kFixedOrderAlgorithms = "Ring,Tree";

}  // namespace

void NcclDenseSync::PrepareEnvironment(bool deterministic) {
  const char* blocking = std::getenv("NCCL_COMM_BLOCKING");
  if (blocking != nullptr && std::string_view(blocking) != "0") {
    LOG(WARNING) << "NCCL_COMM_BLOCKING=" << blocking << " makes every NCCL call block: a dense allreduce waiting "
                 << "for a dead peer can then be ended only by the job's end (heartbeats, MPI_Abort)";
  }
  if (deterministic) ::setenv("NCCL_ALGO", std::string(kFixedOrderAlgorithms).c_str(), /*overwrite=*/0);
}

StatusOr<std::unique_ptr<NcclDenseSync>> NcclDenseSync::Create(MPI_Comm workers, const std::string& host,
                                                               bool deterministic) {
  int rank = 0, size = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(workers, &rank), "MPI_Comm_rank(workers)"));
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(workers, &size), "MPI_Comm_size(workers)"));

  // This worker's GPU: its local rank among the workers on this host.
  Probe mine;
  std::strncpy(mine.host, host.c_str(), sizeof(mine.host) - 1);
  MPI_Comm host_workers = MPI_COMM_NULL;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &host_workers),
                            "MPI_Comm_split_type(workers, MPI_COMM_TYPE_SHARED)"));
  const int ranked = MPI_Comm_rank(host_workers, &mine.local_rank);
  MPI_Comm_free(&host_workers);
  RETURN_IF_ERROR(MpiStatus(ranked, "MPI_Comm_rank(workers on this host)"));
  cudaStream_t stream = nullptr;
  const auto note = [&](cudaError_t error, const char* call) {
    if (error == cudaSuccess || mine.cuda_error != 0) return;
    mine.cuda_error = static_cast<int>(error);
    std::strncpy(mine.failed_call, call, sizeof(mine.failed_call) - 1);
  };
  const cudaError_t counted = cudaGetDeviceCount(&mine.visible);
  if (counted != cudaSuccess) {
    mine.visible = 0;
    note(counted, "cudaGetDeviceCount");
  }
  if (mine.visible > 0) {
    mine.device = mine.local_rank % mine.visible;
    note(cudaSetDevice(mine.device), "cudaSetDevice");
    cudaDeviceProp properties{};
    if (mine.cuda_error == 0) note(cudaGetDeviceProperties(&properties, mine.device), "cudaGetDeviceProperties");
    if (mine.cuda_error == 0) {
      static_assert(sizeof(properties.uuid.bytes) == sizeof(mine.uuid));
      std::memcpy(mine.uuid, properties.uuid.bytes, sizeof(mine.uuid));
      note(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
    }
  }
  // The stream is the object's from here on (destroyed with it).
  std::unique_ptr<NcclDenseSync> sync(new NcclDenseSync(mine.device, size));
  sync->stream_ = stream;

  // Every worker learns whether every worker has a GPU of its own, so that
  // all fail alike instead of some waiting in NCCL for the others.
  std::vector<Probe> probes(static_cast<size_t>(size));
  RETURN_IF_ERROR(
      MpiStatus(MPI_Allgather(&mine, sizeof(Probe), MPI_BYTE, probes.data(), sizeof(Probe), MPI_BYTE, workers),
                "MPI_Allgather(GPUs of the workers)"));
  RETURN_IF_ERROR(CheckProbes(probes));

  if (deterministic) {
    const char* algo = std::getenv("NCCL_ALGO");
    if (algo == nullptr) {
      return Status::FailedPrecondition(
          "NcclDenseSync::Create(deterministic): NCCL_ALGO is not set; call "
          "NcclDenseSync::PrepareEnvironment(true) before any thread starts");
    }
    if (std::string_view(algo) != kFixedOrderAlgorithms) {
      LOG(WARNING) << "--deterministic with --dense_sync=nccl: NCCL_ALGO=" << algo << " (set outside ember) is kept; "
                   << "runs repeat bit for bit only with algorithms that add in a fixed order (Ring, Tree)";
    }
  }
  IdMessage id_message;
  if (rank == 0) id_message.result = static_cast<int>(ncclGetUniqueId(&id_message.id));
  RETURN_IF_ERROR(
      MpiStatus(MPI_Bcast(&id_message, sizeof(IdMessage), MPI_BYTE, 0, workers), "MPI_Bcast(NCCL unique id)"));
  RETURN_IF_ERROR(NcclStatus(static_cast<ncclResult_t>(id_message.result), "ncclGetUniqueId on worker 0", nullptr));

  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclComm_t comm = nullptr;
  const std::string init = "ncclCommInitRankConfig(" + std::to_string(size) + " workers, rank " + std::to_string(rank) +
                           ", GPU " + std::to_string(mine.device) + ")";
  const ncclResult_t started = ncclCommInitRankConfig(&comm, size, id_message.id, rank, &config);
  sync->comm_ = comm;
  if (started != ncclSuccess && started != ncclInProgress) return sync->Fail(NcclStatus(started, init, comm));
  const Status ready = sync->WaitForComm(init);
  if (!ready.ok()) return sync->Fail(ready);
  return sync;
}

NcclDenseSync::~NcclDenseSync() {
  if (device_ >= 0) (void)cudaSetDevice(device_);
  if (comm_ != nullptr) {
    // A clean end: finalize (every worker made the same calls), then free.
    // Anything else, or a finalize that fails or takes over 10 s (a peer
    // gone), aborts.
    bool clean = failed_.ok() && !abort_requested_.load(std::memory_order_acquire);
    if (clean) {
      const ncclResult_t finalizing = ncclCommFinalize(comm_);
      clean = finalizing == ncclSuccess || finalizing == ncclInProgress;
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      for (int polls = 0; clean; ++polls) {
        ncclResult_t state = ncclSuccess;
        if (ncclCommGetAsyncError(comm_, &state) != ncclSuccess || (state != ncclSuccess && state != ncclInProgress) ||
            std::chrono::steady_clock::now() > deadline || abort_requested_.load(std::memory_order_acquire)) {
          clean = false;
        } else if (state == ncclSuccess) {
          break;
        } else {
          Pause(polls);
        }
      }
    }
    (void)(clean ? ncclCommDestroy(comm_) : ncclCommAbort(comm_));
  }
  if (stream_ != nullptr) {
    (void)cudaStreamSynchronize(stream_);
    (void)cudaStreamDestroy(stream_);
  }
  if (computed_ != nullptr) (void)cudaEventDestroy(computed_);
  if (device_buffer_ != nullptr) (void)cudaFree(device_buffer_);
  if (pinned_buffer_ != nullptr) (void)cudaFreeHost(pinned_buffer_);
}

Status NcclDenseSync::AllreduceSum(ops::Tensor* buffer) {
  RETURN_IF_ERROR(failed_);
  if (buffer->device().is_cuda() && buffer->device().index != device_) {
    return Status::InvalidArgument("NcclDenseSync on GPU ", device_, " got ", buffer->DebugString());
  }
  const Status aborted = AbortRequested();
  if (!aborted.ok()) return Fail(aborted);
  if (buffer->empty()) return Status::OK();
  const Status reduced = buffer->device().is_cuda() ? ReduceOnDevice(buffer->device_data(), buffer->numel())
                                                    : ReduceHost(buffer->data(), buffer->numel());
  // Any failure leaves this worker out of step with its peers' collectives.
  if (!reduced.ok()) return Fail(reduced);
  return Status::OK();
}

Status NcclDenseSync::ReduceHost(float* data, int64_t count) {
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_), "cudaSetDevice", device_));
  RETURN_IF_ERROR(Reserve(count));
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  const std::string what = "the dense allreduce of " + std::to_string(count) + " floats";
  std::memcpy(pinned_buffer_, data, bytes);
  RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(device_buffer_, pinned_buffer_, bytes, cudaMemcpyHostToDevice, stream_),
                             "cudaMemcpyAsync(dense gradients to the GPU)", device_));
  RETURN_IF_ERROR(AllreduceOnStream(device_buffer_, count, what));
  RETURN_IF_ERROR(CudaStatus(cudaMemcpyAsync(pinned_buffer_, device_buffer_, bytes, cudaMemcpyDeviceToHost, stream_),
                             "cudaMemcpyAsync(dense sum from the GPU)", device_));
  RETURN_IF_ERROR(WaitForStream(what));
  std::memcpy(data, pinned_buffer_, bytes);
  return Status::OK();
}

Status NcclDenseSync::ReduceOnDevice(float* data, int64_t count) {
  RETURN_IF_ERROR(CudaStatus(cudaSetDevice(device_), "cudaSetDevice", device_));
  const std::string what = "the dense allreduce of " + std::to_string(count) + " floats on the GPU";
  // The gradients are computed on the device's legacy default stream, which
  // stream_ (non-blocking) does not wait for by itself.
  if (computed_ == nullptr) {
    cudaEvent_t event = nullptr;
    RETURN_IF_ERROR(CudaStatus(cudaEventCreateWithFlags(&event, cudaEventDisableTiming), "cudaEventCreate", device_));
    computed_ = event;
  }
  RETURN_IF_ERROR(CudaStatus(cudaEventRecord(computed_, /*stream=*/0), "cudaEventRecord", device_));
  RETURN_IF_ERROR(CudaStatus(cudaStreamWaitEvent(stream_, computed_, 0), "cudaStreamWaitEvent", device_));
  RETURN_IF_ERROR(AllreduceOnStream(data, count, what));
  // The sum is read next by the dense optimizer on the default stream.
  return WaitForStream(what);
}

Status NcclDenseSync::AllreduceOnStream(float* data, int64_t count, const std::string& what) {
  const ncclResult_t enqueued =
      ncclAllReduce(data, data, static_cast<size_t>(count), ncclFloat32, ncclSum, comm_, stream_);
  if (enqueued != ncclSuccess && enqueued != ncclInProgress) return NcclStatus(enqueued, "ncclAllReduce", comm_);
  // A non-blocking communicator may still be enqueueing (connecting to its
  // peers on first use): nothing else may go on its stream until it is done.
  return WaitForComm(what);
}

Status NcclDenseSync::Reserve(int64_t count) {
  if (count <= capacity_) return Status::OK();
  if (device_buffer_ != nullptr) RETURN_IF_ERROR(CudaStatus(cudaFree(device_buffer_), "cudaFree", device_));
  if (pinned_buffer_ != nullptr) RETURN_IF_ERROR(CudaStatus(cudaFreeHost(pinned_buffer_), "cudaFreeHost", device_));
  device_buffer_ = nullptr;
  pinned_buffer_ = nullptr;
  capacity_ = 0;
  const size_t bytes = static_cast<size_t>(count) * sizeof(float);
  void* device = nullptr;
  RETURN_IF_ERROR(CudaStatus(cudaMalloc(&device, bytes), "cudaMalloc(" + std::to_string(bytes) + " bytes)", device_));
  device_buffer_ = static_cast<float*>(device);
  void* pinned = nullptr;
  RETURN_IF_ERROR(
      CudaStatus(cudaMallocHost(&pinned, bytes), "cudaMallocHost(" + std::to_string(bytes) + " bytes)", device_));
  pinned_buffer_ = static_cast<float*>(pinned);
  capacity_ = count;
  return Status::OK();
}

Status NcclDenseSync::WaitForComm(const std::string& what) {
  for (int polls = 0;; ++polls) {
    ncclResult_t state = ncclSuccess;
    RETURN_IF_ERROR(NcclStatus(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError", comm_));
    if (state == ncclSuccess) return Status::OK();
    if (state != ncclInProgress) return NcclStatus(state, what, comm_);
    RETURN_IF_ERROR(AbortRequested());
    Pause(polls);
  }
}

Status NcclDenseSync::WaitForStream(const std::string& what) {
  for (int polls = 0;; ++polls) {
    const cudaError_t query = cudaStreamQuery(stream_);
    if (query == cudaSuccess) return Status::OK();
    if (query != cudaErrorNotReady) return CudaStatus(query, what, device_);
    ncclResult_t state = ncclSuccess;
    RETURN_IF_ERROR(NcclStatus(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError", comm_));
    if (state != ncclSuccess && state != ncclInProgress) return NcclStatus(state, what, comm_);
    RETURN_IF_ERROR(AbortRequested());
    Pause(polls);
  }
}

Status NcclDenseSync::AbortRequested() const {
  if (!abort_requested_.load(std::memory_order_acquire)) return Status::OK();
  std::lock_guard<std::mutex> lock(mu_);
  return abort_why_;
}

Status NcclDenseSync::Fail(Status why) {
  if (comm_ != nullptr) {
    (void)ncclCommAbort(comm_);  // ends NCCL's kernels, so the stream drains
    comm_ = nullptr;
  }
  // No copy may land in the buffers after this returns.
  if (stream_ != nullptr) (void)cudaStreamSynchronize(stream_);
  failed_ = why;
  return why;
}

void NcclDenseSync::Abort(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  if (abort_why_.ok()) abort_why_ = Status::Aborted("dense sync aborted: ", why.ToString());
  abort_requested_.store(true, std::memory_order_release);
}

}  // namespace ember::worker
