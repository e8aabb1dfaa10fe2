// storage/manifest.h: the MANIFEST of a checkpoint, the file whose presence
// makes a checkpoint directory complete: what it holds (step, epoch, the
// job's shape and configuration, every file with its size and checksum),
// its text codec and the configuration check on resume. Its text is
// specified in docs/checkpoint_format.md §MANIFEST; the directory protocol
// that writes and finds it is storage/checkpoint.h.
//
//   Manifest manifest{.step = 120, .epoch = 1, .num_servers = 2, .num_workers = 4};
//   manifest.config = {{"embedding_dim", "16"}};
//   manifest.files.push_back(entry);                 // a FileEntry, path relative
//   ASSIGN_OR_RETURN(std::string text, EncodeManifest(manifest));
//   ASSIGN_OR_RETURN(Manifest back, DecodeManifest(text, "step-000000000120/MANIFEST"));
//   RETURN_IF_ERROR(CompareConfig(back, config_now));
//
// Pure functions of their arguments: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/checkpoint_files.h"

namespace ember::storage {

inline constexpr int kCheckpointFormatVersion = 1;
inline constexpr char kManifestName[] = "MANIFEST";

using ConfigPairs = std::vector<std::pair<std::string, std::string>>;

struct Manifest {
  int format_version = kCheckpointFormatVersion;
  int64_t step = 0;
  int64_t epoch = 0;
  int32_t num_servers = 0;
  int32_t num_workers = 0;
  // The job's configuration that must match on resume, in a fixed order.
  // Keys: no whitespace; values: no newline. The lead stores table.<id>.name,
  // table.<id>.dim and table.<id>.row_floats for the export.
  ConfigPairs config;
  uint64_t config_hash = 0;  // ConfigHash(config); set by EncodeManifest
  // Paths relative to the checkpoint dir (CommitCheckpoint makes them so).
  std::vector<FileEntry> files;
};

// Checksum64 of "key=value\n" for every pair in order.
uint64_t ConfigHash(const ConfigPairs& config);

// The MANIFEST text (docs/checkpoint_format.md §MANIFEST), ending in a
// checksum line over the text before it. InvalidArgument for a key with
// whitespace, a value or path with a newline, a path with whitespace, an
// absolute path or "..".
StatusOr<std::string> EncodeManifest(const Manifest& manifest);
// Parses and checks it; `source` (the file name) prefixes every error.
// DataLoss "source:line: ..." on any syntax error, a wrong checksum line or
// a missing one (a truncated MANIFEST), or a config_hash mismatch;
// FailedPrecondition for another format version.
StatusOr<Manifest> DecodeManifest(std::string_view text, const std::string& source);

// OK when `now` has the same keys and values as the checkpoint (any order);
// FailedPrecondition otherwise, naming every differing key with both values
// ("embedding_dim is 16 in the checkpoint and 8 now") and every key present
// on one side only.
Status CompareConfig(const Manifest& manifest, const ConfigPairs& now);

}  // namespace ember::storage
