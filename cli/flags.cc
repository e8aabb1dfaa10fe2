#include "cli/flags.h"

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string_view>

#include "cli/flag_definitions.h"
#include "cli/verbs.h"
#include "common/files.h"
#if EMBER_WITH_MPI
#include "job/mpi_job.h"
#endif
#include "models/model.h"
#include "storage/manifest.h"
#include "worker/device.h"

namespace ember::cli {

namespace {

// The documented maxima of the size flags (--help states each).
constexpr int64_t kMaxBatchSize = int64_t{1} << 20;
constexpr int64_t kMaxEmbeddingDim = 4096;
constexpr int64_t kMaxLayerWidth = int64_t{1} << 16;
constexpr int64_t kMaxSeqLen = 8192;
constexpr int64_t kMaxCrossLayers = 64;
constexpr int64_t kMaxNegatives = 100'000;
constexpr int64_t kMaxRoles = 1024;  // --num_servers, --num_workers

StatusOr<std::vector<int64_t>> ParseSizes(const std::string& flag, const std::string& text) {
  std::vector<int64_t> sizes;
  if (text.empty()) return sizes;
  for (std::string_view piece : SplitString(text, ',')) {
    char* end = nullptr;
    const std::string p(piece);
    const long long value = std::strtoll(p.c_str(), &end, 10);
    if (p.empty() || *end != '\0' || value <= 0) {
      return Status::InvalidArgument("--", flag, "=", text, ": '", p, "' is not a positive integer");
    }
    if (value > kMaxLayerWidth) {
      return Status::InvalidArgument("--", flag, "=", text, ": a layer of ", value, " units; at most ", kMaxLayerWidth);
    }
    sizes.push_back(value);
  }
  return sizes;
}

// The --schema flags into *schema and *delimiter: their checks whatever the
// verb. Only --data_format=schema reads them, and it needs --schema.
Status SchemaFromFlags(data::Schema* schema, char* delimiter) {
  const bool schema_format = FLAGS_data_format == "schema";
  if (!schema_format) {
    if (!FLAGS_schema.empty() || FLAGS_schema_delimiter != "," || FLAGS_schema_header) {
      return Status::InvalidArgument(
          "--schema, --schema_delimiter and --schema_header apply only to "
          "--data_format=schema; got --data_format=",
          FLAGS_data_format);
    }
    return Status::OK();
  }
  if (FLAGS_schema.empty()) {
    return Status::InvalidArgument(
        "--data_format=schema needs --schema (the column types, e.g. "
        "label,dense*3,cat*20)");
  }
  StatusOr<data::Schema> parsed = data::ParseSchema(FLAGS_schema);
  if (!parsed.ok()) return parsed.status().WithContext("--schema=" + FLAGS_schema);
  StatusOr<char> parsed_delimiter = data::ParseDelimiter(FLAGS_schema_delimiter);
  if (!parsed_delimiter.ok()) return parsed_delimiter.status().WithContext("--schema_delimiter");
  RETURN_IF_ERROR(data::CheckSchemaDelimiter(*parsed, *parsed_delimiter).WithContext("--schema=" + FLAGS_schema));
  *schema = *std::move(parsed);
  *delimiter = *parsed_delimiter;
  return Status::OK();
}

Status CheckPositive(const char* flag, int64_t value) {
  if (value <= 0) return Status::InvalidArgument("--", flag, " must be positive; got ", value);
  return Status::OK();
}

// More threads per server than any host has cores for.
constexpr int kMaxServerThreads = 256;

Status CheckRange(const char* flag, int64_t value, int64_t low, int64_t high) {
  if (value >= low && value <= high) return Status::OK();
  return Status::InvalidArgument("--", flag, " must be between ", low, " and ", high, "; got ", value);
}

// A lower bound of the memory one training step takes in this process: per
// sample, the pulled rows and their gradients (every field, and for the
// sequence models every history position), four floats per hidden unit
// (output, activation, and both gradients), and bst's attention scores and
// their gradients (heads x L x L); times the batch and the workers of a
// local job. ResourceExhausted naming the flags when it exceeds the
// machine's physical memory, before anything is allocated.
Status CheckStepMemory(const job::JobOptions& job, int local_workers) {
  const models::ModelOptions& model = job.worker.model;
  const bool sequences = models::ReadsInteractions(model.name) && model.name != "ncf";
  const double fields = model.num_categorical + (sequences ? model.max_seq_len : 0);
  double floats_per_sample = 2.0 * fields * std::max(model.embedding_dim, model.ncf_mlp_embedding_dim);
  for (int64_t width : model.hidden) floats_per_sample += 4.0 * static_cast<double>(width);
  for (int64_t width : model.bottom_hidden) floats_per_sample += 4.0 * static_cast<double>(width);
  if (model.name == "bst") {
    floats_per_sample += 2.0 * model.attention_heads * static_cast<double>(model.max_seq_len) * model.max_seq_len;
  }
  const double bytes = 4.0 * floats_per_sample * job.worker.batch_size * local_workers;
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (physical <= 0 || bytes <= physical) return Status::OK();
  return Status::ResourceExhausted(
      "--batch_size=", job.worker.batch_size, sequences ? " --max_seq_len=" + std::to_string(model.max_seq_len) : "",
      " --embedding_dim=", model.embedding_dim, " --hidden=", FLAGS_hidden,
      ": one training step of --model=", model.name, " takes at least ", bytes / double(int64_t{1} << 30), " GiB (",
      local_workers, " worker(s) in this process), more than this machine's ", physical / double(int64_t{1} << 30),
      " GiB of memory; make the batch or the model smaller");
}

// A real-valued flag must be finite and > 0, or >= 0 when `zero_ok`, as the
// float the model takes: NaN passes every comparison's negation, an
// infinite learning rate turns the model to NaN at its first step, and
// 1e39 is infinite as a float (1e-50 is 0).
Status CheckReal(const char* flag, double value, bool zero_ok) {
  const float as_float = static_cast<float>(value);
  if (std::isfinite(as_float) && (as_float > 0 || (zero_ok && value == 0))) return Status::OK();
  return Status::InvalidArgument("--", flag, " must be a finite number ", zero_ok ? ">= 0" : "> 0",
                                 " (as a 32-bit float); got ", value);
}

}  // namespace

StatusOr<job::JobOptions> JobOptionsFromFlags() {
  job::JobOptions job;
  if (FLAGS_train_files.empty()) return Status::InvalidArgument("--train_files is required");
  StatusOr<std::vector<std::string>> train = ExpandFileList(FLAGS_train_files);
  if (!train.ok()) return train.status().WithContext("--train_files");
  job.worker.train_files = *train;
  if (!FLAGS_eval_files.empty()) {
    StatusOr<std::vector<std::string>> eval = ExpandFileList(FLAGS_eval_files);
    if (!eval.ok()) return eval.status().WithContext("--eval_files");
    job.worker.eval_files = *eval;
  }
  RETURN_IF_ERROR(CheckRange("batch_size", FLAGS_batch_size, 1, kMaxBatchSize));
  RETURN_IF_ERROR(CheckPositive("epochs", FLAGS_epochs));
  RETURN_IF_ERROR(CheckRange("num_servers", FLAGS_num_servers, 1, kMaxRoles));
  RETURN_IF_ERROR(CheckRange("num_workers", FLAGS_num_workers, 1, kMaxRoles));
  RETURN_IF_ERROR(CheckRange("embedding_dim", FLAGS_embedding_dim, 1, kMaxEmbeddingDim));
  RETURN_IF_ERROR(CheckRange("ncf_mlp_embedding_dim", FLAGS_ncf_mlp_embedding_dim, 1, kMaxEmbeddingDim));
  RETURN_IF_ERROR(CheckRange("max_seq_len", FLAGS_max_seq_len, 0, kMaxSeqLen));
  RETURN_IF_ERROR(CheckRange("cross_layers", FLAGS_cross_layers, 0, kMaxCrossLayers));
  RETURN_IF_ERROR(CheckRange("neg_per_pos", FLAGS_neg_per_pos, 0, kMaxNegatives));
  RETURN_IF_ERROR(CheckRange("eval_negatives", FLAGS_eval_negatives, -1, kMaxNegatives));
  RETURN_IF_ERROR(CheckPositive("progress_every_steps", FLAGS_progress_every_steps));
  if (FLAGS_max_bad_lines < 0) return Status::InvalidArgument("--max_bad_lines must be >= 0");
  if (FLAGS_compute_threads < 0) return Status::InvalidArgument("--compute_threads must be >= 0");
  job.worker.batch_size = FLAGS_batch_size;
  job.worker.epochs = FLAGS_epochs;
  job.worker.max_bad_lines = FLAGS_max_bad_lines;
  job.worker.pipeline.progress_every_steps = FLAGS_progress_every_steps;
  job.num_servers = FLAGS_num_servers;
  job.num_workers = FLAGS_num_workers;
  job.seed = FLAGS_seed;
  job.metrics_out = FLAGS_metrics_out;
  job.eval_scores_out = FLAGS_eval_scores_out;
  if (!job.eval_scores_out.empty()) {
    // Found now, not after the first epoch's evaluation.
    const std::filesystem::path parent = std::filesystem::path(job.eval_scores_out).parent_path();
    std::error_code error;
    if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
      return Status::InvalidArgument("--eval_scores_out=", job.eval_scores_out, ": no directory ", parent.string());
    }
  }
  job.compute_threads = FLAGS_compute_threads;
  job.deterministic = FLAGS_deterministic;
  job.sync = FLAGS_sync || FLAGS_deterministic;

