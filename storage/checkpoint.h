// storage/checkpoint.h: the checkpoint directory protocol: the MANIFEST,
// begin/commit/list/prune, verification, and the offline inspect and export
// tools. The files inside are written by storage/checkpoint_files.h; the
// format is specified in docs/checkpoint_format.md.
//
//   <root>/step-000000000123/        ("step-000000000123.tmp/" while written)
//     MANIFEST                       written last: no MANIFEST, no checkpoint
//     dense.bin  worker-<r>.state  server-<s>/server.state
//     server-<s>/table-<id>.rows  server-<s>/rocksdb/...
//
// Saving (the scheduler's COMMIT phase after every node's PREPARE):
//   ASSIGN_OR_RETURN(std::string dir, BeginCheckpoint(root, step));
//   ... every node writes its files under dir, each returning a FileEntry ...
//   Manifest manifest{.step = step, .epoch = epoch, ...};
//   manifest.files = all the entries;
//   RETURN_IF_ERROR(CommitCheckpoint(root, step, manifest));
//   RETURN_IF_ERROR(PruneCheckpoints(root, /*keep=*/3));
// Resuming:
//   ASSIGN_OR_RETURN(std::string dir, ResolveResume(root, "auto"));
//   ASSIGN_OR_RETURN(Manifest manifest, VerifyCheckpoint(dir));
//   RETURN_IF_ERROR(CompareConfig(manifest, config_now));
//
// Functions are thread-safe with respect to each other on distinct roots;
// one process (the scheduler) runs the protocol on a given root.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/hash.h"
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

// "step-000000000123".
std::string CheckpointName(int64_t step);

// Creates `root` if needed, removes a stale step-N.tmp, creates it empty and
// returns its path. InvalidArgument for step < 0; Internal naming the path
// on a file system error.
StatusOr<std::string> BeginCheckpoint(const std::string& root, int64_t step);

// Publishes step-N.tmp as step-N: writes MANIFEST into it (entries' paths
// may be relative to the checkpoint dir or, as the writers return them, paths
// under the dir BeginCheckpoint returned: those are made relative), fsyncs every directory in it,
// renames it to step-N (an existing step-N is swapped out atomically and then
// removed), fsyncs root. InvalidArgument if manifest.step != step or a
// listed file is outside the checkpoint dir; NotFound if BeginCheckpoint was
// not called.
Status CommitCheckpoint(const std::string& root, int64_t step, const Manifest& manifest);

// The steps of the complete checkpoints under root (step-N dirs with a
// MANIFEST), ascending. Ignores .tmp dirs, dirs without MANIFEST and other
// names. Empty (OK) if root does not exist.
StatusOr<std::vector<int64_t>> ListCheckpoints(const std::string& root);

// spec "auto": the newest complete checkpoint under root; NotFound saying
// so when root holds no step-N directory at all (a fresh start), and
// DataLoss naming them when it holds step-N directories none of which is
// complete (their MANIFESTs were lost: starting fresh would overwrite them).
// A string of digits: step-N under root; otherwise a path to a checkpoint
// dir (NotFound if it has no MANIFEST). Returns the dir.
StatusOr<std::string> ResolveResume(const std::string& root, const std::string& spec);

// An exclusive lock on a checkpoint root for the life of a job: flock(2) on
// <root>/LOCK (created with root if needed), which then holds the holder's
// "host <name> pid <pid>". The kernel releases it when the process ends,
// however it ends. One job per root: a second Acquire, from this process or
// another (on NFS too, where flock is a POSIX lock), fails with
// FailedPrecondition naming the holder's host and pid.
class CheckpointRootLock {
 public:
  static StatusOr<std::unique_ptr<CheckpointRootLock>> Acquire(const std::string& root);
  ~CheckpointRootLock();
  CheckpointRootLock(const CheckpointRootLock&) = delete;
  CheckpointRootLock& operator=(const CheckpointRootLock&) = delete;

 private:
  explicit CheckpointRootLock(int fd) : fd_(fd) {}
  int fd_;
};
inline constexpr char kLockName[] = "LOCK";

// Keeps the newest `keep` complete checkpoints; deletes older ones, each by
// first unlinking its MANIFEST (and fsyncing root) so a half-deleted one
// never lists as complete. Also removes step-N.tmp dirs and MANIFEST-less
// step-N dirs of steps older than the newest complete one (abandoned
// attempts). InvalidArgument for keep < 1.
Status PruneCheckpoints(const std::string& root, int keep);

// Reads `dir`/MANIFEST and checks every listed file: present, exact size,
// checksum. DataLoss naming the file: "missing", "truncated or extended"
// (size), "corrupted" (checksum); DataLoss/NotFound for the MANIFEST itself,
// and DataLoss when dir is named step-N and its MANIFEST holds another step.
StatusOr<Manifest> VerifyCheckpoint(const std::string& dir);

// VerifyCheckpoint, then a human-readable summary: step, epoch, servers,
// workers, config pairs, each file with its size, rows per table per server
// (from the rows files' headers), the dense arrays and shapes, and each
// worker's reader position.
StatusOr<std::string> InspectCheckpoint(const std::string& dir);

// Reads the cold (RocksDB) rows of one table of one server shard:
// (shard_dir = "<dir>/server-<s>", table_id, row_floats, row_fn).
using ColdRowsFn = std::function<Status(const std::string& shard_dir, uint32_t table_id,
                                        int row_floats,
                                        const std::function<void(Key, const float*)>& row_fn)>;

// VerifyCheckpoint, then writes under out_dir (created if needed):
//   <table>.keys.npy    uint64 [n]        sorted ascending
//   <table>.values.npy  float32 [n, dim]  the first dim floats of each row
// per table (<table> is config table.<id>.name, else "table-<id>"), merging
// every server-<s>; for a shard with a rocksdb/ dir, cold_rows (if given)
// supplies its cold rows and a memory row wins over a cold row of the same
// key; every dense array as dense/<name>.npy ('/' in names -> '.'); and
// index.json listing every file with dtype and shape. DataLoss if a key is in
// two shards' memory rows.
Status ExportCheckpoint(const std::string& dir, const std::string& out_dir,
                        const ColdRowsFn& cold_rows = {});

}  // namespace ember::storage
