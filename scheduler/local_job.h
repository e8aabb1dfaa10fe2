// scheduler/local_job.h: a whole job in one process (DESIGN.md, local mode).
//
// The scheduler, `num_servers` servers and `num_workers` workers run as
// threads of the calling process and talk over inproc:// ZeroMQ sockets of
// one shared context: the same Scheduler, Server and Worker code that runs
// as separate processes under mpirun, with other endpoints. Dense gradients
// are summed by a LocalDenseSyncGroup.
//
//   JobOptions options = ...;                  // from flags, see cli/
//   StatusOr<JobResult> result = RunLocalJob(options);
#pragma once

#include <string>

#include "common/status.h"
#include "ps/server.h"
#include "scheduler/scheduler.h"
#include "worker/worker.h"

namespace ember::scheduler {

struct JobOptions {
  worker::WorkerOptions worker;   // rank, endpoints and token are filled in per worker
  int num_servers = 1;            // Default: 1
  int num_workers = 1;            // Default: 1
  uint64_t seed = 1;
  std::string metrics_out;        // Default: none
  int compute_threads = 0;        // OpenBLAS threads; Default 0: cores / workers (at least 1)
  // --sync: servers apply the pushes of step t, in worker-rank order,
  // before they answer pulls of step t+1 (ps/server.h). Default: false
  bool sync = false;
  // --deterministic: sync, with fixed seeds and fixed orders of reduction and
  // of applying pushes: two runs end with bitwise-identical parameters
  // (same binary, same number of workers, servers and compute threads).
  // Requires sync. Default: false
  bool deterministic = false;
};

// What every role of a job learns about the others: local mode and mpirun
// mode find it out in their own ways, then build each role's options from
// it with the functions below (one place for both modes).
struct JobWiring {
  int num_workers = 1;
  uint64_t job_token = 0;
  std::vector<storage::TableConfig> tables;
  ps::CurveKeys curve;  // Default: empty, plain sockets
};
ps::ServerOptions ServerOptionsFor(const JobOptions& options, const JobWiring& wiring, int server_rank,
                                   std::string bind_endpoint);
SchedulerOptions SchedulerOptionsFor(const JobOptions& options, const JobWiring& wiring, std::string bind_endpoint);
worker::WorkerOptions WorkerOptionsFor(const JobOptions& options, const JobWiring& wiring, int worker_rank,
                                       std::string scheduler_endpoint, std::vector<std::string> server_endpoints);

// Runs the job to its end. The first error of any role, naming it.
StatusOr<JobResult> RunLocalJob(const JobOptions& options);

}  // namespace ember::scheduler
