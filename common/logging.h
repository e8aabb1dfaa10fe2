// common/logging.h: glog set-up with the role and rank in every line.
//
// Every line reads "I1128 16:55:00.123456 worker:1 file.cc:42] message".
// In local mode the scheduler, servers and workers are threads of one
// process, so the role is per thread: each thread names itself once.
//
//   int main(int argc, char** argv) {
//     ember::InitLogging(argv[0]);
//     ember::SetThreadRole("scheduler", 0);
//   }
#pragma once

#include <glog/logging.h>

#include <cstdint>
#include <string>

namespace ember {

// Installs the prefix. Idempotent; call once from main (tests may call it
// many times).
void InitLogging(const char* argv0);

// Names the calling thread in log prefixes ("server", 2 -> "server:2").
void SetThreadRole(const std::string& role, int rank);

// The calling thread's "role:rank", or "main" if it never set one.
const std::string& ThreadRole();

// Whether the n-th (1-based) of a run of like warnings is logged: the first
// 100, then every 1000th, so that a peer sending garbage cannot flood the
// log. Callers append the count to the line they log.
//   LOG_IF(WARNING, ShouldLogNth(++dropped)) << "dropped ... [so far: " << dropped << "]";
inline bool ShouldLogNth(int64_t n) { return n <= 100 || n % 1000 == 0; }

}  // namespace ember
