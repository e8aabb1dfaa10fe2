// cli/main.cc: the ember binary. `ember <verb> [--flags]`.
//
// Verbs: train, eval, predict, report, gen-data, inspect, export. `ember <verb> --help` lists the verb's flags
// with their meaning and defaults. Flags become Options structs here, are
// validated into a Status, and the effective configuration is logged once;
// library code never reads FLAGS_*.
#include <gflags/gflags.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "cli/flag_definitions.h"
#include "cli/flags.h"
#include "cli/verbs.h"
#include "common/files.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "data/synthetic.h"
#include "data/text_reader.h"
#include "job/local_job.h"
#include "job/predictions.h"
#include "net/curve.h"
#include "report/page.h"
#include "scheduler/reporter.h"
#include "storage/checkpoint_dump.h"
#include "storage/shard.h"
#if EMBER_WITH_MPI
#include "job/mpi_job.h"
#endif

namespace ember::cli {
namespace {

constexpr char kUsage[] =
    "usage: ember <verb> [--flags]\n"
    "\n"
    "verbs:\n"
    "  train     train a model (local mode: scheduler, servers and workers as threads of this process;\n"
    "            under mpirun: one process per role)\n"
    "  eval      the metrics of a checkpoint on --eval_files (--checkpoint), or of a scores file (--scores)\n"
    "  predict   ember predict --checkpoint=DIR --files=... --out=FILE: one score per record, in input order\n"
    "  report    ember report --metrics=FILE[,FILE...] --out=report.html: one HTML page with the curves of\n"
    "            one or more runs (loss, samples/s, every evaluation metric, checkpoints), no network needed\n"
    "  gen-data  write generated data whose truth is known: --kind=criteo (Criteo TSV from a click model),\n"
    "            sequences (behaviour sequences) or watch (video impressions with watch times)\n"
    "  inspect   ember inspect PATH: verify a checkpoint and print what it holds\n"
    "  export    ember export PATH --out=DIR: a checkpoint's tables and dense parameters as .npy files\n"
    "\n"
    "`ember <verb> --help` lists the flags of a verb. Flags may also come from --flagfile=FILE.\n";

// --dense_sync is mpi or nccl.
Status CheckDenseSyncFlag() {
  if (FLAGS_dense_sync == "mpi" || FLAGS_dense_sync == "nccl") return Status::OK();
  return Status::InvalidArgument("--dense_sync=", FLAGS_dense_sync, ": expected mpi or nccl");
}

#if EMBER_WITH_MPI
// --port_range "A-B" (or "") into the options; InvalidArgument naming the flag.
StatusOr<job::MpiJobOptions> MpiJobOptionsFromFlags() {
  job::MpiJobOptions mpi;
  if (FLAGS_bind_interface.empty()) return Status::InvalidArgument("--bind_interface must not be empty");
  mpi.bind_interface = FLAGS_bind_interface;
  if (!FLAGS_port_range.empty()) {
    int first = 0, last = 0;
    char tail = 0;
    if (std::sscanf(FLAGS_port_range.c_str(), "%d-%d%c", &first, &last, &tail) != 2 || first < 1 || last > 65535 ||
        first > last) {
      return Status::InvalidArgument("--port_range=", FLAGS_port_range,
                                     ": expected FIRST-LAST with 1 <= FIRST <= ", "LAST <= 65535, e.g. 40000-40100");
    }
    mpi.port_min = first;
    mpi.port_max = last;
  }
  mpi.job_token_file = FLAGS_job_token_file;
  if (FLAGS_curve && !net::CurveAvailable()) {
    return Status::FailedPrecondition("--curve: this build's libzmq has no CURVE support (zmq_has(\"curve\") = 0); ",
                                      "rebuild libzmq with libsodium or drop --curve");
  }
  mpi.curve = FLAGS_curve;
  RETURN_IF_ERROR(CheckDenseSyncFlag());
  if (FLAGS_dense_sync == "nccl") mpi.dense_sync = job::MpiJobOptions::DenseSync::kNccl;
  mpi.heartbeat.interval = std::chrono::milliseconds(FLAGS_heartbeat_interval_ms);
  mpi.heartbeat.timeout = std::chrono::milliseconds(int64_t{FLAGS_heartbeat_timeout} * 1000);
  RETURN_IF_ERROR(scheduler::ValidateHeartbeatOptions(mpi.heartbeat));
  gflags::CommandLineFlagInfo num_workers;
  mpi.num_workers_given = gflags::GetCommandLineFlagInfo("num_workers", &num_workers) && !num_workers.is_default;
  return mpi;
}
#endif

// Runs `options` as a job of `verb`: one role of it under mpirun, the whole
// job in this process otherwise. 0, or the exit code after printing the
// error: 2 when the job could not start (flags, the machine), 1 when it
// failed.
int RunJob(const VerbInfo& verb, const job::JobOptions& options, scheduler::JobResult* result) {
#if EMBER_WITH_MPI
  if (job::LaunchedByMpi()) {
    StatusOr<job::MpiJobOptions> mpi = MpiJobOptionsFromFlags();
    if (!mpi.ok()) {
      std::fprintf(stderr, "ember %s: %s\n", verb.name, mpi.status().ToString().c_str());
      return 2;
    }
    LogEffectiveFlags(verb);
    StatusOr<scheduler::JobResult> ran = job::RunMpiJob(options, *mpi);
    if (!ran.ok()) {
      std::fprintf(stderr, "ember %s: %s\n", verb.name, ran.status().ToString().c_str());
      // InvalidArgument, FailedPrecondition: the job could not start (job/mpi_job.h).
      const StatusCode code = ran.status().code();
      return code == StatusCode::kInvalidArgument || code == StatusCode::kFailedPrecondition ? 2 : 1;
    }
    *result = *std::move(ran);
    return 0;
  }
#endif
  Status dense_sync = CheckDenseSyncFlag();
  if (dense_sync.ok() && FLAGS_dense_sync != "mpi") {
    dense_sync = Status::InvalidArgument("--dense_sync=", FLAGS_dense_sync, " needs mpirun (one process per worker); ",
                                         "local mode sums the workers' dense gradients in memory");
  }
  if (!dense_sync.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.name, dense_sync.ToString().c_str());
    return 2;
  }
  if (!FLAGS_port_range.empty() || !FLAGS_job_token_file.empty() || FLAGS_curve) {
    LOG(WARNING) << "--port_range, --job_token_file and --curve apply under mpirun only; local mode ignores them";
  }
  LogEffectiveFlags(verb);
  StatusOr<std::vector<ops::Device>> devices = job::LocalWorkerDevices(options);
  if (!devices.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.name, devices.status().ToString().c_str());
    return 2;
  }
  StatusOr<scheduler::JobResult> ran = job::RunLocalJob(options);
  if (!ran.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.name, ran.status().ToString().c_str());
    return 1;
  }
  *result = *std::move(ran);
  return 0;
}

