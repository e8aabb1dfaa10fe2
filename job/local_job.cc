#include "job/local_job.h"

#include <unistd.h>

#include <cblas.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <string_view>
#include <thread>

#include "common/logging.h"
#include "models/model.h"
#include "ps/server.h"
#include "storage/checkpoint.h"
#include "storage/sparse_table.h"
#include "worker/device.h"

namespace ember::job {
namespace {

// The connections a socket bound for `peers` connections of the job's own
// may hold (ServerOptions and SchedulerOptions::max_connections): room for
// reconnects and for the ranks' tools, then no more.
int MaxConnectionsFor(int peers) { return 2 * peers + 64; }

}  // namespace

ps::ServerOptions ServerOptionsFor(const JobOptions& options, const JobWiring& wiring, int server_rank,
                                   std::string bind_endpoint) {
  ps::ServerOptions server;
  server.rank = server_rank;
  server.num_servers = options.num_servers;
  server.bind_endpoint = std::move(bind_endpoint);
  server.job_token = wiring.job_token;
  server.seed = options.seed;
  server.tables = wiring.tables;
  server.sync_workers = options.sync ? wiring.num_workers : 0;
  server.curve = wiring.curve;
  server.threads = options.server_threads;
  server.memory_bytes = options.server_memory_bytes;
  server.rocks.path = wiring.storage_dir + "/server-" + std::to_string(server_rank);
  server.rocks.block_cache_bytes = options.rocksdb_block_cache_bytes;
  server.rocks.write_buffer_bytes = options.rocksdb_write_buffer_bytes;
  server.min_count = options.min_count;
  server.ttl_steps = options.ttl_steps;
  server.restore_from = wiring.resume.path;
  server.restore_num_servers = wiring.resume.num_servers;
  // Each worker's client, and the scheduler's two (stop and checkpoints).
  server.max_connections = MaxConnectionsFor(wiring.num_workers + 2);
  return server;
}

scheduler::SchedulerOptions SchedulerOptionsFor(const JobOptions& options, const JobWiring& wiring,
                                                std::string bind_endpoint) {
  scheduler::SchedulerOptions scheduler;
  scheduler.bind_endpoint = std::move(bind_endpoint);
  scheduler.num_workers = wiring.num_workers;
  scheduler.tables = wiring.tables;
  scheduler.job_token = wiring.job_token;
  scheduler.epochs = options.worker.epochs;
  const bool interactions = options.worker.data_format == "interactions";
  scheduler.has_eval = !options.worker.eval_files.empty() || interactions;
  scheduler.report_out = options.report_out;
  scheduler.ranking_k = interactions ? options.ranking_k : 0;
  scheduler.metrics_out = options.metrics_out;
  scheduler.eval_scores_out = options.eval_scores_out;
  scheduler.curve = wiring.curve;
  scheduler.checkpoint_dir = options.checkpoint_dir;
  scheduler.keep_checkpoints = options.keep_checkpoints;
  scheduler.num_servers = options.num_servers;
  scheduler.config = ModelConfig(options, wiring.tables);
  scheduler.resumed_from = wiring.resume.path;
  // Each worker's control socket, and every rank's heartbeats.
  scheduler.max_connections = MaxConnectionsFor(2 * wiring.num_workers + options.num_servers);
  return scheduler;
}

worker::WorkerOptions WorkerOptionsFor(const JobOptions& options, const JobWiring& wiring, int worker_rank,
                                       ops::Device device, std::string scheduler_endpoint,
                                       std::vector<std::string> server_endpoints) {
  worker::WorkerOptions worker = options.worker;
  worker.rank = worker_rank;
  worker.model.device = device;
  worker.num_workers = wiring.num_workers;
  worker.scheduler_endpoint = std::move(scheduler_endpoint);
  worker.server_endpoints = std::move(server_endpoints);
  worker.job_token = wiring.job_token;
  worker.curve = wiring.curve;
  worker.model.seed = options.seed;
  worker.pipeline.sync = options.sync;
  worker.pipeline.checkpoints = !options.checkpoint_dir.empty() && !options.evaluate_only;
  worker.resume_from = wiring.resume.path;
  worker.evaluate_only = options.evaluate_only;
  worker.resumed_epoch = wiring.resume.epoch;
  worker.resumed_step = wiring.resume.step;
  return worker;
}

std::vector<std::pair<std::string, std::string>> ModelConfig(const JobOptions& options,
                                                             const std::vector<sparse::TableConfig>& tables) {
  std::vector<std::pair<std::string, std::string>> config;
  auto add = [&](std::string key, auto value) {
    std::ostringstream text;
    text << value;
    config.emplace_back(std::move(key), text.str());
  };
  auto join = [](const std::vector<int64_t>& values) {
    std::ostringstream text;
    for (size_t i = 0; i < values.size(); ++i) text << (i == 0 ? "" : ",") << values[i];
    return text.str();
  };
  const models::ModelOptions& model = options.worker.model;
  add("model", model.name);
  add("num_dense", model.num_dense);
  add("num_categorical", model.num_categorical);
  add("embedding_dim", model.embedding_dim);
  add("hidden", join(model.hidden));
  std::ostringstream crosses;
  for (size_t i = 0; i < model.wide_crosses.size(); ++i) {
    crosses << (i == 0 ? "" : ",") << "C" << model.wide_crosses[i].field_a + 1 << "xC"
            << model.wide_crosses[i].field_b + 1;
  }
  add("wide_crosses", crosses.str());
  add("cross_layers", model.cross_layers);
  add("bottom_hidden", join(model.bottom_hidden));
  if (model.name == "ncf") {
    add("ncf_variant", model.ncf_variant);
    add("ncf_mlp_embedding_dim", model.ncf_mlp_embedding_dim);
  }
  // The history's length shapes the sequence models' inputs (and BST's
  // position embeddings); the heads split BST's attention.
  if (models::HistoryLength(model) > 0) add("max_seq_len", model.max_seq_len);
  if (model.name == "bst") add("attention_heads", model.attention_heads);
  if (options.worker.data_format != "criteo") {
    add("data_format", options.worker.data_format);
    add("neg_per_pos", options.worker.neg_per_pos);
  }
  if (options.worker.data_format == "schema") {  // the keys' field numbers and the features follow the schema
    const char delimiter = options.worker.schema_delimiter;
    add("schema", data::FormatSchema(options.worker.schema));
    add("schema_delimiter", delimiter == '\t'  ? std::string("tab")
                            : delimiter == ' ' ? std::string("space")
                                               : std::string(1, delimiter));
    add("schema_header", options.worker.schema_header ? 1 : 0);
  }
  add("seed", options.seed);
  for (const sparse::TableConfig& table : tables) {
    const std::string prefix = "table." + std::to_string(table.id) + ".";
    add(prefix + "name", table.name);
    add(prefix + "dim", table.dim);
    add(prefix + "row_floats", storage::SparseTable::RowFloats(table));
    const sparse::SparseOptimizerConfig& o = table.optimizer;
    add(prefix + "optimizer", sparse::SparseOptimizerTypeName(o.type));
    std::ostringstream hyper;
    hyper.precision(9);
    hyper << "lr=" << o.learning_rate << " acc0=" << o.initial_accumulator << " ftrl=" << o.ftrl_alpha << ","
          << o.ftrl_beta << "," << o.ftrl_l1 << "," << o.ftrl_l2 << " adam=" << o.adam_beta1 << "," << o.adam_beta2
          << "," << o.adam_epsilon;
    add(prefix + "optimizer_options", hyper.str());
    add(prefix + "initializer", static_cast<int>(table.initializer));
    add(prefix + "init_scale", table.init_scale);
  }
  const ops::DenseOptimizerOptions& dense = options.worker.dense_optimizer;
  std::ostringstream dense_text;
  dense_text.precision(9);
  dense_text << ops::DenseOptimizerTypeName(dense.type) << " lr=" << dense.learning_rate
             << " acc0=" << dense.adagrad_initial_accumulator << " betas=" << dense.beta1 << "," << dense.beta2
             << " eps=" << dense.epsilon << " wd=" << dense.weight_decay;
  add("dense_optimizer", dense_text.str());
  return config;
}

std::vector<std::pair<std::string, std::string>> InferenceConfig(
    const std::vector<std::pair<std::string, std::string>>& model_config) {
  auto training_only = [](const std::string& key) {
    auto ends_with = [&](std::string_view suffix) {
      return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return key == "seed" || key == "dense_optimizer" || ends_with(".optimizer_options") || ends_with(".initializer") ||
           ends_with(".init_scale");
  };
  std::vector<std::pair<std::string, std::string>> config;
  for (const auto& pair : model_config) {
    if (!training_only(pair.first)) config.push_back(pair);
  }
  return config;
}

StatusOr<std::unique_ptr<storage::CheckpointRootLock>> LockCheckpointDir(const JobOptions& options) {
  if (options.checkpoint_dir.empty()) return std::unique_ptr<storage::CheckpointRootLock>();
  StatusOr<std::unique_ptr<storage::CheckpointRootLock>> lock =
      storage::CheckpointRootLock::Acquire(options.checkpoint_dir);
  if (!lock.ok()) return lock.status().WithContext("--checkpoint_dir=" + options.checkpoint_dir);
  return lock;
}

StatusOr<ResumePoint> PrepareResume(const JobOptions& options, const std::vector<sparse::TableConfig>& tables,
                                    int num_workers) {
  ResumePoint point;
  const std::string flag = options.evaluate_only ? "--checkpoint=" : "--resume=";
  if (options.evaluate_only && (options.resume.empty() || options.resume == "auto")) {
    return Status::InvalidArgument("--checkpoint must name a checkpoint's step directory");
  }
  if (options.resume.empty()) return point;
  if (options.resume == "auto") {
    if (options.checkpoint_dir.empty()) {
      return Status::InvalidArgument("--resume=auto needs --checkpoint_dir (where to look for checkpoints)");
    }
  }
  StatusOr<std::string> resolved = storage::ResolveResume(options.checkpoint_dir, options.resume);
  if (options.resume == "auto" && resolved.status().code() == StatusCode::kNotFound) {
    LOG(INFO) << "--resume=auto: no checkpoint in " << options.checkpoint_dir << " yet; starting fresh";
    return point;
  }
  RETURN_IF_ERROR(resolved.status().WithContext(flag + options.resume));
  point.path = *std::move(resolved);
  ASSIGN_OR_RETURN(storage::Manifest manifest, storage::VerifyCheckpoint(point.path));
  if (options.evaluate_only) {
    storage::Manifest compared = manifest;
    compared.config = InferenceConfig(manifest.config);
    RETURN_IF_ERROR(
        storage::CompareConfig(compared, InferenceConfig(ModelConfig(options, tables))).WithContext(flag + point.path));
  } else {
    RETURN_IF_ERROR(storage::CompareConfig(manifest, ModelConfig(options, tables)).WithContext(flag + point.path));
  }
  if (!options.evaluate_only && manifest.num_workers != num_workers) {
    return Status::FailedPrecondition("--resume=", point.path, ": the checkpoint holds the reader positions of ",
                                      manifest.num_workers, " workers, and this job has ", num_workers,
                                      "; resume with ", manifest.num_workers, " workers");
  }
  point.num_servers = manifest.num_servers;
  point.step = manifest.step;
  point.epoch = manifest.epoch;
  LOG(INFO) << (options.evaluate_only ? "evaluating " : "resuming from ") << point.path << " (step " << manifest.step
            << ", " << manifest.num_servers << " server(s) wrote it)";
  return point;
}

StatusOr<std::string> StorageDirFor(const JobOptions& options, uint64_t job_token) {
  if (!options.server_storage_dir.empty()) return options.server_storage_dir;
  std::error_code error;
  std::filesystem::path dir = std::filesystem::temp_directory_path(error);
  if (error) return Status::Unavailable("no temporary directory for the RocksDB tier: ", error.message());
  char name[64];
  std::snprintf(name, sizeof(name), "ember-storage-%016llx", static_cast<unsigned long long>(job_token));
  return (dir / name).string();
}

StatusOr<std::unique_ptr<models::Model>> HostModel(const JobOptions& options) {
  models::ModelOptions model = options.worker.model;
  model.device = ops::Device::Cpu();
  return models::CreateModel(model);
}

std::string LocalHostName() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

StatusOr<std::vector<ops::Device>> LocalWorkerDevices(const JobOptions& options) {
  std::vector<ops::Device> devices;
  const std::string host = LocalHostName();
  for (int w = 0; w < options.num_workers; ++w) {
    ASSIGN_OR_RETURN(ops::Device device, worker::WorkerDevice(options.worker.model.device.type, w, w, host));
    devices.push_back(device);
  }
  return devices;
}

StatusOr<scheduler::JobResult> RunLocalJob(const JobOptions& options) {
  if (options.num_servers < 1) return Status::InvalidArgument("--num_servers must be >= 1; got ", options.num_servers);
  if (options.num_workers < 1) return Status::InvalidArgument("--num_workers must be >= 1; got ", options.num_workers);
  if (options.deterministic && !options.sync) return Status::InvalidArgument("--deterministic requires --sync");
  ASSIGN_OR_RETURN(const std::vector<ops::Device> devices, LocalWorkerDevices(options));
  // Every process builds the tables from the same flags; here, one model
  // instance tells the servers which tables to hold.
  ASSIGN_OR_RETURN(std::unique_ptr<models::Model> model, HostModel(options));
  const std::vector<sparse::TableConfig> tables = model->tables();
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
  ASSIGN_OR_RETURN(const std::unique_ptr<storage::CheckpointRootLock> checkpoint_lock, LockCheckpointDir(options));
  ASSIGN_OR_RETURN(wiring.resume, PrepareResume(options, tables, options.num_workers));
  ASSIGN_OR_RETURN(wiring.storage_dir, StorageDirFor(options, wiring.job_token));
  // The default storage folder is this run's own: removed at the end.
  struct RemoveAtEnd {
    std::string dir;
    ~RemoveAtEnd() {
      std::error_code ignored;
      if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
    }
  } remove_storage{options.server_storage_dir.empty() && options.server_memory_bytes > 0 ? wiring.storage_dir : ""};
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
  scheduler::SchedulerOptions scheduler_options = SchedulerOptionsFor(options, wiring, "inproc://ember-scheduler");
  scheduler_options.server_endpoints = server_endpoints;
  scheduler::Scheduler scheduler(&context, scheduler_options);
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
        WorkerOptionsFor(options, wiring, w, devices[w], scheduler.endpoint(), server_endpoints);
    threads_of_roles.emplace_back([&, worker_options] {
      worker::Worker worker(&context, worker_options, sync_group.member(worker_options.rank));
      worker_status[worker_options.rank] = worker.Run();
    });
  }
  StatusOr<scheduler::JobResult> result = scheduler.Run();
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

}  // namespace ember::job
