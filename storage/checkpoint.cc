#include "storage/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/checksum.h"
#include "common/files.h"
#include "common/logging.h"
#include "storage/crash_point.h"
#include "storage/internal/checkpoint_util.h"

namespace ember::storage {
namespace {

namespace fs = std::filesystem;
using internal::CheckRelativePath;
using internal::IsDir;
using internal::IsFile;
using internal::ParseInt;

constexpr std::string_view kTmpSuffix = ".tmp";

Status FsyncPath(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Internal("cannot open ", path, " to fsync it: ", std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::Internal("cannot fsync ", path, ": ", std::strerror(err));
  return Status::OK();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Status::Internal("cannot remove ", path, ": ", ec.message());
  return Status::OK();
}

// "step-000000000123" -> 123 (and "step-000000000123.tmp" with tmp).
bool ParseCheckpointName(std::string_view name, int64_t* step, bool* tmp) {
  if (name.substr(0, 5) != "step-") return false;
  name.remove_prefix(5);
  *tmp = name.size() > kTmpSuffix.size() && name.ends_with(kTmpSuffix);
  if (*tmp) name.remove_suffix(kTmpSuffix.size());
  if (name.size() < 12 || !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  return ParseInt(name, step);
}

struct RootListing {
  std::vector<int64_t> complete;    // step-N with MANIFEST
  std::vector<int64_t> incomplete;  // step-N without MANIFEST
  std::vector<int64_t> tmp;         // step-N.tmp
};

StatusOr<RootListing> ListRoot(const std::string& root) {
  RootListing listing;
  std::error_code ec;
  if (!fs::exists(root, ec)) return listing;
  if (!fs::is_directory(root, ec)) return Status::InvalidArgument("checkpoint root ", root, " is not a directory");
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    int64_t step;
    bool tmp;
    if (!ParseCheckpointName(it->path().filename().string(), &step, &tmp)) continue;
    if (!it->is_directory(ec)) continue;
    if (tmp) {
      listing.tmp.push_back(step);
    } else if (IsFile(it->path().string() + "/" + kManifestName)) {
      listing.complete.push_back(step);
    } else {
      listing.incomplete.push_back(step);
    }
  }
  if (ec) return Status::Internal("cannot list checkpoint root ", root, ": ", ec.message());
  std::sort(listing.complete.begin(), listing.complete.end());
  return listing;
}

}  // namespace

std::string CheckpointName(int64_t step) {
  char name[40];
  std::snprintf(name, sizeof(name), "step-%012lld", static_cast<long long>(step));
  return name;
}

StatusOr<std::string> BeginCheckpoint(const std::string& root, int64_t step) {
  if (step < 0) return Status::InvalidArgument("checkpoint step ", step, " is negative");
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::Internal("cannot create checkpoint root ", root, ": ", ec.message());
  const std::string tmp = root + "/" + CheckpointName(step) + std::string(kTmpSuffix);
  RETURN_IF_ERROR(RemoveTree(tmp));
  if (::mkdir(tmp.c_str(), 0755) != 0) return Status::Internal("cannot create ", tmp, ": ", std::strerror(errno));
  return tmp;
}

Status CommitCheckpoint(const std::string& root, int64_t step, const Manifest& manifest) {
  if (manifest.step != step) {
    return Status::InvalidArgument("CommitCheckpoint of step ", step, " with a MANIFEST of step ", manifest.step);
  }
  const std::string final_dir = root + "/" + CheckpointName(step);
  const std::string tmp = final_dir + std::string(kTmpSuffix);
  if (!IsDir(tmp)) return Status::NotFound("no ", tmp, " to commit (BeginCheckpoint was not called)");
  Manifest relative = manifest;
  for (FileEntry& file : relative.files) {
    for (const std::string& base : {tmp, final_dir}) {
      // Any spelling of a path under the checkpoint dir ("a//b", "./a/b").
      const fs::path relative_path =
          fs::path(file.path).lexically_normal().lexically_relative(fs::path(base).lexically_normal());
      if (!relative_path.empty() && *relative_path.begin() != "..") {
        file.path = relative_path.generic_string();
        break;
      }
    }
    RETURN_IF_ERROR(CheckRelativePath(file.path, "checkpoint " + tmp));
    struct stat st;
    const std::string full = tmp + "/" + file.path;
    if (::stat(full.c_str(), &st) != 0) {
      return Status::DataLoss("checkpoint ", tmp, ": listed file ", file.path, " is missing: ", std::strerror(errno));
    }
    if (static_cast<uint64_t>(st.st_size) != file.bytes) {
      return Status::DataLoss("checkpoint ", tmp, ": ", file.path, " has ", st.st_size, " bytes, its entry says ",
                              file.bytes);
    }
  }
  ReachCrashPoint(CrashPoint::kBeforeManifest);
  ASSIGN_OR_RETURN(const std::string text, EncodeManifest(relative));
  ASSIGN_OR_RETURN(FileEntry unused, WriteWholeFile(tmp + "/" + kManifestName, text));
  (void)unused;
  // Every directory entry in the tree must be durable before the rename.
  std::error_code ec;
  std::vector<std::string> dirs;
  for (fs::recursive_directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path().string());
  }
  if (ec) return Status::Internal("cannot list ", tmp, ": ", ec.message());
  for (const std::string& dir : dirs) RETURN_IF_ERROR(FsyncPath(dir));
  RETURN_IF_ERROR(FsyncPath(tmp));
  ReachCrashPoint(CrashPoint::kBeforeRename);

