#include "scheduler/local_job.h"

#include <cblas.h>

#include <memory>
#include <random>
#include <thread>

#include "common/logging.h"
#include "models/model.h"
#include "ps/server.h"

namespace ember::scheduler {

ps::ServerOptions ServerOptionsFor(const JobOptions& options, const JobWiring& wiring, int server_rank,
                                   std::string bind_endpoint) {
  ps::ServerOptions server;
  server.rank = server_rank;
  server.bind_endpoint = std::move(bind_endpoint);
  server.job_token = wiring.job_token;
  server.seed = options.seed;
  server.tables = wiring.tables;
  server.sync_workers = options.sync ? wiring.num_workers : 0;
  server.curve = wiring.curve;
  return server;
}

SchedulerOptions SchedulerOptionsFor(const JobOptions& options, const JobWiring& wiring, std::string bind_endpoint) {
  SchedulerOptions scheduler;
  scheduler.bind_endpoint = std::move(bind_endpoint);
  scheduler.num_workers = wiring.num_workers;
  scheduler.tables = wiring.tables;
  scheduler.job_token = wiring.job_token;
  scheduler.epochs = options.worker.epochs;
  scheduler.has_eval = !options.worker.eval_files.empty();
  scheduler.metrics_out = options.metrics_out;
  scheduler.curve = wiring.curve;
  return scheduler;
}

worker::WorkerOptions WorkerOptionsFor(const JobOptions& options, const JobWiring& wiring, int worker_rank,
                                       std::string scheduler_endpoint, std::vector<std::string> server_endpoints) {
  worker::WorkerOptions worker = options.worker;
  worker.rank = worker_rank;
  worker.num_workers = wiring.num_workers;
  worker.scheduler_endpoint = std::move(scheduler_endpoint);
  worker.server_endpoints = std::move(server_endpoints);
  worker.job_token = wiring.job_token;
  worker.curve = wiring.curve;
  worker.model.seed = options.seed;
  worker.sync = options.sync;
  return worker;
}

StatusOr<JobResult> RunLocalJob(const JobOptions& options) {
  if (options.num_servers < 1) return Status::InvalidArgument("--num_servers must be >= 1; got ", options.num_servers);
  if (options.num_workers < 1) return Status::InvalidArgument("--num_workers must be >= 1; got ", options.num_workers);
  if (options.deterministic && !options.sync) return Status::InvalidArgument("--deterministic requires --sync");
  // Every process builds the tables from the same flags; here, one model
  // instance tells the servers which tables to hold.
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, models::CreateModel(options.worker.model));
  const std::vector<storage::TableConfig> tables = model->tables();
  model.reset();

  int threads = options.compute_threads;
  if (threads <= 0) {
    threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / options.num_workers);
  }
  openblas_set_num_threads(threads);

  JobWiring wiring;
  wiring.num_workers = options.num_workers;
  wiring.job_token = std::random_device{}() * 0x9e3779b97f4a7c15ULL ^ std::random_device{}();
  wiring.tables = tables;
  zmq::context_t context(1);

  // Servers.
  std::vector<std::unique_ptr<ps::Server>> servers;
  std::vector<std::string> server_endpoints;
  for (int s = 0; s < options.num_servers; ++s) {
    servers.push_back(std::make_unique<ps::Server>(
        &context, ServerOptionsFor(options, wiring, s, "inproc://ember-server-" + std::to_string(s))));
    RETURN_IF_ERROR(servers.back()->Bind());
    server_endpoints.push_back(servers.back()->endpoint());
  }
  // Scheduler.
  SchedulerOptions scheduler_options = SchedulerOptionsFor(options, wiring, "inproc://ember-scheduler");
  scheduler_options.server_endpoints = server_endpoints;
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
    worker::WorkerOptions worker_options =
        WorkerOptionsFor(options, wiring, w, scheduler.endpoint(), server_endpoints);
    threads_of_roles.emplace_back([&, worker_options] {
      worker::Worker worker(&context, worker_options, sync_group.member(worker_options.rank));
      worker_status[worker_options.rank] = worker.Run();
    });
  }
  StatusOr<JobResult> result = scheduler.Run();
  // The scheduler asked every server to stop; one that did not get the
  // message (its peer failed) stops here, so that no join below waits forever.
  for (auto& server : servers) server->Stop();
  if (!result.ok()) {
    // Unblock every role still waiting on a peer: the dense sync, then every
    // socket of the context (their calls fail with ETERM).
    sync_group.member(0)->Abort(result.status());
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