  models::ModelOptions& model = job.worker.model;
  model.name = FLAGS_model;
  model.seed = FLAGS_seed;
  // The device type; each worker's GPU index is chosen where it runs (job/).
  ASSIGN_OR_RETURN(const ops::DeviceType device, worker::ParseDeviceFlag(FLAGS_device));
  model.device = device == ops::DeviceType::kCuda ? ops::Device::Cuda(0) : ops::Device::Cpu();
  model.embedding_dim = FLAGS_embedding_dim;
  model.cross_layers = FLAGS_cross_layers;
  ASSIGN_OR_RETURN(model.hidden, ParseSizes("hidden", FLAGS_hidden));
  ASSIGN_OR_RETURN(model.bottom_hidden, ParseSizes("bottom_hidden", FLAGS_bottom_hidden));
  if (FLAGS_data_format != "criteo" && FLAGS_data_format != "interactions" && FLAGS_data_format != "schema") {
    return Status::InvalidArgument("--data_format=", FLAGS_data_format, ": expected criteo, schema or interactions");
  }
  RETURN_IF_ERROR(SchemaFromFlags(&job.worker.schema, &job.worker.schema_delimiter));
  job.worker.schema_header = FLAGS_schema_header;
  if (FLAGS_data_format == "schema") {  // the model's inputs are the schema's columns
    model.num_dense = job.worker.schema.num_dense();
    model.num_categorical = job.worker.schema.num_categorical();
    if (model.num_categorical == 0) {
      return Status::InvalidArgument("--schema=", FLAGS_schema, " has no cat or multi column; --model=", FLAGS_model,
                                     " needs at least one categorical field");
    }
  }
  ASSIGN_OR_RETURN(model.wide_crosses, models::ParseFieldCrosses(FLAGS_wide_crosses, model.num_categorical));
  model.wide_optimizer.type = sparse::SparseOptimizerType::kFtrl;
  model.wide_optimizer.ftrl_alpha = static_cast<float>(FLAGS_ftrl_alpha);
  model.wide_optimizer.ftrl_beta = static_cast<float>(FLAGS_ftrl_beta);
  model.wide_optimizer.ftrl_l1 = static_cast<float>(FLAGS_ftrl_l1);
  model.wide_optimizer.ftrl_l2 = static_cast<float>(FLAGS_ftrl_l2);
  RETURN_IF_ERROR(CheckReal("ftrl_alpha", FLAGS_ftrl_alpha, /*zero_ok=*/false));
  RETURN_IF_ERROR(CheckReal("ftrl_beta", FLAGS_ftrl_beta, /*zero_ok=*/true));
  RETURN_IF_ERROR(CheckReal("ftrl_l1", FLAGS_ftrl_l1, /*zero_ok=*/true));
  RETURN_IF_ERROR(CheckReal("ftrl_l2", FLAGS_ftrl_l2, /*zero_ok=*/true));
  StatusOr<sparse::SparseOptimizerType> deep_type = sparse::ParseSparseOptimizerType(FLAGS_deep_optimizer);
  if (!deep_type.ok()) return deep_type.status().WithContext("--deep_optimizer");
  model.deep_optimizer.type = *deep_type;
  model.deep_optimizer.learning_rate = static_cast<float>(FLAGS_deep_learning_rate);
  StatusOr<ops::DenseOptimizerType> dense_type = ops::ParseDenseOptimizerType(FLAGS_dense_optimizer);
  if (!dense_type.ok()) return dense_type.status().WithContext("--dense_optimizer");
  job.worker.dense_optimizer.type = *dense_type;
  gflags::CommandLineFlagInfo dense_rate;
  const bool dense_rate_given =
      gflags::GetCommandLineFlagInfo("dense_learning_rate", &dense_rate) && !dense_rate.is_default;
  constexpr double kLinearDenseLearningRate = 0.02;  // --model=lr's, when not given (see the flag's help)
  job.worker.dense_optimizer.learning_rate = static_cast<float>(
      FLAGS_model == "lr" && !dense_rate_given ? kLinearDenseLearningRate : FLAGS_dense_learning_rate);
  RETURN_IF_ERROR(CheckReal("dense_learning_rate", FLAGS_dense_learning_rate, /*zero_ok=*/false));
  RETURN_IF_ERROR(CheckReal("deep_learning_rate", FLAGS_deep_learning_rate, /*zero_ok=*/false));
  if (FLAGS_checkpoint_every_steps < 0 || FLAGS_max_steps < 0 || FLAGS_keep_checkpoints < 1) {
    return Status::InvalidArgument("--checkpoint_every_steps and --max_steps must be >= 0 and --keep_checkpoints >= 1");
  }
  if (FLAGS_checkpoint_every_steps > 0 && FLAGS_checkpoint_dir.empty()) {
    return Status::InvalidArgument("--checkpoint_every_steps=", FLAGS_checkpoint_every_steps,
                                   " needs --checkpoint_dir");
  }
  if (FLAGS_rocksdb_write_buffer_bytes < (int64_t{1} << 16)) {
    return Status::InvalidArgument("--rocksdb_write_buffer_bytes must be at least 65536; got ",
                                   FLAGS_rocksdb_write_buffer_bytes);
  }
  if (FLAGS_server_threads < 1 || FLAGS_server_threads > kMaxServerThreads) {
    return Status::InvalidArgument("--server_threads must be between 1 and ", kMaxServerThreads, "; got ",
                                   FLAGS_server_threads);
  }
  if (FLAGS_server_memory_bytes < 0 || FLAGS_rocksdb_block_cache_bytes < 0 || FLAGS_min_count < 0 ||
      FLAGS_ttl_steps < 0) {
    return Status::InvalidArgument(
        "--server_memory_bytes, --rocksdb_block_cache_bytes, --min_count and --ttl_steps must be >= 0");
  }
  job.worker.pipeline.checkpoint_every_steps = FLAGS_checkpoint_every_steps;
  job.worker.pipeline.max_steps = FLAGS_max_steps;
  job.checkpoint_dir = FLAGS_checkpoint_dir;
  job.keep_checkpoints = FLAGS_keep_checkpoints;
  job.resume = FLAGS_resume;
  job.server_threads = FLAGS_server_threads;
  job.server_memory_bytes = FLAGS_server_memory_bytes;
  job.server_storage_dir = FLAGS_server_storage_dir;
  job.rocksdb_block_cache_bytes = FLAGS_rocksdb_block_cache_bytes;
  job.rocksdb_write_buffer_bytes = FLAGS_rocksdb_write_buffer_bytes;
  job.min_count = static_cast<uint32_t>(FLAGS_min_count);
  job.ttl_steps = static_cast<uint32_t>(FLAGS_ttl_steps);
  if ((FLAGS_data_format == "interactions") != models::ReadsInteractions(FLAGS_model)) {
    return Status::InvalidArgument(
        "--model=ncf, din, bst and youtube_retrieval read --data_format=interactions, and only they do; got --model=",
        FLAGS_model, " --data_format=", FLAGS_data_format);
  }
  job.worker.data_format = FLAGS_data_format;
  if (FLAGS_neg_per_pos < 0) return Status::InvalidArgument("--neg_per_pos must be >= 0; got ", FLAGS_neg_per_pos);
  if (FLAGS_eval_negatives < -1) {
    return Status::InvalidArgument("--eval_negatives must be >= 0, or -1 for every unrated item; got ",
                                   FLAGS_eval_negatives);
  }
  RETURN_IF_ERROR(CheckPositive("ranking_k", FLAGS_ranking_k));
  job.worker.neg_per_pos = FLAGS_neg_per_pos;
  if (FLAGS_gauc_field < -1) return Status::InvalidArgument("--gauc_field must be >= -1; got ", FLAGS_gauc_field);
  job.worker.gauc_field = FLAGS_gauc_field >= 0 ? FLAGS_gauc_field : FLAGS_data_format == "interactions" ? 0 : -1;
  job.ranking_k = FLAGS_ranking_k;
  job.worker.interactions.eval_negatives = FLAGS_eval_negatives;
  job.worker.interactions.eval_negatives_file = FLAGS_eval_negatives_file;
  job.worker.interactions.holdout_validation = FLAGS_holdout_validation;
  job.worker.interactions.separator = FLAGS_interaction_separator == "\\t" ? "\t" : FLAGS_interaction_separator;
  model.ncf_variant = FLAGS_ncf_variant;
  model.ncf_mlp_embedding_dim = FLAGS_ncf_mlp_embedding_dim;
  model.max_seq_len = FLAGS_max_seq_len;
  model.attention_heads = FLAGS_attention_heads;
  RETURN_IF_ERROR(CheckReal("embedding_init_scale", FLAGS_embedding_init_scale, /*zero_ok=*/true));
  model.embedding_init_scale = static_cast<float>(FLAGS_embedding_init_scale);
  if (model.name == "ncf") {
    model.num_dense = 0;
    model.num_categorical = 2;
  }
  if (FLAGS_data_format != "interactions" && job.worker.gauc_field >= model.num_categorical) {
    return Status::InvalidArgument("--gauc_field=", job.worker.gauc_field, ": the data has ", model.num_categorical,
                                   " categorical fields (0-based)");
  }
  // Build the model once, on the host, to validate the rest (unknown --model, sizes).
  models::ModelOptions host_model = model;
  host_model.device = ops::Device::Cpu();
  StatusOr<std::unique_ptr<models::Model>> probe = models::CreateModel(host_model);
  if (!probe.ok()) return probe.status();
    // Local mode runs every worker in this process; under mpirun each worker
    // is a process of its own.
#if EMBER_WITH_MPI
  RETURN_IF_ERROR(CheckStepMemory(job, job::LaunchedByMpi() ? 1 : job.num_workers));
#else
  RETURN_IF_ERROR(CheckStepMemory(job, job.num_workers));
#endif
  return job;
}

