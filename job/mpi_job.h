// job/mpi_job.h: a whole job as separate processes under mpirun
// (DESIGN.md, "Processes").
//
// Every rank of MPI_COMM_WORLD calls RunMpiJob with the same options. Rank 0
// is the scheduler, ranks 1..num_servers the servers, the rest the workers
// (worker w is rank 1 + num_servers + w and reads part w of the data). Each
// process has its own ZeroMQ context; the scheduler and the servers bind
// tcp://<bind_interface>:<port> (a port of port_range, or an ephemeral one)
// and read the port back; every process then learns every endpoint and
// host name through one MPI_Allgather of fixed-size records. The job token
// is drawn by rank 0 (or read there from job_token_file) and sent with
// MPI_Bcast, and so is the CURVE server keypair with --curve. Then each
// role runs the same Scheduler, Server and Worker code as local mode; the
// workers' dense gradients are summed on a communicator of the workers only,
// by MpiDenseSync or, with --dense_sync=nccl, by NcclDenseSync on one GPU
// per worker.
//
// Failure: a role that fails prints one line to stderr naming its rank, role
// and host ("ember train: rank 4 (worker 1 on host n3) failed: ..."), and
// ends the whole job with MPI_Abort; the scheduler does the same, naming the
// worker's rank, when a worker reports FAILED. So no process waits forever
// on a dead peer, and mpirun exits non-zero. MPI_Abort does not return.
// Every other rank heartbeats the scheduler (scheduler/heartbeat.h): a rank
// silent for options.heartbeat.timeout is declared dead by the scheduler
// ("ember train: rank 2 (server 1 on host n3) is dead: no heartbeat for
// 10.2 s; newest checkpoint: none", then MPI_Abort), and a scheduler that
// stops answering is declared dead by every other rank (the same line
// naming rank 0, then exit 1, which makes mpirun end the job).
//
//   if (job::LaunchedByMpi()) {
//     StatusOr<JobResult> result = job::RunMpiJob(job_options, mpi_options);
//   }
//
// Called once per process, from main's thread (MPI_Init .. MPI_Finalize).
#pragma once

#include <string>

#include "common/status.h"
#include "job/local_job.h"
#include "scheduler/heartbeat.h"
#include "scheduler/scheduler.h"

namespace ember::job {

struct MpiJobOptions {
  // IP address the scheduler and servers bind; with 0.0.0.0 (every
  // interface) peers connect to the host's name. Default: loopback
  std::string bind_interface = "127.0.0.1";
  int port_min = 0;  // ports to bind, [port_min, port_max]. Default 0, 0: ephemeral
  int port_max = 0;
  std::string job_token_file;             // Default: none: rank 0 draws a random 64-bit token
  bool num_workers_given = false;         // --num_workers was set: it must equal size - 1 - num_servers
  scheduler::HeartbeatOptions heartbeat;  // --heartbeat_interval_ms, --heartbeat_timeout (scheduler/heartbeat.h)
  // --curve: CurveZMQ on every tcp socket of the job. Rank 0 makes one
  // server keypair (net::MakeCurveKeys) and sends it to every rank with
  // MPI_Bcast; servers and scheduler bind CURVE servers, every client
  // connects as a CURVE client (net/curve.h). Default: false, plain.
  bool curve = false;
  // --dense_sync: how the workers sum their dense gradients. kMpi:
  // MpiDenseSync (CPU, any build). kNccl: NcclDenseSync, one GPU per worker
  // by its local rank on the host (worker/nccl_dense_sync.h); needs a build
  // with EMBER_WITH_NCCL, else InvalidArgument on every rank.
  enum class DenseSync { kMpi, kNccl };
  DenseSync dense_sync = DenseSync::kMpi;
};

// True when this process was started by mpirun/srun (OpenMPI, PMI or PMIx
// environment variables are set).
bool LaunchedByMpi();

// Runs this rank's role to the end of the job. Rank 0: the JobResult of the
// scheduler (its final line is printed and written to metrics_out as in
// local mode). Other ranks: an empty JobResult. InvalidArgument (on every
// rank alike) for a world size that leaves no worker or disagrees with
// --num_workers; FailedPrecondition when some rank could not start: it
// could not bind, read the token file or, with --device=cuda, find a GPU
// (the message names the rank and host). The cli exits 2 for both: nothing
// was trained. A failure after the roles start does not return: see the
// header comment.
StatusOr<scheduler::JobResult> RunMpiJob(const JobOptions& options, const MpiJobOptions& mpi_options);

}  // namespace ember::job