int RunTrain() {
  StatusOr<job::JobOptions> options = JobOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "ember train: %s\n", options.status().ToString().c_str());
    return 2;
  }
  scheduler::JobResult result;
  return RunJob(kTrainFlags, *options, &result);
}

// A stream that drops what it is given: the eval and predict jobs' report
// lines (they print their own).
class NullStream : public std::ostream {
 public:
  NullStream() : std::ostream(nullptr) {}
};

// The job of `ember eval --checkpoint` or `ember predict` (cli/flags.h),
// its report lines dropped. 0 or the exit code, as RunJob.
// `out` is the file the verb writes (checked before the job runs), none
// when empty; `scores_out` where the job's scores go; *job_options the
// job's options (when not null).
int RunCheckpointJob(const VerbInfo& verb, const char* files_flag, const std::string& files, const std::string& out,
                     const std::string& scores_out, scheduler::JobResult* result,
                     job::JobOptions* job_options = nullptr) {
  StatusOr<job::JobOptions> options = CheckpointJobOptionsFromFlags(files_flag, files, out, scores_out);
  if (!options.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.name, options.status().ToString().c_str());
    return options.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (&verb == &kPredictFlags && FLAGS_id_column > 0) {
    if (options->worker.data_format != "schema") {
      std::fprintf(stderr, "ember predict: --id_column needs --data_format=schema; the checkpoint's is %s\n",
                   options->worker.data_format.c_str());
      return 2;
    }
    if (FLAGS_id_column > static_cast<int>(options->worker.schema.columns.size())) {
      std::fprintf(stderr, "ember predict: --id_column=%d but the schema has %zu columns\n", FLAGS_id_column,
                   options->worker.schema.columns.size());
      return 2;
    }
    options->eval_scores_out = out + ".scores.tmp";  // RunPredict puts the ids beside them
  }
  if (&verb == &kPredictFlags && options->worker.data_format == "interactions") {
    // Every unrated item of every user scored, its scores to a file beside
    // `out`; RunPredict ranks them per user (job/predictions.h).
    options->eval_scores_out = out + ".scores.tmp";
    options->worker.recommend = true;
    options->ranking_k = 0;
    options->worker.gauc_field = -1;
  }
  if (job_options != nullptr) *job_options = *options;
  NullStream quiet;
  options->report_out = &quiet;
  return RunJob(verb, *options, result);
}

