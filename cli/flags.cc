#include "cli/flags.h"

#include <gflags/gflags.h>
#include <glog/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>

#include "common/files.h"
#if EMBER_WITH_MPI
#include "job/mpi_job.h"
#endif
#include "models/model.h"
#include "worker/device.h"

// Data.
DEFINE_string(train_files, "",
              "Training data: comma-separated paths or globs of files in --data_format (Criteo TSV by default). "
              "Required by train.");
DEFINE_string(eval_files, "",
              "Held-out data: comma-separated paths or globs of files in --data_format (Criteo TSV by default). "
              "train evaluates on them after every epoch; eval reads their labels. Default: none.");
DEFINE_int64(max_bad_lines, 1000,
             "Malformed input lines are counted and skipped (logged with file:line); past this many the job stops "
             "with an error.");
DEFINE_string(data_format, "criteo",
              "criteo (Criteo TSV in --train_files and --eval_files), schema (delimited text such as CSV in "
              "--train_files and --eval_files, its columns given by --schema) or interactions (user-item "
              "interaction files "
              "in --train_files, e.g. MovieLens ratings.dat or ratings.csv: `user SEP item [SEP rating [SEP "
              "timestamp ...]]`, split leave-one-out: each user's latest interaction is its test item; every epoch "
              "ends with ranking the test item against --eval_negatives unrated items, HR@--ranking_k and "
              "NDCG@--ranking_k; --eval_files is ignored). See data/README.md.");
DEFINE_string(schema, "",
              "--data_format=schema: the columns of every line, comma-separated in file order: label (0 or 1; "
              "exactly one), weight (the sample's loss weight, a number >= 0; at most one), dense (a float; empty "
              "is 0), logdense (a float x, fed as log(1+x) if x > 0, else 0), cat (one token, one key; empty is a "
              "token of its own), multi:SEP (tokens separated by the one character SEP, e.g. multi:| ; tab, space "
              "or comma by name; empty: no keys) or skip; TYPE*N repeats a type N times. The model gets one "
              "dense feature per dense/logdense column and one categorical field per cat/multi column (C1 is the "
              "first). E.g. Criteo: label,logdense*13,cat*26 with --schema_delimiter=tab. Default: none.");
DEFINE_string(schema_delimiter, ",",
              "--data_format=schema: the one character between a line's fields (\\t or tab for a tab). No "
              "quoting: a quote is part of its field.");
DEFINE_bool(schema_header, false, "--data_format=schema: the first line of every file is a header, not a record.");
DEFINE_string(interaction_separator, "",
              "interactions: the field separator (::, a tab given as \\t, a comma, or one character). Default: "
              "detected from the first line (::, tab, comma, whitespace). A first line with a non-numeric rating or "
              "timestamp is a header.");
DEFINE_int32(neg_per_pos, 4,
             "interactions: negatives sampled per train positive, uniformly from the items the user never "
             "interacted with, fresh every epoch. At most 100000.");
DEFINE_int32(eval_negatives, 99,
             "interactions: sampled unrated items each test item is ranked against (NCF: 99, SASRec: 100); -1: "
             "every item the user never interacted with (full ranking: HR@K is then recall@K). At most 100000.");
DEFINE_bool(holdout_validation, false,
            "interactions: the SASRec split: each user's second latest item is a validation item, kept in the "
            "user's history but never a training target; only users with 3 or more interactions are evaluated.");
DEFINE_string(eval_negatives_file, "",
              "interactions: fixed eval negatives in the NCF format, one line per user: "
              "(user,item)<TAB>neg1<TAB>neg2... (the pair must be the user's held-out item), instead of sampling. "
              "Users without a line are not evaluated. Default: sample --eval_negatives.");
DEFINE_int32(gauc_field, -1,
             "The 0-based categorical field whose key names the user of an eval sample (e.g. 0 for Criteo's C1): "
             "the evaluation then reports GAUC, the per-user AUC weighted by the user's examples. -1: the user "
             "field with --data_format=interactions, no GAUC otherwise.");