namespace {

// Gives each model flag left at its default the value the checkpoint's
// MANIFEST records for it, so that `ember eval --checkpoint` and `ember
// predict` need no model flags; a flag given on the command line keeps its
// value (PrepareResume then names any difference). The deep tables'
// optimizer (which fixes their rows' layout) comes from the first table of
// more than one float per key.
Status AdoptCheckpointFlags(const std::string& checkpoint) {
  const std::string path = checkpoint + "/" + storage::kManifestName;
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) {
    return Status::NotFound("--checkpoint=", checkpoint, ": cannot read ", path,
                            " (a checkpoint is a step-<N> directory with a MANIFEST)");
  }
  ASSIGN_OR_RETURN(const storage::Manifest manifest, storage::DecodeManifest(*text, path));
  std::map<std::string, std::string> config(manifest.config.begin(), manifest.config.end());
  for (const auto& [key, value] : manifest.config) {
    constexpr std::string_view kTable = "table.";
    if (key.rfind(kTable, 0) == 0 && key.size() > 4 && key.compare(key.size() - 4, 4, ".dim") == 0 && value != "1") {
      const std::string prefix = key.substr(0, key.size() - 3);
      if (auto optimizer = config.find(prefix + "optimizer"); optimizer != config.end()) {
        config.emplace("deep_optimizer", optimizer->second);
      }
      break;
    }
  }
  if (auto delimiter = config.find("schema_delimiter"); delimiter != config.end() && delimiter->second == "space") {
    delimiter->second = " ";
  }
  for (const char* flag : kCheckpointConfigFlags) {
    auto saved = config.find(flag);
    gflags::CommandLineFlagInfo info;
    if (saved == config.end() || !gflags::GetCommandLineFlagInfo(flag, &info) || !info.is_default) continue;
    if (gflags::SetCommandLineOption(flag, saved->second.c_str()).empty()) {
      return Status::DataLoss(path, ": its ", flag, " '", saved->second, "' is not a value of --", flag);
    }
  }
  return Status::OK();
}

}  // namespace

