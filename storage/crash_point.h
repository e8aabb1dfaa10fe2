// storage/crash_point.h: named steps of the checkpoint protocol at which a
// test can make the process die as a crash would (SIGKILL: no destructor,
// no flush, no atexit handler runs), to check that a crash at each step
// leaves the newest complete checkpoint intact and loadable.
//
// Armed by the environment, read once, when the first crash point is
// reached:
//   EMBER_TEST_CRASH_AT=<point>[:<nth>]     e.g. before-rename:2
// The nth time (default 1, counted over all threads of the process) the
// process reaches <point>, it writes "crash point <point> reached ..." to
// stderr and kills itself with SIGKILL. Unset or empty: every crash point
// costs one load and one compare. A value that names no point, or a bad
// nth, aborts at the first crash point with a message saying so.
//
//   ReachCrashPoint(CrashPoint::kBeforeRename);   // in CommitCheckpoint
//
// Thread-safe.
#pragma once

#include <string_view>

namespace ember::storage {

// The steps, in the order the protocol takes them (storage/checkpoint.h).
enum class CrashPoint {
  kShardWritten,          // "shard-written": WriteShard wrote and fsynced one server's files
  kBeforeManifest,        // "before-manifest": CommitCheckpoint checked every listed file; no MANIFEST yet
  kBeforeRename,          // "before-rename": MANIFEST written, step-N.tmp fsynced, not renamed
  kAfterRename,           // "after-rename": step-N in place, root fsynced; nothing replaced or pruned yet
  kPruneManifestRemoved,  // "prune-manifest-removed": PruneCheckpoints unlinked an old MANIFEST, not its files
};
inline constexpr int kNumCrashPoints = 5;

// "before-rename" for kBeforeRename, and so on (the names above).
std::string_view CrashPointName(CrashPoint point);

// Kills the process if EMBER_TEST_CRASH_AT names `point` and this is its
// nth arrival there; otherwise returns.
void ReachCrashPoint(CrashPoint point);

}  // namespace ember::storage