DEFINE_int32(ranking_k, 10, "interactions: the K of the HR@K and NDCG@K evaluation metrics.");
// Model.
DEFINE_string(model, "wide_deep",
              "Model: lr (FTRL logistic regression), wide_deep (Cheng et al. 2016), deepfm "
              "(Guo et al. 2017), dcn (DCN-v2, Wang et al. 2021), dlrm (Naumov et al. 2019); with "
              "--data_format=interactions: ncf (He et al. 2017; --ncf_variant), din (Zhou et al. 2018), bst (Chen et "
              "al. 2019) or youtube_retrieval (Covington et al. 2016, sampled softmax). See docs/models.md.");
DEFINE_int32(max_seq_len, 20,
             "din, bst, youtube_retrieval: the latest history items each sample reads (0: no history, the same "
             "network without the sequence; youtube_retrieval needs >= 1). At most 8192.");
DEFINE_double(embedding_init_scale, 0.01,
              "Standard deviation of the normal initialisation of every embedding table (the wide parts start at 0).");
DEFINE_int32(attention_heads, 2, "bst: heads of the self-attention (--embedding_dim must be a multiple).");
DEFINE_string(ncf_variant, "neumf",
              "ncf: gmf (user and item embeddings of --embedding_dim, elementwise product, a linear output), mlp "
              "(user and item embeddings of --ncf_mlp_embedding_dim, concatenated, an MLP of --hidden with ReLU) or "
              "neumf (both, their outputs concatenated into one linear output).");
DEFINE_int32(ncf_mlp_embedding_dim, 32, "ncf (mlp, neumf): dimension of the MLP tower's user and item embeddings. At most 4096.");
DEFINE_int32(embedding_dim, 16,
             "wide_deep, deepfm, dcn, dlrm: dimension of each field's embedding (dlrm: also the bottom MLP's "
             "output). ncf: the GMF embeddings (predictive factors). din, bst, youtube_retrieval: the item (and "
             "user) embeddings. At most 4096.");
DEFINE_string(hidden, "1024,512,256",
              "wide_deep, deepfm, dcn, dlrm (top MLP): sizes of the deep MLP's hidden layers, comma-separated. "
              "ncf (mlp, neumf): the MLP tower's layers (ReLU on each; the last is its output). din, bst: the top "
              "MLP's hidden layers. youtube_retrieval: the user tower's layers (the last is the user vector's "
              "width and the softmax item embeddings'). Each at most 65536 (so is each of --bottom_hidden).");
DEFINE_int32(cross_layers, 3,
             "dcn: DCN-v2 cross layers x_{l+1} = x0 * (W_l x_l + b_l) + x_l (full-rank W_l) before the MLP. At most 64.");
DEFINE_string(bottom_hidden, "64",
              "dlrm: hidden sizes of the bottom MLP over the dense features, comma-separated (its output has "
              "--embedding_dim units; ReLU after every layer). Empty: one layer.");
DEFINE_string(wide_crosses, "",
              "Crossed field pairs of the wide part, e.g. C1xC2,C3xC14 (Criteo names C1..C26; with --schema, Ck "
              "is the k-th cat or multi column). Default: none.");
// Training.
DEFINE_int32(batch_size, 512,
             "Samples per worker per step. At most 1048576, and refused at start when one step's activations and "
             "gradients alone would not fit in this machine's memory.");
DEFINE_int32(epochs, 1, "Passes over --train_files.");
DEFINE_int32(num_servers, 1, "Parameter servers (threads in local mode); keys are sharded by jump hash. At most 1024.");
DEFINE_int32(num_workers, 1, "Workers (threads in local mode); each reads its own part of every file. At most 1024.");
DEFINE_uint64(seed, 1, "Seed of every random choice: initializers, data generation.");
DEFINE_string(dense_optimizer, "adam", "Optimizer of the dense (MLP) parameters on the workers: sgd, adagrad, adam.");
DEFINE_double(dense_learning_rate, 0.0005, "Learning rate of --dense_optimizer.");
DEFINE_string(deep_optimizer, "adagrad", "Server optimizer of the deep embeddings: sgd, adagrad, ftrl, adam.");
DEFINE_double(deep_learning_rate, 0.02, "Learning rate of --deep_optimizer.");
DEFINE_double(ftrl_alpha, 0.1, "FTRL-Proximal alpha (learning rate scale) of the wide part.");
DEFINE_double(ftrl_beta, 1.0, "FTRL-Proximal beta of the wide part.");
DEFINE_double(ftrl_l1, 0.5, "FTRL-Proximal L1 strength of the wide part (weights it holds at exactly 0).");
DEFINE_double(ftrl_l2, 1.0, "FTRL-Proximal L2 strength of the wide part.");
DEFINE_bool(sync, false,
            "Synchronous sparse updates: the servers apply the pushes of step t, in worker-rank order, before they "
            "answer the pulls of step t+1 (a worker's pull of the next batch no longer overlaps its compute). "
            "Default: asynchronous, as in every production parameter server.");
