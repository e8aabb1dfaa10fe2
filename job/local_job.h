// job/local_job.h: a whole job in one process (DESIGN.md, local mode).
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

#include <iostream>
#include <memory>
#include <ostream>
#include <string>

#include "common/status.h"
#include "ps/server.h"
#include "scheduler/scheduler.h"
#include "storage/checkpoint.h"
#include "worker/worker.h"

namespace ember::job {

struct JobOptions {
  worker::WorkerOptions worker;  // rank, endpoints and token are filled in per worker
  int num_servers = 1;           // Default: 1
  int num_workers = 1;           // Default: 1
  uint64_t seed = 1;
  std::string metrics_out;      // Default: none
  std::string eval_scores_out;  // Default: none (scheduler::SchedulerOptions::eval_scores_out)
  int compute_threads = 0;      // OpenBLAS threads; Default 0: cores / workers (at least 1)
  // --sync: servers apply the pushes of step t, in worker-rank order,
  // before they answer pulls of step t+1 (ps/server.h). Default: false
  bool sync = false;
  // --deterministic: sync, with fixed seeds and fixed orders of reduction and
  // of applying pushes: two runs end with bitwise-identical parameters
  // (same binary, same number of workers, servers and compute threads).
  // Requires sync. Default: false
  bool deterministic = false;
  // Checkpoints (docs/checkpoint_format.md). The worker options say when
  // (worker.pipeline.checkpoint_every_steps, worker.pipeline.max_steps); these say where.
  std::string checkpoint_dir;  // Default: none, no checkpoints
  int keep_checkpoints = 3;    // Default: 3
  // --resume: "auto" (the newest complete checkpoint under checkpoint_dir;
  // a fresh start when there is none) or a checkpoint directory. Default:
  // empty, a fresh start.
  std::string resume;
  // --server_threads: threads per server applying a batch (ps/server.h
  // ServerOptions::threads). Default: 1
  int server_threads = 1;
  // Storage of the servers (ps/server.h): the memory tier's budget per
  // server, where each server's RocksDB tier lives (a folder per server
  // under it; Default: a fresh folder under $TMPDIR, removed at the end),
  // its block cache and memtable size, admission and expiry.
  int64_t server_memory_bytes = 0;
  std::string server_storage_dir;
  int64_t rocksdb_block_cache_bytes = int64_t{64} << 20;
  int64_t rocksdb_write_buffer_bytes = int64_t{16} << 20;
  uint32_t min_count = 0;
  uint32_t ttl_steps = 0;
  // With worker.data_format == "interactions": the K of HR@K and NDCG@K
  // (SchedulerOptions::ranking_k). Default: 10
  int ranking_k = 10;
  // `ember eval --checkpoint` and `ember predict`: `resume` names a
  // checkpoint, the servers load its rows and the workers its dense
  // parameters (not the optimizer's state), each worker scores its part of
  // worker.eval_files once, and the job ends: nothing trains, and nothing is
  // written into the checkpoint. The checkpoint may have been written by any
  // number of servers and workers; its model configuration must be the
  // job's (InferenceConfig). Default: false, a training job
  bool evaluate_only = false;
  // Where the scheduler's report lines go (SchedulerOptions::report_out);
  // not owned. Default: std::cout
  std::ostream* report_out = &std::cout;
};

// A checkpoint to resume from, checked against the job's configuration.
struct ResumePoint {
  std::string path;     // empty: a fresh start
  int num_servers = 0;  // that wrote it
  int64_t step = 0;
  int64_t epoch = 0;  // the epoch its step is in (done or not)
};

// The job's model configuration as (key, value) pairs, as a checkpoint's
// MANIFEST records it: model options, every table (id, name, dim, row
// floats, optimizer and initializer) and the dense optimizer. Resume
// refuses a checkpoint whose pairs differ.
std::vector<std::pair<std::string, std::string>> ModelConfig(const JobOptions& options,
                                                             const std::vector<sparse::TableConfig>& tables);

// The part of ModelConfig that an evaluation of a checkpoint must agree
// with: every pair but those that only training reads (the optimizers'
// hyperparameters, the initializers, the seed).
std::vector<std::pair<std::string, std::string>> InferenceConfig(
    const std::vector<std::pair<std::string, std::string>>& model_config);

// Takes options.checkpoint_dir's lock (storage::CheckpointRootLock) for the
// life of the job, before anything reads or writes the folder; null without
// a checkpoint_dir. FailedPrecondition naming the job that holds it.
StatusOr<std::unique_ptr<storage::CheckpointRootLock>> LockCheckpointDir(const JobOptions& options);

// Resolves options.resume and verifies the checkpoint: every file's size and
// checksum, the model configuration (FailedPrecondition naming each
// difference), and the number of workers (whose reader positions it holds).
// An empty ResumePoint when there is nothing to resume: no --resume, or
// --resume=auto on a folder without any step directory (one whose step
// directories all lost their MANIFEST is refused with DataLoss). With
// options.evaluate_only the checkpoint is required, is compared on
// InferenceConfig only, and may hold any number of workers; errors name
// --checkpoint instead of --resume.
StatusOr<ResumePoint> PrepareResume(const JobOptions& options, const std::vector<sparse::TableConfig>& tables,
                                    int num_workers);

// What every role of a job learns about the others: local mode and mpirun
// mode find it out in their own ways, then build each role's options from
// it with the functions below (one place for both modes).
struct JobWiring {
  int num_workers = 1;
  uint64_t job_token = 0;
  std::vector<sparse::TableConfig> tables;
  net::CurveKeys curve;     // Default: empty, plain sockets
  ResumePoint resume;       // Default: a fresh start
  std::string storage_dir;  // where the servers' RocksDB tiers live (one folder per server)
};
// Where the servers' RocksDB tiers live: options.server_storage_dir, or
// $TMPDIR/ember-storage-<job token> (the caller removes that one at the end).
StatusOr<std::string> StorageDirFor(const JobOptions& options, uint64_t job_token);
ps::ServerOptions ServerOptionsFor(const JobOptions& options, const JobWiring& wiring, int server_rank,
                                   std::string bind_endpoint);
scheduler::SchedulerOptions SchedulerOptionsFor(const JobOptions& options, const JobWiring& wiring,
                                                std::string bind_endpoint);
// worker_rank computes on `device` (worker::WorkerDevice).
worker::WorkerOptions WorkerOptionsFor(const JobOptions& options, const JobWiring& wiring, int worker_rank,
                                       ops::Device device, std::string scheduler_endpoint,
                                       std::vector<std::string> server_endpoints);
// The model of the job's flags with its parameters on the host: what the
// runners read the tables from (the scheduler and servers need no GPU).
StatusOr<std::unique_ptr<models::Model>> HostModel(const JobOptions& options);
// The device of every worker of a local job (worker::WorkerDevice, local
// rank = rank); FailedPrecondition naming the worker and host when
// --device=cuda finds no GPU.
StatusOr<std::vector<ops::Device>> LocalWorkerDevices(const JobOptions& options);

// Runs the job to its end. The first error of any role, naming it.
StatusOr<scheduler::JobResult> RunLocalJob(const JobOptions& options);

}  // namespace ember::job
