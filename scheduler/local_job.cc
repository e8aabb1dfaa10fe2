#include "scheduler/local_job.h"

#include <cblas.h>

#include <memory>
#include <random>
#include <thread>

#include "common/logging.h"
#include "models/model.h"
#include "ps/server.h"

namespace ember::scheduler {

StatusOr<JobResult> RunLocalJob(const JobOptions& options) {
  if (options.num_servers < 1) return Status::InvalidArgument("--num_servers must be >= 1; got ", options.num_servers);
  if (options.num_workers < 1) return Status::InvalidArgument("--num_workers must be >= 1; got ", options.num_workers);
  if (options.deterministic && !options.sync) return Status::InvalidArgument("--deterministic requires --sync");
  // Every process builds the tables from the same flags; here, one model
  // instance tells the servers which tables to hold.
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, models::CreateModel(options.worker.model));
  const std::vector<ps::TableConfig> tables = model->tables();
  model.reset();

  int threads = options.compute_threads;
  if (threads <= 0) {
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / options.num_workers);
  }
  openblas_set_num_threads(threads);

  const uint64_t job_token = std::random_device{}() * 0x9e3779b97f4a7c15ULL ^ std::random_device{}();
  zmq::context_t context(1);

  // Servers.
  std::vector<std::unique_ptr<ps::Server>> servers;
  std::vector<std::string> server_endpoints;
  for (int s = 0; s < options.num_servers; ++s) {
    ps::ServerOptions server_options;
    server_options.rank = s;
    server_options.bind_endpoint = "inproc://ember-server-" + std::to_string(s);
    server_options.job_token = job_token;
    server_options.seed = options.seed;
    server_options.tables = tables;
    server_options.sync_workers = options.sync ? options.num_workers : 0;
    servers.push_back(std::make_unique<ps::Server>(&context, server_options));
    RETURN_IF_ERROR(servers.back()->Bind());
    server_endpoints.push_back(servers.back()->endpoint());
  }
  // Scheduler.
  SchedulerOptions scheduler_options;
  scheduler_options.bind_endpoint = "inproc://ember-scheduler";
  scheduler_options.num_workers = options.num_workers;
  scheduler_options.server_endpoints = server_endpoints;
  scheduler_options.tables = tables;
  scheduler_options.job_token = job_token;
  scheduler_options.epochs = options.worker.epochs;
  scheduler_options.has_eval = !options.worker.eval_files.empty();
  scheduler_options.metrics_out = options.metrics_out;
  Scheduler scheduler(&context, scheduler_options);
  RETURN_IF_ERROR(scheduler.Bind());

  std::vector<std::thread> threads_of_roles;
  std::vector<Status> server_status(options.num_servers);
  for (int s = 0; s < options.num_servers; ++s) {
    threads_of_roles.emplace_back([&, s] {
      SetThreadRole("server", s);
      server_status[s] = servers[s]->Run();
    });
  }
  worker::LocalDenseSyncGroup sync_group(options.num_workers);
  std::vector<Status> worker_status(options.num_workers);
  for (int w = 0; w < options.num_workers; ++w) {
    worker::WorkerOptions worker_options = options.worker;
    worker_options.rank = w;
    worker_options.num_workers = options.num_workers;
    worker_options.scheduler_endpoint = scheduler.endpoint();
    worker_options.server_endpoints = server_endpoints;
    worker_options.job_token = job_token;
    worker_options.model.seed = options.seed;
    worker_options.sync = options.sync;
    threads_of_roles.emplace_back([&, worker_options] {
      worker::Worker worker(&context, worker_options, sync_group.member(worker_options.rank));
      worker_status[worker_options.rank] = worker.Run();
    });
  }
  StatusOr<JobResult> result = scheduler.Run();
  if (!result.ok()) {
    // Unblock every role still waiting on a peer: the dense sync, then every
    // socket of the context (their calls fail with ETERM).
    sync_group.member(0)->Abort(result.status());
    for (auto& server : servers) server->Stop();
    context.shutdown();
  }
  for (auto& thread : threads_of_roles) thread.join();
  for (int s = 0; s < options.num_servers && result.ok(); ++s) {
    int64_t rows = 0;
    for (int64_t n : servers[s]->stats().rows_per_table) rows += n;
    result->rows_per_server.push_back(rows);
  }
  for (int s = 0; s < options.num_servers; ++s) {
    if (!server_status[s].ok() && result.ok()) return server_status[s].WithContext("server " + std::to_string(s));
  }
  return result;
}

}  // namespace ember::scheduler