DEFINE_bool(deterministic, false,
            "Implies --sync. Fixed seeds (from --seed), a fixed order of the dense reduction and of applying "
            "pushes: two runs with the same flags, data, binary and --compute_threads end with bitwise-identical "
            "dense and sparse parameters (compare dense_checksums and sparse_checksums of the final metrics line).");
DEFINE_int32(compute_threads, 0, "OpenBLAS threads for the dense part. Default 0: cores / --num_workers.");
DEFINE_int32(progress_every_steps, 50, "A progress line (step, epoch, samples/s, loss) every this many steps.");
DEFINE_string(eval_scores_out, "",
              "File for the scores (probabilities) of the last evaluation, one per line in the order of the eval "
              "files (with several workers: worker 0's part first, which is file order for byte-range parts). "
              "Rewritten after every epoch. Default: none.");
DEFINE_string(metrics_out, "",
              "File for JSON lines: one per progress report and evaluation, and a last line with "
              "event=final, test_auc, test_logloss, samples_per_sec, dense_checksums (per worker) and sparse_checksums "
              "(per server). Default: none.");
// Distributed mode (under mpirun).
DEFINE_string(bind_interface, "127.0.0.1",
              "Under mpirun: the IP address the scheduler and the servers bind (use the cluster network's address "
              "of the host, or 0.0.0.0 for every interface).");
DEFINE_string(port_range, "",
              "Under mpirun: ports the scheduler and servers may bind, e.g. 40000-40100 (for firewalls). "
              "Default: an ephemeral port.");
DEFINE_string(job_token_file, "",
              "Under mpirun: file holding the job token (one non-zero 64-bit number, decimal or 0x-hex) that every "
              "message must carry. Default: rank 0 draws a random token and sends it over MPI.");
DEFINE_bool(curve, false,
            "Under mpirun: encrypt and authenticate every ZeroMQ connection of the job with CurveZMQ. Rank 0 makes "
            "one server keypair per job and sends it to every rank over MPI; a peer without it gets no answer. "
            "Refused when libzmq was built without CURVE. Default: plain tcp (messages still carry the job token).");
DEFINE_string(device, "cpu",
              "Where each worker computes the dense part (pooling, MLPs, attention, the loss and the dense "
              "optimizer step). cpu: the host's cores (OpenBLAS, --compute_threads). cuda: one GPU per worker, GPU "
              "(local rank % GPUs it sees), the local rank counting the workers on its host (in local mode, the "
              "worker's rank); pulled rows are copied to it and row gradients back for the push. A worker with no "
              "usable GPU stops the job at start (exit 2, naming its rank and host); a build without CUDA refuses "
              "cuda. Checkpoints do not depend on it: a job checkpointed on one device resumes on the other.");
DEFINE_string(dense_sync, "mpi",
              "Under mpirun: how the workers sum their dense gradients each step. mpi: a ring allreduce over MPI "
              "that adds each element in one fixed order (CPU; the same bits on every worker and run). nccl: ncclAllReduce on one GPU per worker: GPU (local "
              "rank % GPUs it sees), the local rank counting the workers on its host, so ranks that each see only "
              "their own GPU take it; a job where two workers would share a GPU is refused. With --device=cuda the "
              "gradients are summed in GPU memory; with --device=cpu they are copied to the GPU and back. With --deterministic, NCCL keeps to its Ring and Tree algorithms "
              "(NCCL_ALGO, unless set). Needs a build with NCCL. Local mode sums in memory and takes only mpi.");
