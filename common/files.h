// common/files.h: small file and string helpers shared by the readers and
// the command line. All functions are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ember {

// Splits on `sep`, keeping empty pieces ("a,,b" -> {"a", "", "b"}).
std::vector<std::string_view> SplitString(std::string_view text, char sep);

// Expands a comma-separated list of paths and glob patterns into the files
// they name, each pattern's matches sorted. InvalidArgument when a pattern
// matches nothing or a path does not exist; the message names it.
StatusOr<std::vector<std::string>> ExpandFileList(std::string_view comma_separated);

// Reads a whole file. NotFound/DataLoss with the path in the message.
StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` through `path.tmp` and a rename, so readers
// never see half a file. Internal with the path and errno text on failure.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

// `text` as the inside of a JSON string: '"' and '\' get a backslash,
// control characters (below 0x20) become \u00XX; other bytes, UTF-8
// included, are copied as they are.
std::string JsonEscape(std::string_view text);

// A JSON object built one field at a time: {"a": 1, "b": "x"}. Doubles are
// written with 17 significant digits; non-finite values become null;
// strings go through JsonEscape.
class JsonObject {
 public:
  JsonObject& Add(std::string_view name, double value);
  JsonObject& Add(std::string_view name, int64_t value);
  JsonObject& Add(std::string_view name, std::string_view value);
  JsonObject& Add(std::string_view name, const char* value) { return Add(name, std::string_view(value)); }
  JsonObject& Add(std::string_view name, int value) { return Add(name, static_cast<int64_t>(value)); }
  std::string ToString() const { return "{" + body_ + "}"; }

 private:
  void AddName(std::string_view name);
  std::string body_;
};

// Reads the number stored under "name" in a flat JSON object such as the
// ones JsonObject writes. NotFound if absent.
StatusOr<double> JsonNumberField(std::string_view json, std::string_view name);

}  // namespace ember
