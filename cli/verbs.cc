#include "cli/verbs.h"

#include <gflags/gflags.h>
#include <glog/logging.h>

#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "cli/flag_definitions.h"
#include "common/files.h"

namespace ember::cli {

namespace {

std::vector<const char*> Concat(std::initializer_list<std::vector<const char*>> groups) {
  std::vector<const char*> all;
  for (const std::vector<const char*>& group : groups) all.insert(all.end(), group.begin(), group.end());
  return all;
}

// The flags of a job, in groups that the verbs running one share.
// The data's, besides the files (the MANIFEST records data_format, schema*
// and neg_per_pos: kCheckpointConfigFlags).
const std::vector<const char*> kDataFlags = {"max_bad_lines",       "interaction_separator", "eval_negatives",
                                             "eval_negatives_file", "holdout_validation",    "ranking_k",
                                             "gauc_field"};
// The job's shape, compute and the servers' storage.
const std::vector<const char*> kJobShapeFlags = {"batch_size",
                                                 "num_servers",
                                                 "num_workers",
                                                 "compute_threads",
                                                 "server_threads",
                                                 "server_memory_bytes",
                                                 "server_storage_dir",
                                                 "rocksdb_block_cache_bytes",
                                                 "rocksdb_write_buffer_bytes",
                                                 "device"};
// Under mpirun.
const std::vector<const char*> kMpiFlags = {"bind_interface",        "port_range",       "job_token_file", "curve",
                                            "heartbeat_interval_ms", "heartbeat_timeout"};

}  // namespace

const std::vector<const char*> kCheckpointConfigFlags = {
    "model",        "embedding_dim",   "hidden",           "wide_crosses",
    "cross_layers", "bottom_hidden",   "ncf_variant",      "ncf_mlp_embedding_dim",
    "max_seq_len",  "attention_heads", "deep_optimizer",   "seed",
    "data_format",  "schema",          "schema_delimiter", "schema_header",
    "neg_per_pos"};

const VerbInfo kTrainFlags = {
    "train",
    "Trains --model on --train_files and evaluates on --eval_files after every epoch. Runs the scheduler, "
    "--num_servers servers and --num_workers workers as threads of this process (local mode). Under mpirun, "
    "rank 0 is the scheduler, ranks 1..--num_servers the servers and the rest the workers.",
    Concat({{"train_files",
             "eval_files",
             "epochs",
             "metrics_out",
             "eval_scores_out",
             "embedding_init_scale",
             "dense_optimizer",
             "dense_learning_rate",
             "deep_learning_rate",
             "ftrl_alpha",
             "ftrl_beta",
             "ftrl_l1",
             "ftrl_l2",
             "sync",
             "deterministic",
             "progress_every_steps",
             "dense_sync",
             "checkpoint_dir",
             "checkpoint_every_steps",
             "keep_checkpoints",
             "max_steps",
             "resume",
             "min_count",
             "ttl_steps"},
            kCheckpointConfigFlags,
            kDataFlags,
            kJobShapeFlags,
            kMpiFlags})};
const VerbInfo kInspectFlags = {
    "inspect",
    "ember inspect PATH: verifies the checkpoint at PATH (every file's size and checksum) and prints what it "
    "holds: step, epoch, servers and workers, model configuration, tables and rows per server, dense arrays, "
    "each worker's reader position.",
    {},
    "PATH"};
const VerbInfo kExportFlags = {
    "export",
    "ember export PATH --out=DIR: verifies the checkpoint at PATH and writes each table's keys (uint64) and "
    "values (float32 [rows, dim]) and every dense parameter as .npy files into DIR, with DIR/index.json listing "
    "them.",
    {"out"},
    "PATH"};
const VerbInfo kEvalFlags = {
    "eval",
    "With --checkpoint=DIR: scores --eval_files with the checkpoint's model (servers and workers as `train` "
    "runs them, locally or under mpirun; the checkpoint is only read) and prints the metrics its training "
    "evaluation reports (AUC, logloss, GAUC, HR@K and NDCG@K) as one JSON line. With --scores=FILE instead: "
    "AUC and logloss of those probabilities against the labels of --eval_files.",
    Concat({{"eval_files", "scores", "checkpoint"}, kCheckpointConfigFlags, kDataFlags, kJobShapeFlags, kMpiFlags})};
const VerbInfo kPredictFlags = {
    "predict",
    "ember predict --checkpoint=DIR --files=... --out=FILE: scores every record of --files with the "
    "checkpoint's model and writes one probability per line to --out, in input order; for the interaction "
    "models (ncf, din, bst, youtube_retrieval), whose --files are interaction files, writes each user's "
    "--top_k best items among those the user never interacted with, as TSV lines `user rank item score` "
    "(servers and workers as `train` runs them, locally or under mpirun; the checkpoint is only read).",
    Concat({{"files", "out", "top_k", "id_column", "checkpoint"},
            kCheckpointConfigFlags,
            kDataFlags,
            kJobShapeFlags,
            kMpiFlags})};
const VerbInfo kReportFlags = {
    "report",
    "ember report --metrics=FILE[,FILE...] --out=report.html: writes one self-contained HTML page (no network "
    "needed) with the curves of the runs whose `train --metrics_out` files --metrics names, each run in a colour "
    "of its own in every chart: training loss and samples/s over steps, every evaluation metric (AUC, logloss, "
    "GAUC, HR@K, NDCG@K) over epochs, checkpoint sizes and times, the counters of any other event with a step, "
    "and each run's final line.",
    {"metrics", "out"}};
const VerbInfo kGenDataFlags = {
    "gen-data",
    "--kind=criteo: writes --out_dir/train.tsv and test.tsv in Criteo format from a known logistic click model, "
    "and --out_dir/oracle.json with the true model's test AUC and logloss. --kind=sequences: writes "
    "--out_dir/interactions.txt (`user item` lines in time order) whose next item depends on the user's latest "
    "one, and --out_dir/truth.json. --kind=watch: writes --out_dir/train.csv and test.csv "
    "(click,weight,user,video,hour: weight is the watch time of a click, 1 otherwise) and test_truth.csv.",
    {"kind", "out_dir", "train_rows", "test_rows", "seed", "num_interactions", "signal_rank", "zipf_exponent",
     "vocab_scale", "num_users", "num_items"}};

const VerbInfo* FindVerb(const std::string& verb) {
  for (const VerbInfo* info :
       {&kTrainFlags, &kEvalFlags, &kPredictFlags, &kReportFlags, &kGenDataFlags, &kInspectFlags, &kExportFlags}) {
    if (verb == info->name) return info;
  }
  return nullptr;
}

void PrintVerbHelp(const VerbInfo& verb) {
  std::printf("usage: ember %s%s%s [--flags]   (or --flagfile=FILE)\n\n%s\n\nflags:\n", verb.name,
              verb.argument != nullptr ? " " : "", verb.argument != nullptr ? verb.argument : "", verb.summary);
  for (const char* name : verb.flags) {
    gflags::CommandLineFlagInfo info;
    if (!gflags::GetCommandLineFlagInfo(name, &info)) continue;
    std::printf("  --%s (%s, default: %s)\n      %s\n", name, info.type.c_str(),
                info.default_value.empty() ? "\"\"" : info.default_value.c_str(), info.description.c_str());
  }
}

namespace {

constexpr int kMaxFlagfileDepth = 8;

Status CheckFlagfile(const std::string& path, int depth);

// One "--name[=value]" (or "-name"); *used_next when the value was `next`.
Status CheckFlag(std::string_view arg, const char* next, bool* used_next, int depth) {
  *used_next = false;
  std::string_view body = arg.substr(arg.starts_with("--") ? 2 : 1);
  const size_t equals = body.find('=');
  const std::string name(body.substr(0, equals));
  std::optional<std::string> value;
  if (equals != std::string_view::npos) value = std::string(body.substr(equals + 1));
  gflags::CommandLineFlagInfo info;
  if (!gflags::GetCommandLineFlagInfo(name.c_str(), &info)) {
    gflags::CommandLineFlagInfo negated;
    if (name.starts_with("no") && !value && gflags::GetCommandLineFlagInfo(name.substr(2).c_str(), &negated) &&
        negated.type == "bool") {
      return Status::OK();
    }
    return Status::InvalidArgument("unknown flag ", arg, " (`ember <verb> --help` lists the flags)");
  }
  if (!value && info.type != "bool") {
    if (next == nullptr) return Status::InvalidArgument("flag --", name, " needs a value (--", name, "=VALUE)");
    value = next;
    *used_next = true;
  }
  if (name == "flagfile") {
    for (std::string_view file : SplitString(*value, ',')) RETURN_IF_ERROR(CheckFlagfile(std::string(file), depth + 1));
    return Status::OK();
  }
  if (value && gflags::SetCommandLineOption(name.c_str(), value->c_str()).empty()) {
    return Status::InvalidArgument("--", name, "=", *value, ": not a valid ", info.type, " value");
  }
  return Status::OK();
}

Status CheckFlagfile(const std::string& path, int depth) {
  if (depth > kMaxFlagfileDepth) {
    return Status::InvalidArgument("--flagfile=", path, ": flag files nested deeper than ", kMaxFlagfileDepth);
  }
  StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status().WithContext("--flagfile=" + path);
  int line_number = 0;
  for (std::string_view line : SplitString(*text, '\n')) {
    ++line_number;
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    // gflags reads "--flag=value" lines; the rest (comments, blank lines
    // and program-name filters) it skips.
    if (!line.starts_with("-")) continue;
    bool used_next = false;
    Status checked = CheckFlag(line, nullptr, &used_next, depth);
    if (!checked.ok()) return checked.WithContext(path + ":" + std::to_string(line_number));
  }
  return Status::OK();
}

}  // namespace

Status CheckCommandLine(const std::vector<char*>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") break;
    if (!arg.starts_with("-") || arg == "-") continue;  // a positional argument
    bool used_next = false;
    RETURN_IF_ERROR(CheckFlag(arg, i + 1 < args.size() ? args[i + 1] : nullptr, &used_next, 0));
    if (used_next) ++i;
  }
  return Status::OK();
}

Status CheckFlagsBelongToVerb(const VerbInfo& verb) {
  std::vector<gflags::CommandLineFlagInfo> all;
  gflags::GetAllFlags(&all);
  for (const auto& info : all) {
    if (info.is_default || info.filename.find("cli/flag_definitions.cc") == std::string::npos) continue;
    bool known = false;
    for (const char* name : verb.flags) known = known || info.name == name;
    if (!known) return Status::InvalidArgument("--", info.name, " does not apply to `ember ", verb.name, "`");
  }
  return Status::OK();
}

void LogEffectiveFlags(const VerbInfo& verb) {
  std::string line;
  for (const char* name : verb.flags) {
    std::string value;
    gflags::GetCommandLineOption(name, &value);
    line += std::string(" --") + name + "=" + value;
  }
  LOG(INFO) << "ember " << verb.name << line;
}

}  // namespace ember::cli