int RunPredict() {
  if (FLAGS_out.empty()) {
    std::fprintf(stderr, "ember predict: --out=FILE (the scores to write) is required\n");
    return 2;
  }
  if (FLAGS_id_column < 0) {
    std::fprintf(stderr, "ember predict: --id_column must be >= 0 (1-based; 0: none); got %d\n", FLAGS_id_column);
    return 2;
  }
  if (FLAGS_top_k < 1) {
    std::fprintf(stderr, "ember predict: --top_k must be >= 1; got %d\n", FLAGS_top_k);
    return 2;
  }
  scheduler::JobResult result;
  job::JobOptions options;
  const int code = RunCheckpointJob(kPredictFlags, "files", FLAGS_files, FLAGS_out, FLAGS_out, &result, &options);
  // Under mpirun the scheduler (rank 0) wrote the scores and goes on.
  if (code != 0 || result.evals.empty()) return code;
  if (FLAGS_id_column > 0) {
    const Status written = job::WriteScoresWithIds(options, options.eval_scores_out, FLAGS_id_column - 1, FLAGS_out);
    std::error_code ignored;
    std::filesystem::remove(options.eval_scores_out, ignored);
    if (!written.ok()) {
      std::fprintf(stderr, "ember predict: %s\n", written.ToString().c_str());
      return 1;
    }
  }
  if (options.worker.data_format != "interactions") {
    std::printf("wrote %s: %lld scores of checkpoint %s (step %lld)\n", FLAGS_out.c_str(),
                static_cast<long long>(result.evals.back().examples), FLAGS_checkpoint.c_str(),
                static_cast<long long>(result.steps));
    return 0;
  }
  const int workers = static_cast<int>(result.dense_checksums.size());
  StatusOr<int64_t> users = job::WriteTopItems(options, workers, options.eval_scores_out, FLAGS_top_k, FLAGS_out);
  std::error_code ignored;
  std::filesystem::remove(options.eval_scores_out, ignored);
  if (!users.ok()) {
    std::fprintf(stderr, "ember predict: %s\n", users.status().ToString().c_str());
    return 1;
  }
  std::printf("wrote %s: the top %d items of %lld users (%lld candidates scored) of checkpoint %s (step %lld)\n",
              FLAGS_out.c_str(), FLAGS_top_k, static_cast<long long>(*users),
              static_cast<long long>(result.evals.back().examples), FLAGS_checkpoint.c_str(),
              static_cast<long long>(result.steps));
  return 0;
}

int RunGenSequences() {
  StatusOr<data::SequenceSyntheticOptions> options = SequenceOptionsFromFlags();
  int64_t lines = 0;
  Status status = options.ok() ? data::GenerateSyntheticSequences(*options, &lines) : options.status();
  if (!status.ok()) {
    std::fprintf(stderr, "ember gen-data: %s\n", status.ToString().c_str());
    return options.ok() ? 1 : 2;
  }
  std::printf("wrote %s/interactions.txt (%lld interactions of %lld users, %d items) and truth.json\n",
              options->out_dir.c_str(), static_cast<long long>(lines), static_cast<long long>(options->num_users),
              options->num_items);
  return 0;
}

int RunGenWatch() {
  StatusOr<data::WatchSyntheticOptions> options = WatchOptionsFromFlags();
  Status status = options.ok() ? data::GenerateSyntheticWatch(*options) : options.status();
  if (!status.ok()) {
    std::fprintf(stderr, "ember gen-data: %s\n", status.ToString().c_str());
    return options.ok() ? 1 : 2;
  }
  std::printf("wrote %s/train.csv (%lld rows), test.csv (%lld rows) and test_truth.csv\n", options->out_dir.c_str(),
              static_cast<long long>(options->train_rows), static_cast<long long>(options->test_rows));
  return 0;
}

