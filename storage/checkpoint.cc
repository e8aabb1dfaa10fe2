#include "storage/checkpoint.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/checksum.h"
#include "common/files.h"
#include "common/logging.h"
#include "storage/npy.h"

namespace ember::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kManifestMagic = "ember-checkpoint";
constexpr std::string_view kTmpSuffix = ".tmp";

template <typename T>
bool ParseInt(std::string_view text, T* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

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

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
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

Status CheckRelativePath(std::string_view path, const std::string& what) {
  if (path.empty() || path.front() == '/' || HasSpace(path)) {
    return Status::InvalidArgument(what, ": file path '", path, "' must be relative and without whitespace");
  }
  for (std::string_view part : SplitString(path, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return Status::InvalidArgument(what, ": file path '", path, "' has an empty, '.' or '..' component");
    }
  }
  return Status::OK();
}

std::string JsonEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

}  // namespace

uint64_t ConfigHash(const ConfigPairs& config) {
  Checksum64 sum;
  for (const auto& [key, value] : config) {
    sum.Update(key);
    sum.Update("=", 1);
    sum.Update(value);
    sum.Update("\n", 1);
  }
  return sum.value();
}

// ---------------------------------------------------------------------------
// MANIFEST

StatusOr<std::string> EncodeManifest(const Manifest& manifest) {
  std::ostringstream out;
  out << kManifestMagic << ' ' << manifest.format_version << '\n'
      << "step " << manifest.step << '\n'
      << "epoch " << manifest.epoch << '\n'
      << "num_servers " << manifest.num_servers << '\n'
      << "num_workers " << manifest.num_workers << '\n'
      << "config_hash " << Hex64(ConfigHash(manifest.config)) << '\n';
  for (const auto& [key, value] : manifest.config) {
    if (key.empty() || HasSpace(key)) return Status::InvalidArgument("MANIFEST config key '", key, "' is empty or has whitespace");
    if (value.find_first_of("\n\r") != std::string::npos) {
      return Status::InvalidArgument("MANIFEST config value of '", key, "' has a newline");
    }
    out << "config " << key << ' ' << value << '\n';
  }
  for (const FileEntry& file : manifest.files) {
    RETURN_IF_ERROR(CheckRelativePath(file.path, "MANIFEST"));
    out << "file " << file.path << ' ' << file.bytes << ' ' << Hex64(file.checksum) << '\n';
  }
  std::string text = out.str();
  text += "checksum " + Hex64(ComputeChecksum64(text)) + "\n";
  return text;
}

