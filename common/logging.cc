#include "common/logging.h"

#include <atomic>
#include <cstdio>
#include <iomanip>

namespace ember {
namespace {

thread_local std::string t_role = "main";

void PrefixWithRole(std::ostream& s, const google::LogMessageInfo& l, void*) {
  s << l.severity[0] << std::setw(2) << std::setfill('0') << 1 + l.time.month() << std::setw(2) << l.time.day() << ' '
    << std::setw(2) << l.time.hour() << ':' << std::setw(2) << l.time.min() << ':' << std::setw(2) << l.time.sec()
    << '.' << std::setw(6) << l.time.usec() << ' ' << std::setfill(' ') << t_role << ' ' << l.filename << ':'
    << l.line_number << ']';
}

std::atomic<bool> g_initialized{false};

}  // namespace

void InitLogging(const char* argv0) {
  if (g_initialized.exchange(true)) return;
  google::InitGoogleLogging(argv0, &PrefixWithRole, nullptr);
  FLAGS_logtostderr = true;
}

void SetThreadRole(const std::string& role, int rank) { t_role = role + ":" + std::to_string(rank); }

const std::string& ThreadRole() { return t_role; }

}  // namespace ember
