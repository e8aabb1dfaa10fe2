// tests/util/command.h: running commands and reading metrics files in tests.
// Header-only; every function is thread-compatible.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "common/files.h"

namespace ember::testing_util {

struct CommandResult {
  int exit_code = -1;  // -1 when the command could not run or died by a signal
  std::string output;  // stdout and stderr together
  double seconds = 0;
};

// Runs `command` with /bin/sh and waits for it. Put a `timeout` in front of
// anything that may hang.
inline CommandResult RunShell(const std::string& command) {
  CommandResult result;
  const auto start = std::chrono::steady_clock::now();
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// True when mpirun is on PATH (the mpi tests skip themselves otherwise).
inline bool MpirunOnPath() { return RunShell("command -v mpirun").exit_code == 0; }

// The environment mpirun needs before a command here: OpenMPI refuses to
// run as root without these; "" for other users.
inline std::string MpirunEnvironment() {
  return ::geteuid() == 0 ? "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 " : "";
}

// This test binary's cases matching `gtest_filter`, under `mpirun -np
// processes`, with `env` ("NAME=value ", may be empty) in their environment
// and a hard timeout of `timeout_seconds`.
inline CommandResult RunThisTestUnderMpirun(int processes, const std::string& gtest_filter, const std::string& env,
                                            int timeout_seconds) {
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof(self) - 1) <= 0) return CommandResult{};
  return RunShell(MpirunEnvironment() + env + "timeout -k 5 " + std::to_string(timeout_seconds) +
                  " mpirun --oversubscribe -np " + std::to_string(processes) + " " + self +
                  " --gtest_filter=" + gtest_filter);
}

// The `{"event": "final", ...}` line of a --metrics_out file; "" if absent.
inline std::string FinalMetricsLine(const std::string& metrics_path) {
  StatusOr<std::string> lines = ReadFileToString(metrics_path);
  if (!lines.ok()) return "";
  const size_t last = lines->rfind("{\"event\": \"final\"");
  if (last == std::string::npos) return "";
  const size_t end = lines->find('\n', last);
  return lines->substr(last, end == std::string::npos ? std::string::npos : end - last);
}

// The comma-separated pieces of the string field "name": "a,b" of a JSON line.
inline std::vector<std::string> JsonStringList(const std::string& json, const std::string& name) {
  const std::string key = "\"" + name + "\": \"";
  const size_t begin = json.find(key);
  if (begin == std::string::npos) return {};
  const size_t start = begin + key.size();
  const std::string value = json.substr(start, json.find('"', start) - start);
  std::vector<std::string> pieces;
  for (std::string_view piece : SplitString(value, ',')) pieces.emplace_back(piece);
  return pieces;
}

}  // namespace ember::testing_util