StatusOr<Manifest> DecodeManifest(std::string_view text, const std::string& source) {
  // The last line must be "checksum <hex>\n" over everything before it.
  if (text.empty() || text.back() != '\n') {
    return Status::DataLoss(source, ": truncated MANIFEST (", text.size(), " bytes, no final newline)");
  }
  const size_t last_start = text.rfind('\n', text.size() - 2) == std::string_view::npos
                                ? 0
                                : text.rfind('\n', text.size() - 2) + 1;
  const std::string_view last = text.substr(last_start, text.size() - 1 - last_start);
  uint64_t stored = 0;
  if (last.substr(0, 9) != "checksum " || !ParseHex64(last.substr(9), &stored)) {
    return Status::DataLoss(source, ": truncated MANIFEST (", text.size(),
                            " bytes): its last line is not 'checksum <16 hex digits>'");
  }
  const std::string_view body = text.substr(0, last_start);
  const uint64_t actual = ComputeChecksum64(body);
  if (actual != stored) {
    return Status::DataLoss(source, ": corrupted MANIFEST: its text has checksum ", Hex64(actual),
                            ", its checksum line says ", Hex64(stored));
  }
  Manifest manifest;
  std::set<std::string> seen;
  std::set<std::string> config_keys;
  std::set<std::string> file_paths;
  bool have_hash = false;
  int line_no = 0;
  for (std::string_view line : SplitString(body.substr(0, body.empty() ? 0 : body.size() - 1), '\n')) {
    ++line_no;
    auto error = [&](auto&&... args) {
      std::ostringstream msg;
      (msg << ... << args);
      return Status::DataLoss(source, ":", line_no, ": ", msg.str(), " in '", line, "'");
    };
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return error("expected '<keyword> <value>'");
    const std::string keyword(line.substr(0, space));
    const std::string_view rest = line.substr(space + 1);
    if (line_no == 1) {
      if (keyword != kManifestMagic) return error("not an ember MANIFEST (first line must be '", kManifestMagic, " <version>')");
      if (!ParseInt(rest, &manifest.format_version)) return error("bad format version");
      if (manifest.format_version != kCheckpointFormatVersion) {
        return Status::FailedPrecondition(source, ":1: checkpoint format version ", manifest.format_version,
                                          "; this build reads version ", kCheckpointFormatVersion);
      }
      continue;
    }
    if (keyword == "config") {
      const size_t split = rest.find(' ');
      std::string key(rest.substr(0, split));
      std::string value(split == std::string_view::npos ? std::string_view() : rest.substr(split + 1));
      if (key.empty()) return error("empty config key");
      if (!config_keys.insert(key).second) return error("duplicate config key '", key, "'");
      manifest.config.emplace_back(std::move(key), std::move(value));
      continue;
    }
    if (keyword == "file") {
      const std::vector<std::string_view> parts = SplitString(rest, ' ');
      FileEntry entry;
      if (parts.size() != 3 || !ParseInt(parts[1], &entry.bytes) || !ParseHex64(parts[2], &entry.checksum)) {
        return error("expected 'file <path> <bytes> <16 hex digits>'");
      }
      entry.path = std::string(parts[0]);
      if (!CheckRelativePath(entry.path, source).ok()) return error("bad file path");
      if (!file_paths.insert(entry.path).second) return error("file listed twice");
      manifest.files.push_back(std::move(entry));
      continue;
    }
    if (!seen.insert(keyword).second) return error("'", keyword, "' given twice");
    bool ok;
    if (keyword == "step") ok = ParseInt(rest, &manifest.step) && manifest.step >= 0;
    else if (keyword == "epoch") ok = ParseInt(rest, &manifest.epoch);
    else if (keyword == "num_servers") ok = ParseInt(rest, &manifest.num_servers) && manifest.num_servers >= 0;
    else if (keyword == "num_workers") ok = ParseInt(rest, &manifest.num_workers) && manifest.num_workers >= 0;
    else if (keyword == "config_hash") ok = have_hash = ParseHex64(rest, &manifest.config_hash);
    else return error("unknown keyword '", keyword, "'");
    if (!ok) return error("bad value for '", keyword, "'");
  }
  if (line_no == 0) return Status::DataLoss(source, ": empty MANIFEST");
  for (const char* required : {"step", "epoch", "num_servers", "num_workers", "config_hash"}) {
    if (!seen.count(required)) return Status::DataLoss(source, ": MANIFEST has no '", required, "' line");
  }
  const uint64_t hash = ConfigHash(manifest.config);
  if (hash != manifest.config_hash) {
    return Status::DataLoss(source, ": config_hash ", Hex64(manifest.config_hash),
                            " does not match the config lines (", Hex64(hash), ")");
  }
  return manifest;
}

Status CompareConfig(const Manifest& manifest, const ConfigPairs& now) {
  std::map<std::string, std::string> saved(manifest.config.begin(), manifest.config.end());
  std::map<std::string, std::string> current(now.begin(), now.end());
  std::vector<std::string> differences;
  for (const auto& [key, value] : saved) {
    auto it = current.find(key);
    if (it == current.end()) {
      differences.push_back(key + " is '" + value + "' in the checkpoint and not set now");
    } else if (it->second != value) {
      differences.push_back(key + " is " + value + " in the checkpoint and " + it->second + " now");
    }
  }
  for (const auto& [key, value] : current) {
    if (!saved.count(key)) differences.push_back(key + " is " + value + " now and absent from the checkpoint");
  }
  if (differences.empty()) return Status::OK();
  std::string message = "the configuration differs from checkpoint step " + std::to_string(manifest.step) + ": ";
  for (size_t i = 0; i < differences.size(); ++i) {
    if (i > 0) message += "; ";
    message += differences[i];
  }
  return Status::FailedPrecondition(message);
}

