// storage/checkpoint.h: checkpoint names and the directory protocol: begin
// (step-N.tmp), commit (MANIFEST, fsync, rename), list, prune, resolve a
// --resume, the root lock and verification. The MANIFEST's contents and
// codec are storage/manifest.h, the files inside storage/checkpoint_files.h,
// the offline inspect and export storage/checkpoint_dump.h; the format is
// specified in docs/checkpoint_format.md.
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
// The protocol's steps are crash points (storage/crash_point.h) that a test
// can make the process die at.
//
// Functions are thread-safe with respect to each other on distinct roots;
// one process (the scheduler) runs the protocol on a given root.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/manifest.h"

namespace ember::storage {

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
// first unlinking its MANIFEST (and fsyncing its directory) so a half-deleted one
// never lists as complete. Also removes step-N.tmp dirs and MANIFEST-less
// step-N dirs of steps older than the newest complete one (abandoned
// attempts). InvalidArgument for keep < 1.
Status PruneCheckpoints(const std::string& root, int keep);

// Reads `dir`/MANIFEST and checks every listed file: present, exact size,
// checksum. DataLoss naming the file: "missing", "truncated or extended"
// (size), "corrupted" (checksum); DataLoss/NotFound for the MANIFEST itself,
// and DataLoss when dir is named step-N and its MANIFEST holds another step.
StatusOr<Manifest> VerifyCheckpoint(const std::string& dir);

}  // namespace ember::storage
