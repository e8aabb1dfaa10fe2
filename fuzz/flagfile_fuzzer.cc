// fuzz/flagfile_fuzzer.cc: a --flagfile as `ember` reads it: gflags'
// ReadFlagsFromString with every ember flag registered (cli/flag_definitions.h,
// library ember_cli_flags), then ember's own parsers of the flags it read
// (--schema, --schema_delimiter). Each input starts from the default flags
// (FlagSaver). gflags itself is Debian's, without coverage hooks: libFuzzer
// sees only ember's branches and the string compares of its interceptors.
//
// Inputs that name a flag gflags acts on beyond setting it are skipped:
// --flagfile and --fromenv/--tryfromenv read other files and the
// environment, and the help flags (--help*, --version, --tab_completion_*)
// print and exit.
#include <gflags/gflags.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/flag_definitions.h"
#include "data/schema.h"
#include "fuzz/fuzz_util.h"

namespace {

bool NamesAFlagWithSideEffects(std::string text) {
  std::replace(text.begin(), text.end(), '-', '_');  // gflags accepts --flag-name for --flag_name
  for (const char* name : {"flagfile", "fromenv", "help", "version", "tab_completion"}) {
    if (text.find(name) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string contents(reinterpret_cast<const char*>(data), size);
  if (NamesAFlagWithSideEffects(contents)) return -1;  // not added to the corpus
  gflags::FlagSaver saver;
  if (!gflags::ReadFlagsFromString(contents, "fuzz", /*errors_are_fatal=*/false)) return 0;
  if (!FLAGS_schema.empty()) data::ParseSchema(FLAGS_schema).status().IgnoreError();
  data::ParseDelimiter(FLAGS_schema_delimiter).status().IgnoreError();
  return 0;
}