// ---------------------------------------------------------------------------
// Directory protocol

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
      return Status::DataLoss("checkpoint ", tmp, ": ", file.path, " has ", st.st_size,
                              " bytes, its entry says ", file.bytes);
    }
  }
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

  if (IsDir(final_dir)) {
    // Swap atomically: step-N always names a complete checkpoint.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_dir.c_str(), RENAME_EXCHANGE) == 0) {
      RETURN_IF_ERROR(FsyncPath(root));
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
    return RemoveTree(old);
  }
  if (::rename(tmp.c_str(), final_dir.c_str()) != 0) {
    return Status::Internal("cannot rename ", tmp, " to ", final_dir, ": ", std::strerror(errno));
  }
  return FsyncPath(root);
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
      return Status::DataLoss("no complete checkpoint under ", root, ": ", listing.incomplete.size(),
                              " step director", listing.incomplete.size() == 1 ? "y" : "ies", " without a MANIFEST (",
                              names, "); refusing to start fresh over them: resume one by path once its MANIFEST "
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
  const std::string dir = !spec.empty() && ParseInt(std::string_view(spec), &step)
                              ? root + "/" + CheckpointName(step)
                              : spec;
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
      return Status::DataLoss("checkpoint file ", path, " is missing (listed in the MANIFEST with ",
                              file.bytes, " bytes)");
    }
    if (static_cast<uint64_t>(st.st_size) != file.bytes) {
      return Status::DataLoss("checkpoint file ", path, " is ",
                              static_cast<uint64_t>(st.st_size) < file.bytes ? "truncated" : "too long",
                              ": ", st.st_size, " bytes, the MANIFEST says ", file.bytes);
    }
    ASSIGN_OR_RETURN(const FileEntry actual, ChecksumFile(path));
    if (actual.bytes != file.bytes || actual.checksum != file.checksum) {
      return Status::DataLoss("checkpoint file ", path, " is corrupted: checksum ", Hex64(actual.checksum),
                              ", the MANIFEST says ", Hex64(file.checksum));
    }
  }
  return manifest;
}

// ---------------------------------------------------------------------------
// Inspect and export

namespace {

// "server-<s>/table-<id>.rows" -> (s, id).
bool ParseRowsPath(std::string_view path, int* server, uint32_t* table_id) {
  if (!path.starts_with("server-") || !path.ends_with(".rows")) return false;
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view file = path.substr(slash + 1);
  if (!file.starts_with("table-")) return false;
  return ParseInt(path.substr(7, slash - 7), server) &&
         ParseInt(file.substr(6, file.size() - 6 - 5), table_id);
}

struct TableInfo {
  std::string name;
  int dim = 0;
  int row_floats = 0;
};

// table.<id>.{name,dim,row_floats} from the config.
StatusOr<std::map<uint32_t, TableInfo>> TablesFromConfig(const Manifest& manifest) {
  std::map<uint32_t, TableInfo> tables;
  for (const auto& [key, value] : manifest.config) {
    if (!key.starts_with("table.")) continue;
    const size_t dot = key.find('.', 6);
    uint32_t id;
    if (dot == std::string::npos || !ParseInt(std::string_view(key).substr(6, dot - 6), &id)) continue;
    const std::string field = key.substr(dot + 1);
    TableInfo& table = tables[id];
    if (field == "name") {
      table.name = value;
    } else if (field == "dim" || field == "row_floats") {
      int n;
      if (!ParseInt(std::string_view(value), &n) || n < 1) {
        return Status::InvalidArgument("checkpoint config ", key, " = '", value, "' is not a positive integer");
      }
      (field == "dim" ? table.dim : table.row_floats) = n;
    }
  }
  return tables;
}

}  // namespace