  if (IsDir(final_dir)) {
    // Swap atomically: step-N always names a complete checkpoint.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
      RETURN_IF_ERROR(FsyncPath(root));
      ReachCrashPoint(CrashPoint::kAfterRename);
      return RemoveTree(tmp);  // now holds the replaced checkpoint
    }
    if (errno != EINVAL && errno != ENOSYS) {
      return Status::Internal("cannot exchange ", tmp, " and ", final_dir, ": ", std::strerror(errno));
    }
    // No RENAME_EXCHANGE on this file system: move the old one aside first.
    const std::string old = final_dir + ".old";
    RETURN_IF_ERROR(RemoveTree(old));
    if (::rename(final_dir.c_str(), old.c_str()) != 0) {
      return Status::Internal("cannot rename ", final_dir, " to ", old, ": ", std::strerror(errno));
    }
    if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
      return Status::Internal("cannot rename ", tmp, " to ", final_dir, ": ", std::strerror(errno));
    }
    RETURN_IF_ERROR(FsyncPath(root));
    ReachCrashPoint(CrashPoint::kAfterRename);
    return RemoveTree(old);
  }
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return Status::Internal("cannot rename ", tmp, " to ", final_dir, ": ", std::strerror(errno));
  }
  RETURN_IF_ERROR(FsyncPath(root));
  ReachCrashPoint(CrashPoint::kAfterRename);
  return Status::OK();
}

StatusOr<std::vector<int64_t>> ListCheckpoints(const std::string& root) {
  ASSIGN_OR_RETURN(RootListing listing, ListRoot(root));
  return std::move(listing.complete);
}

StatusOr<std::string> ResolveResume(const std::string& root, const std::string& spec) {
  if (spec == "auto") {
    ASSIGN_OR_RETURN(RootListing listing, ListRoot(root));
    std::sort(listing.incomplete.begin(), listing.incomplete.end());
    if (listing.complete.empty() && !listing.incomplete.empty()) {
      std::string names;
      for (size_t i = 0; i < listing.incomplete.size() && i < 10; ++i) {
        names += (i > 0 ? ", " : "") + CheckpointName(listing.incomplete[i]);
      }
      if (listing.incomplete.size() > 10) names += ", ...";
      return Status::DataLoss("no complete checkpoint under ", root, ": ", listing.incomplete.size(), " step director",
                              listing.incomplete.size() == 1 ? "y" : "ies", " without a MANIFEST (", names,
                              "); refusing to start fresh over them: resume one by path once its MANIFEST "
                              "is back, or move them away");
    }
    if (listing.complete.empty()) {
      return Status::NotFound("no complete checkpoint under ", root,
                              " to resume from (a step-N directory with a MANIFEST)");
    }
    if (!listing.incomplete.empty() && listing.incomplete.back() > listing.complete.back()) {
      LOG(WARNING) << root << "/" << CheckpointName(listing.incomplete.back())
                   << " has no MANIFEST; resuming from the newest complete checkpoint, "
                   << CheckpointName(listing.complete.back());
    }
    return root + "/" + CheckpointName(listing.complete.back());
  }
  int64_t step;
  const std::string dir =
      !spec.empty() && ParseInt(std::string_view(spec), &step) ? root + "/" + CheckpointName(step) : spec;
  if (!IsDir(dir)) return Status::NotFound("resume checkpoint ", dir, " does not exist");
  if (!IsFile(dir + "/" + kManifestName)) {
    return Status::NotFound("resume checkpoint ", dir, " is incomplete (no MANIFEST)");
  }
  return dir;
}

