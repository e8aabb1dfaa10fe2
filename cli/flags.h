// cli/flags.h: every command-line flag of the ember binary, the verbs they
// belong to, and their conversion into validated Options structs.
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

struct VerbInfo {
  const char* name;
  const char* summary;
  std::vector<const char*> flags;  // the flags this verb reads
  const char* argument = nullptr;  // the one positional argument it takes ("PATH"), or none
};

extern const VerbInfo kTrainFlags;
extern const VerbInfo kEvalFlags;
extern const VerbInfo kGenDataFlags;
extern const VerbInfo kInspectFlags;  // ember inspect PATH
extern const VerbInfo kExportFlags;   // ember export PATH --out=DIR

// nullptr for an unknown verb.
const VerbInfo* FindVerb(const std::string& verb);
// Prints the verb's summary and each of its flags: name, default, meaning.
void PrintVerbHelp(const VerbInfo& verb);
// Checks a command line (args[0] the program, the verb already removed)
// before gflags parses it, because gflags exits with 1 on any error where
// ember promises 2: an unknown flag, a value its type refuses (a bad
// integer), a --flagfile that cannot be read (nested ones too), and the same
// inside every flag file. InvalidArgument naming the flag, the value or the
// file. Sets the flags it checks (the parse after it sets them again).
Status CheckCommandLine(const std::vector<char*>& args);
// InvalidArgument naming an ember flag that was set but does not apply.
Status CheckFlagsBelongToVerb(const VerbInfo& verb);
// Logs the value of every flag of the verb once.
void LogEffectiveFlags(const VerbInfo& verb);

StatusOr<job::JobOptions> JobOptionsFromFlags();
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

}  // namespace ember::cli