StatusOr<std::string> InspectCheckpoint(const std::string& dir) {
  ASSIGN_OR_RETURN(const Manifest manifest, VerifyCheckpoint(dir));
  std::ostringstream out;
  out << "checkpoint " << dir << " (verified: " << manifest.files.size() << " files)\n"
      << "  format_version " << manifest.format_version << "\n"
      << "  step " << manifest.step << "\n"
      << "  epoch " << manifest.epoch << "\n"
      << "  servers " << manifest.num_servers << "\n"
      << "  workers " << manifest.num_workers << "\n"
      << "config (hash " << Hex64(manifest.config_hash) << "):\n";
  for (const auto& [key, value] : manifest.config) out << "  " << key << " = " << value << "\n";
  out << "files:\n";
  uint64_t total = 0;
  for (const FileEntry& file : manifest.files) {
    out << "  " << file.path << "  " << file.bytes << " bytes  " << Hex64(file.checksum) << "\n";
    total += file.bytes;
  }
  out << "  total " << total << " bytes\n";
  std::map<uint32_t, std::map<int, RowsFileInfo>> rows_by_table;
  for (const FileEntry& file : manifest.files) {
    int server;
    uint32_t table_id;
    if (!ParseRowsPath(file.path, &server, &table_id)) continue;
    ASSIGN_OR_RETURN(rows_by_table[table_id][server], ReadRowsFileInfo(dir + "/" + file.path));
  }
  ASSIGN_OR_RETURN(const auto tables, TablesFromConfig(manifest));
  if (!rows_by_table.empty()) out << "memory-tier rows:\n";
  for (const auto& [table_id, by_server] : rows_by_table) {
    auto named = tables.find(table_id);
    out << "  table " << table_id;
    if (named != tables.end() && !named->second.name.empty()) out << " (" << named->second.name << ")";
    uint64_t rows = 0, counts = 0;
    for (const auto& [server, info] : by_server) rows += info.num_rows, counts += info.num_counts;
    out << ": " << rows << " rows, " << counts << " pending counts, "
        << by_server.begin()->second.row_floats << " floats per row\n";
    for (const auto& [server, info] : by_server) {
      out << "    server-" << server << ": " << info.num_rows << " rows, " << info.num_counts
          << " pending counts\n";
    }
  }
  for (const FileEntry& file : manifest.files) {
    const std::string path = dir + "/" + file.path;
    if (file.path == "dense.bin") {
      ASSIGN_OR_RETURN(const std::vector<DenseArray> arrays, ReadDenseFile(path));
      out << "dense arrays:\n";
      for (const DenseArray& array : arrays) {
        out << "  " << array.name << " " << ShapeString(array.shape) << "\n";
      }
    } else if (file.path.starts_with("worker-") && file.path.ends_with(".state")) {
      ASSIGN_OR_RETURN(const WorkerState w, ReadWorkerState(path));
      out << "worker " << w.rank << ": epoch " << w.epoch << (w.epoch_done ? " (done)" : "")
          << ", global_step " << w.global_step << ", samples " << w.samples_trained << ", "
          << w.train_seconds << " s; reader at file " << w.reader_file_index << " byte "
          << w.reader_offset << " line " << w.reader_line << " (" << w.reader_records
          << " records, " << w.reader_bad_lines << " bad lines this epoch); rng "
          << Hex64(w.rng_state) << "\n";
    } else if (file.path.ends_with("/server.state")) {
      ASSIGN_OR_RETURN(const ServerState s, ReadServerState(path));
      out << "server " << s.rank << ": applied_steps " << s.applied_steps << ", push_clock "
          << s.push_clock << "\n";
    }
  }
  return out.str();
}

