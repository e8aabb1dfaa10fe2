// cli/flags.h: the conversion of the ember binary's flags
// (cli/flag_definitions.h) into validated Options structs; InvalidArgument
// naming the flag for a value out of its range.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "data/schema.h"
#include "data/synthetic.h"
#include "data/synthetic_sequences.h"
#include "data/synthetic_watch.h"
#include "job/local_job.h"

namespace ember::cli {

StatusOr<job::JobOptions> JobOptionsFromFlags();
// `ember eval --checkpoint` and `ember predict`: the job that scores `files`
// (named by --`files_flag`) with --checkpoint (JobOptions::evaluate_only),
// its scores to `scores_out` (none when empty); `out`, the verb's own
// output, must be in a directory that exists (unchecked when empty). Model flags left at their
// defaults take the values the checkpoint's MANIFEST records; the rest of
// the job's flags (servers, workers, batch size, storage) are the train
// verb's. InvalidArgument naming the flag; NotFound / DataLoss naming the
// checkpoint's MANIFEST.
StatusOr<job::JobOptions> CheckpointJobOptionsFromFlags(const char* files_flag, const std::string& files,
                                                        const std::string& out, const std::string& scores_out);
StatusOr<data::SyntheticOptions> SyntheticOptionsFromFlags();
// gen-data's --kind: "criteo", "sequences" or "watch".
std::string GenDataKind();
StatusOr<data::SequenceSyntheticOptions> SequenceOptionsFromFlags();
StatusOr<data::WatchSyntheticOptions> WatchOptionsFromFlags();

struct EvalFlags {
  std::vector<std::string> eval_files;
  std::string scores;
  int64_t max_bad_lines = 0;
  std::string data_format = "criteo";  // criteo or schema
  data::Schema schema;                 // schema: --schema, --schema_delimiter, --schema_header
  char schema_delimiter = ',';
  bool schema_header = false;
};
StatusOr<EvalFlags> EvalFlagsFromFlags();
// export: --out.
std::string ExportOutFlag();

struct ReportFlags {
  std::vector<std::string> metrics_files;  // --metrics, expanded
  std::string out;                         // --out
};
// InvalidArgument for a missing --metrics or --out, a --metrics path or
// pattern that names no file, or an --out that is one of the metrics files.
StatusOr<ReportFlags> ReportFlagsFromFlags();

}  // namespace ember::cli