DEFINE_int32(heartbeat_interval_ms, 1000,
             "Under mpirun: every server and worker sends the scheduler a heartbeat this often (milliseconds), "
             "and the scheduler answers each.");
DEFINE_int32(heartbeat_timeout, 10,
             "Under mpirun: seconds without a heartbeat after which the scheduler declares a rank dead (and without "
             "an answer after which a rank declares the scheduler dead); the job then ends with a line naming the "
             "dead rank, its role and host, and every process exits non-zero within this + 5 s.");
// gen-data.
DEFINE_string(kind, "criteo",
              "gen-data: criteo (train.tsv, test.tsv and oracle.json from a known click model) or sequences "
              "(interactions.txt: user behaviour sequences whose next item depends on the latest one, and "
              "truth.json; data/synthetic_sequences.h) or watch (train.csv and test.csv: video impressions with "
              "clicks and watch times, and test_truth.csv with each test row's expected watch time; "
              "data/synthetic_watch.h).");
DEFINE_string(out_dir, "", "gen-data: directory for the generated files. Required.");
DEFINE_int64(num_users, 2000, "gen-data --kind=sequences (each with 8 to 24 interactions) and watch: users.");
DEFINE_int32(num_items, 1000,
             "gen-data --kind=sequences: items, in 20 clusters (a multiple of 20); --kind=watch: videos.");
DEFINE_int64(train_rows, 1000000, "gen-data --kind=criteo and watch: rows of the train file.");
DEFINE_int64(test_rows, 100000, "gen-data --kind=criteo and watch: rows of the test file.");
DEFINE_int32(num_interactions, 8, "gen-data: pairs of fields whose tokens interact in the true click model.");
DEFINE_int32(signal_rank, 100,
             "gen-data: tokens ranked past this in their field carry signal shrinking as signal_rank/(rank+1).");
DEFINE_double(zipf_exponent, 1.1,
              "gen-data: exponent of the power-law token frequencies (sequences: of the item ranks within a "
              "cluster).");
DEFINE_double(vocab_scale, 1.0,
              "gen-data --kind=criteo: multiplies every field's vocabulary size (base sizes 2..20000, 54757 tokens "
              "in all; each at least 2, at most 2^24). In (0, 1000].");
// Checkpoints and resume.
DEFINE_string(checkpoint_dir, "",
              "Where checkpoints go: <dir>/step-<N>/ (docs/checkpoint_format.md). Empty: no checkpoints. With it, "
              "a checkpoint is taken every --checkpoint_every_steps, at the end of every epoch and at --max_steps. "
              "The job holds <dir>/LOCK for its life: a second job on the same folder is refused at start.");
DEFINE_int64(checkpoint_every_steps, 0, "A checkpoint every this many global steps (0: only at epoch ends and --max_steps).");
DEFINE_int32(keep_checkpoints, 3, "How many of the newest checkpoints to keep under --checkpoint_dir (older ones are deleted).");
DEFINE_int64(max_steps, 0, "Stop after this many global steps (then evaluate and, with --checkpoint_dir, checkpoint). 0: no limit.");
DEFINE_string(resume, "",
              "Continue a job: 'auto' takes the newest complete checkpoint under --checkpoint_dir (a fresh start when "
              "the folder holds no step directory; refused when its step directories all lack a MANIFEST), or "
              "give a checkpoint directory. The model flags must match the checkpoint's; the "
              "number of servers may differ (keys move by jump hash), the number of workers may not.");
DEFINE_int64(server_memory_bytes, 0,
             "Memory budget of each server's rows (all its tables, each keeping the same fraction of its rows in "
             "memory; 0: unlimited). Past it, the coldest rows (CLOCK) go to a RocksDB tier on disk and come back "
             "on use.");
DEFINE_string(server_storage_dir, "",
              "Where each server's RocksDB tier lives (server-<rank>/ under it). Default: a folder under $TMPDIR, "
              "removed at the end of the job.");
DEFINE_int64(rocksdb_block_cache_bytes, int64_t{64} << 20, "RocksDB block cache of each server's disk tier, in bytes.");
DEFINE_int64(rocksdb_write_buffer_bytes, int64_t{16} << 20,
             "RocksDB memtable size per table of each server's disk tier, in bytes (where evicted rows land first).");