int RunGenData() {
  if (GenDataKind() == "sequences") return RunGenSequences();
  if (GenDataKind() == "watch") return RunGenWatch();
  if (GenDataKind() != "criteo") {
    std::fprintf(stderr, "ember gen-data: --kind=%s: expected criteo, sequences or watch\n", GenDataKind().c_str());
    return 2;
  }
  StatusOr<data::SyntheticOptions> options = SyntheticOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "ember gen-data: %s\n", options.status().ToString().c_str());
    return 2;
  }
  data::SyntheticSummary summary;
  Status status = data::GenerateSyntheticCriteo(*options, &summary);
  if (!status.ok()) {
    std::fprintf(stderr, "ember gen-data: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s/train.tsv (%lld rows, CTR %.4f), %s/test.tsv (%lld rows, CTR %.4f)\n", options->out_dir.c_str(),
              static_cast<long long>(options->train_rows), summary.train_ctr, options->out_dir.c_str(),
              static_cast<long long>(options->test_rows), summary.test_ctr);
  std::printf("oracle on test: AUC %.5f, logloss %.5f (%s/oracle.json)\n", summary.test_auc, summary.test_logloss,
              options->out_dir.c_str());
  return 0;
}

// Reads one probability per line.
StatusOr<std::vector<float>> ReadScores(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot open --scores=", path);
  std::vector<float> scores;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    char* end = nullptr;
    const float value = std::strtof(line.c_str(), &end);
    if (end == line.c_str() || !(value >= 0.f && value <= 1.f)) {
      return Status::InvalidArgument(path, ":", line_number, ": not a probability in [0, 1]: '", line, "'");
    }
    scores.push_back(value);
  }
  return scores;
}

int RunEval() {
  if (!FLAGS_checkpoint.empty()) {
    if (!FLAGS_scores.empty()) {
      std::fprintf(stderr, "ember eval: --checkpoint scores --eval_files itself; --scores does not apply with it\n");
      return 2;
    }
    scheduler::JobResult result;
    const int code = RunCheckpointJob(kEvalFlags, "eval_files", FLAGS_eval_files, "", "", &result);
    // Under mpirun the scheduler (rank 0) prints the line.
    if (code == 0 && !result.evals.empty()) std::printf("%s\n", scheduler::EvalJsonLine(result.evals.back()).c_str());
    return code;
  }
  StatusOr<EvalFlags> flags = EvalFlagsFromFlags();
  if (!flags.ok()) {
    std::fprintf(stderr, "ember eval: %s\n", flags.status().ToString().c_str());
    return 2;
  }
  StatusOr<std::vector<float>> scores = ReadScores(flags->scores);
  if (!scores.ok()) {
    std::fprintf(stderr, "ember eval: %s\n", scores.status().ToString().c_str());
    return 1;
  }
  data::TextReaderOptions reader_options;
  reader_options.format = flags->data_format;
  reader_options.files = flags->eval_files;
  reader_options.schema = flags->schema;
  reader_options.delimiter = flags->schema_delimiter;
  reader_options.header = flags->schema_header;
  reader_options.batch_size = 4096;
  reader_options.max_bad_lines = flags->max_bad_lines;
  StatusOr<std::unique_ptr<data::Reader>> reader = data::MakeTextReader(std::move(reader_options));
  if (!reader.ok()) {
    std::fprintf(stderr, "ember eval: %s\n", reader.status().ToString().c_str());
    return 1;
  }
  std::vector<float> labels;
  Status status = (*reader)->Open();
  data::Batch batch;
  while (status.ok()) {
    StatusOr<bool> more = (*reader)->Next(&batch);
    if (!more.ok()) status = more.status();
    if (!status.ok() || !*more) break;
    labels.insert(labels.end(), batch.labels.begin(), batch.labels.end());
  }
  if (!status.ok()) {
    std::fprintf(stderr, "ember eval: %s\n", status.ToString().c_str());
    return 1;
  }
  if (labels.size() != scores->size()) {
    std::fprintf(stderr, "ember eval: --scores has %zu lines but --eval_files hold %zu records\n", scores->size(),
                 labels.size());
    return 1;
  }
  const double auc = ComputeAuc(*scores, labels);
  const double logloss = ComputeLogloss(*scores, labels);
  std::printf("%s\n", JsonObject()
                          .Add("event", "eval")
                          .Add("examples", static_cast<int64_t>(labels.size()))
                          .Add("test_auc", auc)
                          .Add("test_logloss", logloss)
                          .ToString()
                          .c_str());
  return 0;
}

