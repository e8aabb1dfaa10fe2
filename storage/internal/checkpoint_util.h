// storage/internal/checkpoint_util.h: helpers shared by the checkpoint
// directory protocol (checkpoint.cc), the MANIFEST codec (manifest.cc) and
// the offline dumps (checkpoint_dump.cc): decimal parsing, the rule a file
// path in a MANIFEST obeys, and stat tests. Private to storage/; every
// function is thread-safe.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>

#include "common/files.h"
#include "common/status.h"

namespace ember::storage::internal {

// All of `text` as a decimal integer of type T; false for an empty text,
// any other character, or a value out of T's range.
template <typename T>
bool ParseInt(std::string_view text, T* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// True if `s` has a space, tab, newline or carriage return.
inline bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// OK for a relative path without whitespace whose components are neither
// empty, "." nor ".."; InvalidArgument prefixed with `what` otherwise.
inline Status CheckRelativePath(std::string_view path, const std::string& what) {
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

// Whether `path` names a regular file / a directory (following links).
inline bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
inline bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace ember::storage::internal
