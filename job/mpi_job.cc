#include "job/mpi_job.h"

#include <cblas.h>
#include <mpi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "common/files.h"
#include "common/logging.h"
#include "models/model.h"
#include "net/curve.h"
#include "ps/server.h"
#include "worker/device.h"
#include "worker/mpi_dense_sync.h"
#if EMBER_WITH_NCCL
#include "worker/nccl_dense_sync.h"
#endif
#include "worker/worker.h"

namespace ember::job {
namespace {

using worker::MpiStatus;

// One rank's record in the endpoint exchange: fixed size, so one
// MPI_Allgather of MPI_CHAR carries every record.
constexpr int kRecordBytes = 256;
constexpr int kHostBytes = 64;
constexpr int kTextBytes = kRecordBytes - 1 - kHostBytes;  // endpoint, or the error when not ok

struct PeerInfo {
  bool ok = false;
  std::string endpoint;  // empty for workers
  std::string error;     // when !ok
  std::string host;
};

void CopyTruncated(const std::string& text, char* out, int capacity) {
  const size_t n = std::min<size_t>(text.size(), static_cast<size_t>(capacity - 1));
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

// "scheduler", "server 1", "worker 0".
std::string RoleOf(int world_rank, int num_servers) {
  if (world_rank == 0) return "scheduler";
  if (world_rank <= num_servers) return "server " + std::to_string(world_rank - 1);
  return "worker " + std::to_string(world_rank - 1 - num_servers);
}

// Prints the one line that names the failed rank, then ends every process
// of the job. Does not return.
[[noreturn]] void AbortJob(int failed_rank, const std::string& role, const std::string& host, const Status& why) {
  std::fprintf(stderr, "ember train: rank %d (%s on host %s) failed: %s\n", failed_rank, role.c_str(), host.c_str(),
               why.ToString().c_str());
  std::fflush(stderr);
  google::FlushLogFiles(google::GLOG_INFO);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);  // MPI_Abort should not return; make sure the process ends anyway
}

// The scheduler's watch over every other rank: a dead rank's line, then
// MPI_Abort (on the scheduler's thread).
scheduler::HeartbeatMonitorOptions MonitorOptions(const MpiJobOptions& mpi, uint64_t job_token,
                                                  const std::vector<PeerInfo>& peers, int num_servers) {
  scheduler::HeartbeatMonitorOptions options;
  options.heartbeat = mpi.heartbeat;
  options.job_token = job_token;
  for (int r = 1; r < static_cast<int>(peers.size()); ++r)
    options.ranks.push_back({r, RoleOf(r, num_servers), peers[r].host});
  options.on_dead = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    google::FlushLogFiles(google::GLOG_INFO);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::_Exit(1);
  };
  return options;
}

// This rank's heartbeats to the scheduler. When the scheduler stops
// answering: its line, then exit 1 from the heartbeat thread (MPI_Abort is
// not called off the main thread); mpirun then ends the job.
scheduler::HeartbeatSenderOptions SenderOptions(const MpiJobOptions& mpi, uint64_t job_token, const PeerInfo& scheduler,
                                                int world_rank) {
  scheduler::HeartbeatSenderOptions options;
  options.heartbeat = mpi.heartbeat;
  options.scheduler_endpoint = scheduler.endpoint;
  options.scheduler_host = scheduler.host;
  options.job_token = job_token;
  options.world_rank = static_cast<uint32_t>(world_rank);
  options.on_scheduler_dead = [](const std::string& line) {
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    google::FlushLogFiles(google::GLOG_INFO);
    std::_Exit(1);
  };
  return options;
}

StatusOr<uint64_t> ReadJobToken(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  char* end = nullptr;
  const unsigned long long token = std::strtoull(text.c_str(), &end, 0);
  if (text.empty() || *end != '\0' || token == 0) {
    return Status::InvalidArgument("--job_token_file=", path,
                                   " must hold one non-zero 64-bit number (decimal, or hex with 0x)");
  }
  return static_cast<uint64_t>(token);
}

// Binds `bind` (which constructs the socket owner for one endpoint and
// binds it) to a port of [port_min, port_max], starting at a rank-dependent
// port so that ranks on one host rarely collide, or to an ephemeral port.
template <typename BindFn>
Status BindInRange(const MpiJobOptions& mpi, int world_rank, BindFn bind) {
  const std::string prefix = "tcp://" + mpi.bind_interface + ":";
  if (mpi.port_min == 0 && mpi.port_max == 0) return bind(prefix + "*");
  const int span = mpi.port_max - mpi.port_min + 1;
  Status last;
  for (int i = 0; i < span; ++i) {
    const int port = mpi.port_min + (world_rank + i) % span;
    last = bind(prefix + std::to_string(port));
    if (last.ok() || last.code() != StatusCode::kUnavailable) return last;
  }
  return Status::Unavailable("no free port in --port_range=", mpi.port_min, "-", mpi.port_max, " on ",
                             mpi.bind_interface, "; last error: ", last.ToString());
}

// Every rank's record; `mine` is this rank's.
StatusOr<std::vector<PeerInfo>> ExchangeRecords(const PeerInfo& mine, int world_size) {
  std::vector<char> record(kRecordBytes, '\0');
  record[0] = mine.ok ? 1 : 0;
  CopyTruncated(mine.ok ? mine.endpoint : mine.error, record.data() + 1, kTextBytes);
  CopyTruncated(mine.host, record.data() + 1 + kTextBytes, kHostBytes);
  std::vector<char> all(static_cast<size_t>(kRecordBytes) * world_size);
  RETURN_IF_ERROR(MpiStatus(
      MPI_Allgather(record.data(), kRecordBytes, MPI_CHAR, all.data(), kRecordBytes, MPI_CHAR, MPI_COMM_WORLD),
      "MPI_Allgather(endpoint records of " + std::to_string(kRecordBytes) + " bytes)"));
  std::vector<PeerInfo> peers(world_size);
  for (int r = 0; r < world_size; ++r) {
    const char* p = all.data() + static_cast<size_t>(r) * kRecordBytes;
    peers[r].ok = p[0] == 1;
    const std::string text(p + 1, strnlen(p + 1, kTextBytes));
    (peers[r].ok ? peers[r].endpoint : peers[r].error) = text;
    peers[r].host.assign(p + 1 + kTextBytes, strnlen(p + 1 + kTextBytes, kHostBytes));
  }
  return peers;
}

// Rank 0 takes --checkpoint_dir's lock into *lock, then resolves and
// verifies the --resume checkpoint (the others may not see the same files
// until it has); every rank gets its answer.
StatusOr<ResumePoint> BroadcastResume(const JobOptions& options, const std::vector<sparse::TableConfig>& tables,
                                      int num_workers, bool is_scheduler,
                                      std::unique_ptr<storage::CheckpointRootLock>* lock) {
  constexpr int kTextBytes = 8192;
  int64_t numbers[4] = {1, 0, 0, 0};  // ok, servers, step, epoch
  char text[kTextBytes] = {};
  StatusOr<ResumePoint> point = ResumePoint{};
  if (is_scheduler) {
    StatusOr<std::unique_ptr<storage::CheckpointRootLock>> locked = LockCheckpointDir(options);
    if (locked.ok()) {
      *lock = std::move(*locked);
      point = PrepareResume(options, tables, num_workers);
    } else {
      point = locked.status();
    }
    const std::string message = point.ok() ? point->path : point.status().ToString();
    numbers[0] = point.ok() ? 1 : 0;
    numbers[1] = point.ok() ? point->num_servers : 0;
    numbers[2] = point.ok() ? point->step : 0;
    numbers[3] = point.ok() ? point->epoch : 0;
    std::memcpy(text, message.data(), std::min<size_t>(message.size(), kTextBytes - 1));
  }
  RETURN_IF_ERROR(MpiStatus(MPI_Bcast(numbers, 4, MPI_INT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast(resume)"));
  RETURN_IF_ERROR(MpiStatus(MPI_Bcast(text, kTextBytes, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast(resume path)"));
  if (is_scheduler) return point;
  if (numbers[0] == 0) return Status::FailedPrecondition("rank 0 (the scheduler): ", text);
  ResumePoint received;
  received.path = text;
  received.num_servers = static_cast<int>(numbers[1]);
  received.step = numbers[2];
  received.epoch = numbers[3];
  return received;
}

// The job after MPI_Init; MPI_Finalize is the caller's.
StatusOr<scheduler::JobResult> RunRole(const JobOptions& options, const MpiJobOptions& mpi) {
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler"));
  int world_rank = 0, world_size = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(MPI_COMM_WORLD, &world_rank), "MPI_Comm_rank"));
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_size(MPI_COMM_WORLD, &world_size), "MPI_Comm_size"));
  const int num_servers = options.num_servers;
  const int num_workers = world_size - 1 - num_servers;
  // Checks every rank makes alike, before any collective.
  if (num_servers < 1) return Status::InvalidArgument("--num_servers must be >= 1; got ", num_servers);
  if (num_workers < 1) {
    return Status::InvalidArgument("mpirun started ", world_size, " processes: 1 scheduler + ", num_servers,
                                   " servers (--num_servers) leave no worker; start at least ", num_servers + 2);
  }
#if !EMBER_WITH_NCCL
  if (mpi.dense_sync == MpiJobOptions::DenseSync::kNccl) {
    return Status::InvalidArgument("--dense_sync=nccl: this ember was built without NCCL (EMBER_WITH_NCCL=OFF: ",
                                   "no CUDA toolkit, MPI or nccl.h found at build time); use --dense_sync=mpi");
  }
#endif
  if (mpi.num_workers_given && options.num_workers != num_workers) {
    return Status::InvalidArgument("--num_workers=", options.num_workers, " but mpirun started ", world_size,
                                   " processes = 1 scheduler + ", num_servers, " servers + ", num_workers,
                                   " workers; leave --num_workers unset or make it agree");
  }
  const bool is_scheduler = world_rank == 0;
  const bool is_server = world_rank >= 1 && world_rank <= num_servers;
  const bool is_worker = world_rank > num_servers;
  const std::string role = RoleOf(world_rank, num_servers);
  SetThreadRole(is_scheduler ? "scheduler"
                : is_server  ? "server"
                             : "worker",
                is_scheduler ? 0
                : is_server  ? world_rank - 1
                             : world_rank - 1 - num_servers);

  char host_name[MPI_MAX_PROCESSOR_NAME] = {};
  int host_length = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Get_processor_name(host_name, &host_length), "MPI_Get_processor_name"));
  const std::string host(host_name, host_length);

  // OpenBLAS threads: the cores of this host shared by the workers on it.
  MPI_Comm host_comm = MPI_COMM_NULL;
  RETURN_IF_ERROR(
      MpiStatus(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &host_comm),
                "MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)"));
  int worker_flag = is_worker ? 1 : 0, workers_on_host = 1, workers_before = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Allreduce(&worker_flag, &workers_on_host, 1, MPI_INT, MPI_SUM, host_comm),
                            "MPI_Allreduce(workers on this host)"));
  // This worker's local rank: the workers before it on its host.
  RETURN_IF_ERROR(MpiStatus(MPI_Exscan(&worker_flag, &workers_before, 1, MPI_INT, MPI_SUM, host_comm),
                            "MPI_Exscan(workers on this host)"));
  int host_rank = 0;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_rank(host_comm, &host_rank), "MPI_Comm_rank(host)"));
  if (host_rank == 0) workers_before = 0;  // MPI_Exscan leaves rank 0's result undefined
  MPI_Comm_free(&host_comm);
  int threads = options.compute_threads;
  if (threads <= 0) {
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / std::max(1, workers_on_host));
  }
  openblas_set_num_threads(threads);

  // The job token: drawn (or read) by rank 0, sent to all.
  uint64_t token_and_ok[2] = {0, 1};
  Status token_status;
  if (is_scheduler) {
    if (mpi.job_token_file.empty()) {
      std::random_device device;
      token_and_ok[0] = (static_cast<uint64_t>(device()) << 32) ^ device();
      if (token_and_ok[0] == 0) token_and_ok[0] = 1;
    } else {
      StatusOr<uint64_t> token = ReadJobToken(mpi.job_token_file);
      if (token.ok()) {
        token_and_ok[0] = *token;
      } else {
        token_status = token.status();
        token_and_ok[1] = 0;
      }
    }
  }
  RETURN_IF_ERROR(MpiStatus(MPI_Bcast(token_and_ok, 2, MPI_UINT64_T, 0, MPI_COMM_WORLD), "MPI_Bcast(job token)"));
  if (token_and_ok[1] == 0) {
    if (is_scheduler) return token_status;
    return Status::FailedPrecondition("rank 0 could not read --job_token_file=", mpi.job_token_file);
  }
  const uint64_t job_token = token_and_ok[0];

  // --curve: one server keypair per job, made by rank 0 and sent to all
  // (a secret of the job, like the token). Key texts are 40 Z85 characters.
  net::CurveKeys curve;
  if (mpi.curve) {
    constexpr int kKeyChars = 40;
    char keys_and_ok[2 * kKeyChars + 1] = {};
    Status keys_status;
    if (is_scheduler) {
      StatusOr<net::CurveKeys> made = net::MakeCurveKeys();
      if (made.ok() && made->server_public.size() == kKeyChars && made->server_secret.size() == kKeyChars) {
        std::memcpy(keys_and_ok, made->server_public.data(), kKeyChars);
        std::memcpy(keys_and_ok + kKeyChars, made->server_secret.data(), kKeyChars);
        keys_and_ok[2 * kKeyChars] = 1;
      } else {
        keys_status = made.ok() ? Status::Internal("zmq_curve_keypair made keys of unexpected length") : made.status();
      }
    }
    RETURN_IF_ERROR(
        MpiStatus(MPI_Bcast(keys_and_ok, 2 * kKeyChars + 1, MPI_CHAR, 0, MPI_COMM_WORLD), "MPI_Bcast(CURVE keys)"));
    if (keys_and_ok[2 * kKeyChars] != 1) {
      if (is_scheduler) return keys_status.WithContext("--curve");
      return Status::FailedPrecondition("--curve: rank 0 could not make the job's CURVE keypair");
    }
    curve.server_public.assign(keys_and_ok, kKeyChars);
    curve.server_secret.assign(keys_and_ok + kKeyChars, kKeyChars);
    std::memset(keys_and_ok, 0, sizeof(keys_and_ok));
    if (is_scheduler) {
      LOG(INFO) << "--curve: CurveZMQ on every socket of the job; server public key " << curve.server_public;
    }
  }

  // The tables every server holds and every worker uses.
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, HostModel(options));
  JobWiring wiring;
  wiring.num_workers = num_workers;
  wiring.job_token = job_token;
  wiring.tables = model->tables();
  wiring.curve = curve;
  model.reset();
  std::unique_ptr<storage::CheckpointRootLock> checkpoint_lock;  // rank 0's, for the job's life
  ASSIGN_OR_RETURN(wiring.resume, BroadcastResume(options, wiring.tables, num_workers, is_scheduler, &checkpoint_lock));
  ASSIGN_OR_RETURN(wiring.storage_dir, StorageDirFor(options, job_token));

  // Bind (scheduler, servers), then one exchange of every endpoint.
  zmq::context_t context(1);
  std::unique_ptr<ps::Server> server;
  std::unique_ptr<scheduler::Scheduler> scheduler;
  PeerInfo mine;
  mine.host = host;
  Status bound;
  if (is_server) {
    bound = BindInRange(mpi, world_rank, [&](const std::string& endpoint) {
      server = std::make_unique<ps::Server>(&context, ServerOptionsFor(options, wiring, world_rank - 1, endpoint));
      return server->Bind();
    });
    if (bound.ok()) mine.endpoint = server->endpoint();
  } else if (is_scheduler) {
    bound = BindInRange(mpi, world_rank, [&](const std::string& endpoint) {
      scheduler = std::make_unique<scheduler::Scheduler>(&context, SchedulerOptionsFor(options, wiring, endpoint));
      return scheduler->Bind();
    });
    if (bound.ok()) mine.endpoint = scheduler->endpoint();
  }
  // Bound to every interface: peers reach this rank by its host name.
  const std::string wildcard = "tcp://0.0.0.0:";
  if (bound.ok() && mine.endpoint.rfind(wildcard, 0) == 0) {
    mine.endpoint = "tcp://" + host + ":" + mine.endpoint.substr(wildcard.size());
  }
  // A worker's device (--device): a missing GPU stops every rank here, the
  // failing worker named, before any role starts.
  ops::Device device = ops::Device::Cpu();
  if (is_worker && bound.ok()) {
    StatusOr<ops::Device> chosen =
        worker::WorkerDevice(options.worker.model.device.type, world_rank - 1 - num_servers, workers_before, host);
    if (chosen.ok()) {
      device = *chosen;
    } else {
      bound = chosen.status();
    }
  }
  mine.ok = bound.ok();
  if (!bound.ok()) mine.error = bound.ToString();
  ASSIGN_OR_RETURN(std::vector<PeerInfo> peers, ExchangeRecords(mine, world_size));
  for (int r = 0; r < world_size; ++r) {
    if (!peers[r].ok) {
      return Status::FailedPrecondition("rank ", r, " (", RoleOf(r, num_servers), " on host ", peers[r].host,
                                        ") could not start: ", peers[r].error);
    }
  }
  std::vector<std::string> server_endpoints;
  for (int s = 0; s < num_servers; ++s) server_endpoints.push_back(peers[1 + s].endpoint);
  if (is_scheduler) {
    std::string layout;
    for (int r = 0; r < world_size; ++r) {
      layout += "\n  rank " + std::to_string(r) + ": " + RoleOf(r, num_servers) + " on " + peers[r].host +
                (peers[r].endpoint.empty() ? "" : " at " + peers[r].endpoint);
    }
    LOG(INFO) << "mpi job of " << world_size << " processes:" << layout;
  }

  // The workers' communicator for the dense allreduce (every rank takes part
  // in the split; the others get MPI_COMM_NULL).
  MPI_Comm workers_comm = MPI_COMM_NULL;
  RETURN_IF_ERROR(MpiStatus(MPI_Comm_split(MPI_COMM_WORLD, is_worker ? 0 : MPI_UNDEFINED, world_rank, &workers_comm),
                            "MPI_Comm_split(workers)"));

  // Heartbeats (stopped when this function returns, before the context goes).
  std::unique_ptr<scheduler::HeartbeatMonitor> heartbeat_monitor;
  std::unique_ptr<scheduler::HeartbeatSender> heartbeat_sender;
  if (is_scheduler) {
    heartbeat_monitor =
        std::make_unique<scheduler::HeartbeatMonitor>(MonitorOptions(mpi, job_token, peers, num_servers));
    scheduler->set_heartbeat_monitor(heartbeat_monitor.get());
  } else {
    scheduler::HeartbeatSenderOptions sender_options = SenderOptions(mpi, job_token, peers[0], world_rank);
    sender_options.curve = curve;
    heartbeat_sender = std::make_unique<scheduler::HeartbeatSender>(&context, std::move(sender_options));
    Status started = heartbeat_sender->Start();
    if (!started.ok()) AbortJob(world_rank, role, host, started);
  }

  // Run the role. From here on a failure ends the whole job.
  if (is_server) {
    Status status = server->Run();
    server.reset();
    if (options.server_storage_dir.empty() && options.server_memory_bytes > 0) {
      // The default storage folder is this job's own.
      std::error_code ignored;
      std::filesystem::remove_all(wiring.storage_dir + "/server-" + std::to_string(world_rank - 1), ignored);
      std::filesystem::remove(wiring.storage_dir, ignored);
    }
    if (!status.ok()) AbortJob(world_rank, role, host, status);
    return scheduler::JobResult();
  }
  if (is_worker) {
    const int worker_rank = world_rank - 1 - num_servers;
    const worker::WorkerOptions worker_options =
        WorkerOptionsFor(options, wiring, worker_rank, device, peers[0].endpoint, server_endpoints);
    std::unique_ptr<worker::DenseSync> sync;
#if EMBER_WITH_NCCL
    if (mpi.dense_sync == MpiJobOptions::DenseSync::kNccl) {
      StatusOr<std::unique_ptr<worker::NcclDenseSync>> nccl =
          worker::NcclDenseSync::Create(workers_comm, host, options.deterministic);
      if (!nccl.ok()) AbortJob(world_rank, role, host, nccl.status());
      LOG(INFO) << "worker " << worker_rank << ": dense allreduce over NCCL, GPU " << (*nccl)->device() << " of "
                << host;
      sync = std::move(*nccl);
    }
#endif
    if (sync == nullptr) {
      StatusOr<std::unique_ptr<worker::MpiDenseSync>> mpi_sync = worker::MpiDenseSync::Create(workers_comm);
      if (!mpi_sync.ok()) AbortJob(world_rank, role, host, mpi_sync.status());
      sync = std::move(*mpi_sync);
    }
    Status status;
    {
      worker::Worker worker(&context, worker_options, sync.get());
      status = worker.Run();
    }  // the worker's control socket lingers so that FAILED or DONE reaches the scheduler
    if (!status.ok()) AbortJob(world_rank, role, host, status);
    sync.reset();  // after every worker's last allreduce (a failed worker's peers end by MPI_Abort)
    MPI_Comm_free(&workers_comm);
    return scheduler::JobResult();
  }
  scheduler->set_server_endpoints(server_endpoints);
  StatusOr<scheduler::JobResult> result = scheduler->Run();
  if (!result.ok()) {
    // A worker's failure names that worker's rank and host.
    const int failed_worker = scheduler->failed_worker();
    if (failed_worker >= 0 && failed_worker < num_workers) {
      const int failed_rank = 1 + num_servers + failed_worker;
      AbortJob(failed_rank, RoleOf(failed_rank, num_servers), peers[failed_rank].host, result.status());
    }
    AbortJob(world_rank, role, host, result.status());
  }
  return result;
}

}  // namespace

bool LaunchedByMpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  return false;
}

StatusOr<scheduler::JobResult> RunMpiJob(const JobOptions& options, const MpiJobOptions& mpi_options) {
#if EMBER_WITH_NCCL
  // Before MPI_Init: setenv only while this process has one thread.
  if (mpi_options.dense_sync == MpiJobOptions::DenseSync::kNccl) {
    worker::NcclDenseSync::PrepareEnvironment(options.deterministic);
  }
#endif
  int provided = 0;
  const int init = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  if (init != MPI_SUCCESS) return Status::Unavailable("MPI_Init_thread failed with MPI error ", init);
  StatusOr<scheduler::JobResult> result = RunRole(options, mpi_options);
  MPI_Finalize();
  return result;
}

}  // namespace ember::job