int RunReport() {
  StatusOr<ReportFlags> flags = ReportFlagsFromFlags();
  if (!flags.ok()) {
    std::fprintf(stderr, "ember report: %s\n", flags.status().ToString().c_str());
    return 2;
  }
  report::ReportSummary summary;
  Status status = report::WriteReport(flags->metrics_files, flags->out, &summary);
  if (!status.ok()) {
    std::fprintf(stderr, "ember report: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("wrote %s: %d run%s, %d charts, %d series\n", flags->out.c_str(), summary.runs,
              summary.runs == 1 ? "" : "s", summary.charts, summary.series);
  return 0;
}

int RunInspect(const std::string& path) {
  StatusOr<std::string> summary = storage::InspectCheckpoint(path);
  if (!summary.ok()) {
    std::fprintf(stderr, "ember inspect: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  std::fputs(summary->c_str(), stdout);
  return 0;
}

int RunExport(const std::string& path) {
  const std::string out = ExportOutFlag();
  if (out.empty()) {
    std::fprintf(stderr, "ember export: --out=DIR is required\n");
    return 2;
  }
  Status status = storage::ExportCheckpoint(path, out, storage::ForEachShardColdRow);
  if (!status.ok()) {
    std::fprintf(stderr, "ember export: %s\n", status.ToString().c_str());
    return 1;
  }
  std::printf("exported %s to %s (index: %s/index.json)\n", path.c_str(), out.c_str(), out.c_str());
  return 0;
}

}  // namespace
}  // namespace ember::cli

int main(int argc, char** argv) {
  using namespace ember::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const std::string verb = argv[1];
  const VerbInfo* info = FindVerb(verb);
  if (info == nullptr) {
    std::fprintf(stderr, "ember: unknown verb '%s'\n\n%s", verb.c_str(), kUsage);
    return 2;
  }
  // Drop the verb so gflags sees `ember --flag ...`.
  std::vector<char*> args(argv, argv + argc);
  args.erase(args.begin() + 1);
  for (char* arg : args) {
    if (std::strcmp(arg, "--help") == 0 || std::strcmp(arg, "-help") == 0 || std::strcmp(arg, "-h") == 0) {
      PrintVerbHelp(*info);
      return 0;
    }
  }
  ember::Status command_line = CheckCommandLine(args);
  if (!command_line.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.c_str(), command_line.ToString().c_str());
    return 2;
  }
  int new_argc = static_cast<int>(args.size());
  char** new_argv = args.data();
  gflags::SetUsageMessage(kUsage);
  gflags::ParseCommandLineFlags(&new_argc, &new_argv, /*remove_flags=*/true);
  // inspect and export take one checkpoint PATH; the other verbs none.
  std::string path;
  if (info->argument != nullptr) {
    if (new_argc != 2) {
      std::fprintf(stderr, "ember %s: expected one %s (a checkpoint's step-N directory), got %d arguments\n",
                   verb.c_str(), info->argument, new_argc - 1);
      return 2;
    }
    path = new_argv[1];
  } else if (new_argc > 1) {
    std::fprintf(stderr, "ember %s: unexpected argument '%s' (flags look like --name=value)\n", verb.c_str(),
                 new_argv[1]);
    return 2;
  }
  ember::Status flags_ok = CheckFlagsBelongToVerb(*info);
  if (!flags_ok.ok()) {
    std::fprintf(stderr, "ember %s: %s\n", verb.c_str(), flags_ok.ToString().c_str());
    return 2;
  }
  ember::InitLogging(argv[0]);
  if (verb == "train") return RunTrain();
  if (verb == "gen-data") return RunGenData();
  if (verb == "inspect") return RunInspect(path);
  if (verb == "export") return RunExport(path);
  if (verb == "report") return RunReport();
  if (verb == "predict") return RunPredict();
  return RunEval();
}
