// cli/verbs.h: the verbs of the ember binary (train, eval, predict, report,
// gen-data, inspect, export), the flags each reads, their --help, and the checks of a
// command line before gflags parses it.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace ember::cli {

struct VerbInfo {
  const char* name;
  const char* summary;
  std::vector<const char*> flags;  // the flags this verb reads
  const char* argument = nullptr;  // the one positional argument it takes ("PATH"), or none
};

// The model flags a checkpoint's MANIFEST records (job::ModelConfig):
// `ember eval --checkpoint` and `ember predict` take each one not given
// from the checkpoint.
extern const std::vector<const char*> kCheckpointConfigFlags;

extern const VerbInfo kTrainFlags;
extern const VerbInfo kEvalFlags;     // ember eval --checkpoint=DIR | --scores=FILE, --eval_files=...
extern const VerbInfo kPredictFlags;  // ember predict --checkpoint=DIR --files=... --out=FILE
extern const VerbInfo kReportFlags;   // ember report --metrics=FILE,... --out=FILE
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

}  // namespace ember::cli
