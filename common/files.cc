#include "common/files.h"

#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ember {

std::vector<std::string_view> SplitString(std::string_view text, char sep) {
  std::vector<std::string_view> pieces;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(sep, start);
    if (end == std::string_view::npos) {
      pieces.push_back(text.substr(start));
      return pieces;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

StatusOr<std::vector<std::string>> ExpandFileList(std::string_view comma_separated) {
  std::vector<std::string> files;
  for (std::string_view pattern : SplitString(comma_separated, ',')) {
    if (pattern.empty()) continue;
    const std::string p(pattern);
    if (p.find_first_of("*?[") == std::string::npos) {
      struct stat st;
      if (stat(p.c_str(), &st) != 0) return Status::InvalidArgument("no such file: ", p);
      if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("not a regular file: ", p);
      files.push_back(p);
      continue;
    }
    glob_t matches;
    const int rc = glob(p.c_str(), 0, nullptr, &matches);
    if (rc != 0) {
      globfree(&matches);
      return Status::InvalidArgument("pattern matches no file: ", p);
    }
    for (size_t i = 0; i < matches.gl_pathc; ++i) files.emplace_back(matches.gl_pathv[i]);
    globfree(&matches);
  }
  if (files.empty()) return Status::InvalidArgument("no files given in '", comma_separated, "'");
  return files;
}

StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) return Status::DataLoss("read error on ", path);
  return contents.str();
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  const std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return Status::Internal("cannot create ", tmp, ": ", std::strerror(errno));
  const size_t written = std::fwrite(contents.data(), 1, contents.size(), f);
  const bool flushed = std::fflush(f) == 0;
  const bool closed = std::fclose(f) == 0;
  if (written != contents.size() || !flushed || !closed) {
    const int err = errno;
    std::remove(tmp.c_str());
    return Status::Internal("cannot write ", tmp, ": ", std::strerror(err));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Internal("cannot rename ", tmp, " to ", path, ": ", std::strerror(errno));
  }
  return Status::OK();
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
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

void JsonObject::AddName(std::string_view name) {
  if (!body_.empty()) body_ += ", ";
  body_ += '"';
  body_ += name;
  body_ += "\": ";
}

JsonObject& JsonObject::Add(std::string_view name, double value) {
  AddName(name);
  if (!std::isfinite(value)) {
    body_ += "null";
  } else {
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%.17g", value);
    body_ += buf;
  }
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, int64_t value) {
  AddName(name);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::Add(std::string_view name, std::string_view value) {
  AddName(name);
  body_ += '"';
  body_ += JsonEscape(value);
  body_ += '"';
  return *this;
}

StatusOr<double> JsonNumberField(std::string_view json, std::string_view name) {
  std::string quoted;
  quoted.reserve(name.size() + 2);
  quoted.append(1, '"').append(name).append(1, '"');
  const size_t at = json.find(quoted);
  if (at == std::string_view::npos) return Status::NotFound("no field ", quoted);
  size_t pos = json.find(':', at + quoted.size());
  if (pos == std::string_view::npos) return Status::DataLoss("no value for ", quoted);
  const std::string rest(json.substr(pos + 1, 64));
  char* end = nullptr;
  const double value = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return Status::DataLoss("field ", quoted, " is not a number");
  return value;
}

}  // namespace ember