Status ExportCheckpoint(const std::string& dir, const std::string& out_dir, const ColdRowsFn& cold_rows) {
  ASSIGN_OR_RETURN(const Manifest manifest, VerifyCheckpoint(dir));
  using TableMap = std::map<uint32_t, TableInfo>;
  ASSIGN_OR_RETURN(TableMap tables, TablesFromConfig(manifest));
  // Rows files by table, and the shards that have a cold tier.
  std::map<uint32_t, std::vector<std::string>> rows_files;
  for (const FileEntry& file : manifest.files) {
    int server;
    uint32_t table_id;
    if (!ParseRowsPath(file.path, &server, &table_id)) continue;
    const std::string path = dir + "/" + file.path;
    rows_files[table_id].push_back(path);
    TableInfo& table = tables[table_id];
    if (table.row_floats == 0) {
      ASSIGN_OR_RETURN(const RowsFileInfo info, ReadRowsFileInfo(path));
      table.row_floats = info.row_floats;
    }
  }
  std::vector<std::string> cold_shards;
  for (int s = 0; s < manifest.num_servers; ++s) {
    const std::string shard = dir + "/server-" + std::to_string(s);
    if (IsDir(shard + "/rocksdb")) cold_shards.push_back(shard);
  }
  if (!cold_shards.empty() && !cold_rows) {
    return Status::FailedPrecondition(cold_shards.front(),
                                      " has a RocksDB tier; ExportCheckpoint needs a cold_rows reader for it");
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::Internal("cannot create ", out_dir, ": ", ec.message());

  struct IndexEntry {
    std::string path, dtype, what;
    std::vector<int64_t> shape;
  };
  std::vector<IndexEntry> index;
  for (auto& table_entry : tables) {
    // Not a structured binding: the row callback below captures table_id,
    // which clang before 16 refuses for a binding.
    const auto table_id = table_entry.first;
    auto& table = table_entry.second;
    if (table.row_floats == 0) {
      return Status::InvalidArgument("checkpoint ", dir, ": table ", table_id,
                                     " has no rows file and no table.", table_id, ".row_floats in its config");
    }
    if (table.dim == 0) table.dim = table.row_floats;
    if (table.dim > table.row_floats) {
      return Status::InvalidArgument("checkpoint ", dir, ": table ", table_id, " has dim ", table.dim,
                                     " > row_floats ", table.row_floats);
    }
    std::string name = table.name.empty() ? "table-" + std::to_string(table_id) : table.name;
    std::replace(name.begin(), name.end(), '/', '.');
    const size_t dim = static_cast<size_t>(table.dim);
    std::vector<Key> keys;
    std::vector<float> values;
    std::unordered_map<Key, std::string_view> owner;  // key -> the file that gave it
    Status duplicate;
    std::string_view source;
    auto add = [&](bool memory) {
      return [&, memory](Key key, const float* row) {
        auto [it, inserted] = owner.emplace(key, source);
        if (!inserted) {
          if (memory && duplicate.ok()) {
            duplicate = Status::DataLoss("table ", table_id, " key ", key, " is in both ", it->second,
                                         " and ", source);
          }
          return;  // a memory row wins over a cold one
        }
        keys.push_back(key);
        values.insert(values.end(), row, row + dim);
      };
    };
    for (const std::string& path : rows_files[table_id]) {
      source = path;
      RETURN_IF_ERROR(ReadRowsFile(path, table_id, table.row_floats, add(true), {}));
      RETURN_IF_ERROR(duplicate);
    }
    for (const std::string& shard : cold_shards) {
      source = shard;
      RETURN_IF_ERROR(cold_rows(shard, table_id, table.row_floats, add(false)));
    }
    owner.clear();
    std::vector<size_t> order(keys.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<Key> sorted_keys(keys.size());
    std::vector<float> sorted_values(values.size());
    for (size_t i = 0; i < order.size(); ++i) {
      sorted_keys[i] = keys[order[i]];
      std::copy_n(values.begin() + order[i] * dim, dim, sorted_values.begin() + i * dim);
    }
    const int64_t n = static_cast<int64_t>(keys.size());
    RETURN_IF_ERROR(WriteNpy(out_dir + "/" + name + ".keys.npy", NpyDtype::kUint64, {n}, sorted_keys.data()).status());
    RETURN_IF_ERROR(WriteNpy(out_dir + "/" + name + ".values.npy", NpyDtype::kFloat32,
                             {n, static_cast<int64_t>(dim)}, sorted_values.data())
                        .status());
    const std::string what = "table " + std::to_string(table_id);
    index.push_back({name + ".keys.npy", "uint64", what + " keys", {n}});
    index.push_back({name + ".values.npy", "float32", what + " values", {n, static_cast<int64_t>(dim)}});
  }
  const bool has_dense = std::any_of(manifest.files.begin(), manifest.files.end(),
                                     [](const FileEntry& f) { return f.path == "dense.bin"; });
  if (has_dense) {
    ASSIGN_OR_RETURN(const std::vector<DenseArray> arrays, ReadDenseFile(dir + "/dense.bin"));
    fs::create_directories(out_dir + "/dense", ec);
    if (ec) return Status::Internal("cannot create ", out_dir, "/dense: ", ec.message());
    for (const DenseArray& array : arrays) {
      std::string name = array.name;
      std::replace(name.begin(), name.end(), '/', '.');
      const std::string relative = "dense/" + name + ".npy";
      RETURN_IF_ERROR(WriteNpy(out_dir + "/" + relative, NpyDtype::kFloat32, array.shape, array.values.data()).status());
      index.push_back({relative, "float32", "dense " + array.name, array.shape});
    }
  }
  std::ostringstream json;
  json << "{\n  \"checkpoint\": \"" << JsonEscape(dir) << "\",\n  \"step\": " << manifest.step
       << ",\n  \"epoch\": " << manifest.epoch << ",\n  \"files\": [";
  for (size_t i = 0; i < index.size(); ++i) {
    json << (i > 0 ? ",\n" : "\n") << "    {\"path\": \"" << JsonEscape(index[i].path) << "\", \"dtype\": \""
         << index[i].dtype << "\", \"shape\": " << ShapeString(index[i].shape) << ", \"what\": \""
         << JsonEscape(index[i].what) << "\"}";
  }
  json << "\n  ]\n}\n";
  return WriteWholeFile(out_dir + "/index.json", json.str()).status();
}

}  // namespace ember::storage