DEFINE_int32(min_count, 0,
             "Admission: a key gets a trained row only after this many training pulls (until then it reads as "
             "zeros and its gradients are dropped). 0 or 1: at once.");
DEFINE_int32(server_threads, 1,
             "Threads of each server that apply a pull or push: its keys are split among them by hash, each key's "
             "row updated by one thread, so the rows are the same for any count. A message of fewer than 512 keys "
             "per thread stays on one. More than 1 pays only where the server has cores to spare.");
DEFINE_int32(ttl_steps, 0, "Expiry: rows not pulled or pushed for this many steps are deleted. 0: never.");
DEFINE_string(out, "", "export: the directory for the .npy files and index.json. Required.");
DEFINE_string(scores, "", "eval: file of predicted probabilities, one per line, in the order of --eval_files.");

namespace ember::cli {

const VerbInfo kTrainFlags = {
    "train",
    "Trains --model on --train_files and evaluates on --eval_files after every epoch. Runs the scheduler, "
    "--num_servers servers and --num_workers workers as threads of this process (local mode). Under mpirun, "
    "rank 0 is the scheduler, ranks 1..--num_servers the servers and the rest the workers.",
    {"train_files", "eval_files", "model", "batch_size", "epochs", "num_servers", "num_workers", "seed",
     "metrics_out", "eval_scores_out", "max_bad_lines", "embedding_dim", "hidden", "wide_crosses", "dense_optimizer",
     "dense_learning_rate", "deep_optimizer", "deep_learning_rate", "ftrl_alpha", "ftrl_beta", "ftrl_l1", "ftrl_l2",
     "compute_threads", "sync", "deterministic", "progress_every_steps", "bind_interface", "port_range", "job_token_file",
     "curve", "dense_sync", "heartbeat_interval_ms", "heartbeat_timeout", "cross_layers", "bottom_hidden", "checkpoint_dir",
     "checkpoint_every_steps", "keep_checkpoints", "max_steps", "resume", "server_threads", "server_memory_bytes",
     "server_storage_dir",
     "rocksdb_block_cache_bytes", "rocksdb_write_buffer_bytes", "min_count", "ttl_steps", "data_format", "schema",
     "schema_delimiter", "schema_header", "interaction_separator", "neg_per_pos", "eval_negatives",
     "eval_negatives_file", "holdout_validation", "ranking_k", "gauc_field", "ncf_variant", "ncf_mlp_embedding_dim",
     "max_seq_len", "attention_heads", "embedding_init_scale", "device"}};
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
    "eval", "Computes AUC and logloss of --scores against the labels of --eval_files; prints one JSON line.",
    {"eval_files", "scores", "max_bad_lines", "data_format", "schema", "schema_delimiter", "schema_header"}};
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
  for (const VerbInfo* info : {&kTrainFlags, &kEvalFlags, &kGenDataFlags, &kInspectFlags, &kExportFlags}) {
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
    if (info.is_default || info.filename.find("cli/flags.cc") == std::string::npos) continue;
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
      return Status::InvalidArgument("--", flag, "=", text, ": a layer of ", value, " units; at most ",
                                     kMaxLayerWidth);
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
      return Status::InvalidArgument("--schema, --schema_delimiter and --schema_header apply only to "
                                     "--data_format=schema; got --data_format=", FLAGS_data_format);
    }
    return Status::OK();
  }
  if (FLAGS_schema.empty()) {
    return Status::InvalidArgument("--data_format=schema needs --schema (the column types, e.g. "
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
      " --embedding_dim=", model.embedding_dim, " --hidden=", FLAGS_hidden, ": one training step of --model=",
      model.name, " takes at least ", bytes / double(int64_t{1} << 30), " GiB (", local_workers,
      " worker(s) in this process), more than this machine's ", physical / double(int64_t{1} << 30),
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
  job.worker.progress_every_steps = FLAGS_progress_every_steps;
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
  job.worker.dense_optimizer.learning_rate = static_cast<float>(FLAGS_dense_learning_rate);
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
  job.worker.checkpoint_every_steps = FLAGS_checkpoint_every_steps;
  job.worker.max_steps = FLAGS_max_steps;
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