StatusOr<std::unique_ptr<CheckpointRootLock>> CheckpointRootLock::Acquire(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Status::Internal("cannot create checkpoint folder ", root, ": ", ec.message());
  const std::string path = root + "/" + kLockName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Internal("cannot open ", path, ": ", std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    std::string holder;
    char buffer[256];
    const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
    if (n > 0) holder.assign(buffer, static_cast<size_t>(n));
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    ::close(fd);
    if (error != EWOULDBLOCK) return Status::Internal("cannot lock ", path, ": ", std::strerror(error));
    return Status::FailedPrecondition("checkpoint folder ", root, " is in use by another job (",
                                      holder.empty() ? std::string("holder unknown") : holder, " holds ", path,
                                      "); give this job its own folder, or stop the other job");
  }
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  const std::string holder = "host " + std::string(host) + " pid " + std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, holder.data(), holder.size(), 0) != static_cast<ssize_t>(holder.size())) {
    const int error = errno;
    ::close(fd);
    return Status::Internal("cannot write ", path, ": ", std::strerror(error));
  }
  return std::unique_ptr<CheckpointRootLock>(new CheckpointRootLock(fd));
}

CheckpointRootLock::~CheckpointRootLock() { ::close(fd_); }

Status PruneCheckpoints(const std::string& root, int keep) {
  if (keep < 1) return Status::InvalidArgument("keep ", keep, ": at least one checkpoint must be kept");
  ASSIGN_OR_RETURN(const RootListing listing, ListRoot(root));
  if (listing.complete.empty()) return Status::OK();
  const int64_t newest = listing.complete.back();
  bool removed = false;
  const size_t drop = listing.complete.size() > static_cast<size_t>(keep) ? listing.complete.size() - keep : 0;
  for (size_t i = 0; i < drop; ++i) {
    const std::string dir = root + "/" + CheckpointName(listing.complete[i]);
    const std::string manifest = dir + "/" + kManifestName;
    if (::unlink(manifest.c_str()) != 0 && errno != ENOENT) {
      return Status::Internal("cannot remove ", manifest, ": ", std::strerror(errno));
    }
    RETURN_IF_ERROR(FsyncPath(dir));
    ReachCrashPoint(CrashPoint::kPruneManifestRemoved);
    RETURN_IF_ERROR(RemoveTree(dir));
    removed = true;
  }
  for (int64_t step : listing.incomplete) {
    if (step >= newest) continue;
    RETURN_IF_ERROR(RemoveTree(root + "/" + CheckpointName(step)));
    removed = true;
  }
  for (int64_t step : listing.tmp) {
    if (step >= newest) continue;  // may be a save in progress
    RETURN_IF_ERROR(RemoveTree(root + "/" + CheckpointName(step) + std::string(kTmpSuffix)));
    removed = true;
  }
  if (removed) RETURN_IF_ERROR(FsyncPath(root));
  return Status::OK();
}

StatusOr<Manifest> VerifyCheckpoint(const std::string& dir) {
  const std::string manifest_path = dir + "/" + kManifestName;
  if (!IsFile(manifest_path)) {
    return Status::NotFound(dir, " is not a complete checkpoint: it has no MANIFEST");
  }
  ASSIGN_OR_RETURN(const std::string text, ReadFileToString(manifest_path));
  ASSIGN_OR_RETURN(Manifest manifest, DecodeManifest(text, manifest_path));
  int64_t named_step;
  bool tmp;
  if (ParseCheckpointName(fs::path(dir).lexically_normal().filename().string(), &named_step, &tmp) && !tmp &&
      named_step != manifest.step) {
    return Status::DataLoss(manifest_path, " holds step ", manifest.step, ", but its directory is ",
                            CheckpointName(named_step), " (a checkpoint copied or renamed by hand?)");
  }
  for (const FileEntry& file : manifest.files) {
    const std::string path = dir + "/" + file.path;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::DataLoss("checkpoint file ", path, " is missing (listed in the MANIFEST with ", file.bytes,
                              " bytes)");
    }
    if (static_cast<uint64_t>(st.st_size) != file.bytes) {
      return Status::DataLoss("checkpoint file ", path, " is ",
                              static_cast<uint64_t>(st.st_size) < file.bytes ? "truncated" : "too long", ": ",
                              st.st_size, " bytes, the MANIFEST says ", file.bytes);
    }
    ASSIGN_OR_RETURN(const FileEntry actual, ChecksumFile(path));
    if (actual.bytes != file.bytes || actual.checksum != file.checksum) {
      return Status::DataLoss("checkpoint file ", path, " is corrupted: checksum ", Hex64(actual.checksum),
                              ", the MANIFEST says ", Hex64(file.checksum));
    }
  }
  return manifest;
}

}  // namespace ember::storage
