// tests/util/processes.h: finding an mpirun job's ember processes by world
// rank through /proc, for the fault tests. Header-only.
#pragma once

#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace ember::testing_util {

// A whole /proc (or any) file; "" when unreadable.
inline std::string ReadProcFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The pids of the job's processes whose command line starts with `binary`
// and mentions `marker`, by world rank (OMPI_COMM_WORLD_RANK or PMI_RANK).
inline std::map<int, pid_t> RankPids(const std::string& binary, const std::string& marker) {
  std::map<int, pid_t> pids;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string cmdline = ReadProcFile(entry.path() / "cmdline");
    if (cmdline.find(binary) != 0 || cmdline.find(marker) == std::string::npos) continue;
    const std::string environ = ReadProcFile(entry.path() / "environ");
    for (const std::string key : {"OMPI_COMM_WORLD_RANK=", "PMI_RANK="}) {
      const size_t at = environ.find(std::string(1, '\0') + key);
      if (at == std::string::npos) continue;
      pids[std::atoi(environ.c_str() + at + 1 + key.size())] = static_cast<pid_t>(std::stoi(name));
      break;
    }
  }
  return pids;
}

// VmRSS of `pid` in bytes; -1 when unreadable (the process is gone).
inline int64_t RssBytes(pid_t pid) {
  std::istringstream status(ReadProcFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

}  // namespace ember::testing_util