StatusOr<job::JobOptions> CheckpointJobOptionsFromFlags(const char* files_flag, const std::string& files,
                                                        const std::string& out, const std::string& scores_out) {
  if (FLAGS_checkpoint.empty()) return Status::InvalidArgument("--checkpoint=DIR (a step-<N> directory) is required");
  if (files.empty()) return Status::InvalidArgument("--", files_flag, " is required");
  StatusOr<std::vector<std::string>> expanded = ExpandFileList(files);
  if (!expanded.ok()) return expanded.status().WithContext(std::string("--") + files_flag);
  if (!out.empty()) {
    const std::filesystem::path parent = std::filesystem::path(out).parent_path();
    std::error_code error;
    if (!parent.empty() && !std::filesystem::is_directory(parent, error)) {
      return Status::InvalidArgument("--out=", out, ": no directory ", parent.string());
    }
  }
  RETURN_IF_ERROR(AdoptCheckpointFlags(FLAGS_checkpoint));
  // The job's data: the files scored (for interactions, also the users'
  // histories); nothing trains on them.
  FLAGS_train_files = files;
  FLAGS_eval_files = files;
  FLAGS_eval_scores_out = scores_out;
  ASSIGN_OR_RETURN(job::JobOptions job, JobOptionsFromFlags());
  job.evaluate_only = true;
  job.resume = FLAGS_checkpoint;
  job.sync = false;
  job.deterministic = false;
  job.checkpoint_dir.clear();
  job.worker.epochs = 1;
  job.worker.pipeline.max_steps = 0;
  job.worker.pipeline.checkpoint_every_steps = 0;
  return job;
}

