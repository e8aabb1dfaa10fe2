#include "storage/manifest.h"

#include <map>
#include <set>
#include <sstream>

#include "common/checksum.h"
#include "common/files.h"
#include "storage/internal/checkpoint_util.h"

namespace ember::storage {
namespace {

using internal::CheckRelativePath;
using internal::HasSpace;
using internal::ParseInt;

constexpr std::string_view kManifestMagic = "ember-checkpoint";

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

StatusOr<std::string> EncodeManifest(const Manifest& manifest) {
  std::ostringstream out;
  out << kManifestMagic << ' ' << manifest.format_version << '\n'
      << "step " << manifest.step << '\n'
      << "epoch " << manifest.epoch << '\n'
      << "num_servers " << manifest.num_servers << '\n'
      << "num_workers " << manifest.num_workers << '\n'
      << "config_hash " << Hex64(ConfigHash(manifest.config)) << '\n';
  for (const auto& [key, value] : manifest.config) {
    if (key.empty() || HasSpace(key))
      return Status::InvalidArgument("MANIFEST config key '", key, "' is empty or has whitespace");
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
  const size_t last_start =
      text.rfind('\n', text.size() - 2) == std::string_view::npos ? 0 : text.rfind('\n', text.size() - 2) + 1;
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
      if (keyword != kManifestMagic)
        return error("not an ember MANIFEST (first line must be '", kManifestMagic, " <version>')");
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
    if (keyword == "step")
      ok = ParseInt(rest, &manifest.step) && manifest.step >= 0;
    else if (keyword == "epoch")
      ok = ParseInt(rest, &manifest.epoch);
    else if (keyword == "num_servers")
      ok = ParseInt(rest, &manifest.num_servers) && manifest.num_servers >= 0;
    else if (keyword == "num_workers")
      ok = ParseInt(rest, &manifest.num_workers) && manifest.num_workers >= 0;
    else if (keyword == "config_hash")
      ok = have_hash = ParseHex64(rest, &manifest.config_hash);
    else
      return error("unknown keyword '", keyword, "'");
    if (!ok) return error("bad value for '", keyword, "'");
  }
  if (line_no == 0) return Status::DataLoss(source, ": empty MANIFEST");
  for (const char* required : {"step", "epoch", "num_servers", "num_workers", "config_hash"}) {
    if (!seen.count(required)) return Status::DataLoss(source, ": MANIFEST has no '", required, "' line");
  }
  const uint64_t hash = ConfigHash(manifest.config);
  if (hash != manifest.config_hash) {
    return Status::DataLoss(source, ": config_hash ", Hex64(manifest.config_hash), " does not match the config lines (",
                            Hex64(hash), ")");
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

}  // namespace ember::storage
