// fuzz/file_entries_fuzzer.cc: the file lists servers and workers send the
// scheduler in CHECKPOINT_WRITTEN and CHECKPOINT replies
// (storage/checkpoint_files.h, ParseFileEntries). A list that parses must
// parse to the same entries after FormatFileEntry writes them again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "storage/checkpoint_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const StatusOr<std::vector<storage::FileEntry>> files = storage::ParseFileEntries(text);
  if (!files.ok()) return 0;
  std::string formatted;
  for (const storage::FileEntry& file : *files) {
    FUZZ_CHECK(!file.path.empty() && file.path.find('\n') == std::string::npos);
    formatted += storage::FormatFileEntry(file) + "\n";
  }
  const StatusOr<std::vector<storage::FileEntry>> again = storage::ParseFileEntries(formatted);
  FUZZ_CHECK(again.ok() && again->size() == files->size());
  for (size_t i = 0; i < files->size(); ++i) {
    FUZZ_CHECK((*again)[i].path == (*files)[i].path);
    FUZZ_CHECK((*again)[i].bytes == (*files)[i].bytes);
    FUZZ_CHECK((*again)[i].checksum == (*files)[i].checksum);
  }
  return 0;
}