namespace {

// --out_dir, --train_rows, --test_rows and --seed, which the gen-data kinds
// with a train and a test file share.
template <typename Options>
Status TrainTestFlags(Options* options) {
  if (FLAGS_out_dir.empty()) return Status::InvalidArgument("--out_dir is required");
  RETURN_IF_ERROR(CheckPositive("train_rows", FLAGS_train_rows));
  RETURN_IF_ERROR(CheckPositive("test_rows", FLAGS_test_rows));
  options->out_dir = FLAGS_out_dir;
  options->train_rows = FLAGS_train_rows;
  options->test_rows = FLAGS_test_rows;
  options->seed = FLAGS_seed;
  return Status::OK();
}

}  // namespace

StatusOr<data::SyntheticOptions> SyntheticOptionsFromFlags() {
  data::SyntheticOptions options;
  RETURN_IF_ERROR(TrainTestFlags(&options));
  options.num_interactions = FLAGS_num_interactions;
  options.signal_rank = FLAGS_signal_rank;
  options.zipf_exponent = FLAGS_zipf_exponent;
  options.vocab_scale = FLAGS_vocab_scale;
  return options;
}

std::string GenDataKind() { return FLAGS_kind; }

StatusOr<data::SequenceSyntheticOptions> SequenceOptionsFromFlags() {
  data::SequenceSyntheticOptions options;
  if (FLAGS_out_dir.empty()) return Status::InvalidArgument("--out_dir is required");
  options.out_dir = FLAGS_out_dir;
  options.num_users = FLAGS_num_users;
  options.num_items = FLAGS_num_items;
  options.zipf_exponent = FLAGS_zipf_exponent;
  options.seed = FLAGS_seed;
  return options;
}

StatusOr<data::WatchSyntheticOptions> WatchOptionsFromFlags() {
  data::WatchSyntheticOptions options;
  RETURN_IF_ERROR(TrainTestFlags(&options));
  options.num_users = static_cast<int32_t>(std::min<int64_t>(FLAGS_num_users, INT32_MAX));
  options.num_videos = FLAGS_num_items;
  return options;
}

std::string ExportOutFlag() { return FLAGS_out; }

StatusOr<ReportFlags> ReportFlagsFromFlags() {
  ReportFlags flags;
  if (FLAGS_metrics.empty()) return Status::InvalidArgument("--metrics=FILE[,FILE...] is required");
  if (FLAGS_out.empty()) return Status::InvalidArgument("--out=FILE (the HTML page to write) is required");
  StatusOr<std::vector<std::string>> files = ExpandFileList(FLAGS_metrics);
  if (!files.ok()) return files.status().WithContext("--metrics");
  flags.metrics_files = std::move(*files);
  for (const std::string& file : flags.metrics_files) {
    std::error_code error;
    if (file == FLAGS_out || std::filesystem::equivalent(file, FLAGS_out, error)) {
      return Status::InvalidArgument("--out=", FLAGS_out, " is one of the --metrics files; it would be overwritten");
    }
  }
  flags.out = FLAGS_out;
  return flags;
}

StatusOr<EvalFlags> EvalFlagsFromFlags() {
  EvalFlags flags;
  if (FLAGS_eval_files.empty()) return Status::InvalidArgument("--eval_files is required");
  if (FLAGS_scores.empty()) return Status::InvalidArgument("--scores is required");
  StatusOr<std::vector<std::string>> eval = ExpandFileList(FLAGS_eval_files);
  if (!eval.ok()) return eval.status().WithContext("--eval_files");
  flags.eval_files = *eval;
  flags.scores = FLAGS_scores;
  flags.max_bad_lines = FLAGS_max_bad_lines;
  if (FLAGS_data_format != "criteo" && FLAGS_data_format != "schema") {
    return Status::InvalidArgument("--data_format=", FLAGS_data_format, ": eval reads criteo or schema files");
  }
  flags.data_format = FLAGS_data_format;
  RETURN_IF_ERROR(SchemaFromFlags(&flags.schema, &flags.schema_delimiter));
  flags.schema_header = FLAGS_schema_header;
  return flags;
}

}  // namespace ember::cli
