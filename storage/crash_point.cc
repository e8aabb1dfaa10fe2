#include "storage/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "storage/internal/checkpoint_util.h"

namespace ember::storage {
namespace {

constexpr char kVariable[] = "EMBER_TEST_CRASH_AT";
constexpr std::string_view kNames[kNumCrashPoints] = {
    "shard-written", "before-manifest", "before-rename", "after-rename", "prune-manifest-removed",
};

// What EMBER_TEST_CRASH_AT asks for; armed is false when it is unset.
struct CrashPlan {
  bool armed = false;
  CrashPoint point = CrashPoint::kShardWritten;
  int64_t nth = 1;
  std::atomic<int64_t> arrivals{0};
};

[[noreturn]] void BadVariable(const std::string& value) {
  std::string names;
  for (std::string_view name : kNames) names += (names.empty() ? "" : ", ") + std::string(name);
  std::fprintf(stderr, "%s='%s' is not <point>[:<nth>] with nth >= 1 and point one of: %s\n", kVariable, value.c_str(),
               names.c_str());
  std::abort();
}

CrashPlan* ReadPlan() {
  auto* plan = new CrashPlan;  // lives as long as the process
  const char* raw = std::getenv(kVariable);
  if (raw == nullptr || *raw == '\0') return plan;
  const std::string value(raw);
  const size_t colon = value.find(':');
  const std::string_view name = std::string_view(value).substr(0, colon);
  if (colon != std::string::npos &&
      (!internal::ParseInt(std::string_view(value).substr(colon + 1), &plan->nth) || plan->nth < 1)) {
    BadVariable(value);
  }
  for (int i = 0; i < kNumCrashPoints; ++i) {
    if (kNames[i] == name) {
      plan->armed = true;
      plan->point = static_cast<CrashPoint>(i);
      return plan;
    }
  }
  BadVariable(value);
}

}  // namespace

std::string_view CrashPointName(CrashPoint point) { return kNames[static_cast<int>(point)]; }

void ReachCrashPoint(CrashPoint point) {
  static CrashPlan* const plan = ReadPlan();
  if (!plan->armed || plan->point != point) return;
  const int64_t arrival = plan->arrivals.fetch_add(1) + 1;
  if (arrival != plan->nth) return;
  const std::string name(CrashPointName(point));
  std::fprintf(stderr, "crash point %s reached (arrival %lld, %s=%s): killing this process with SIGKILL\n",
               name.c_str(), static_cast<long long>(arrival), kVariable, std::getenv(kVariable));
  std::fflush(stderr);
  ::kill(::getpid(), SIGKILL);
  while (true) ::pause();  // SIGKILL cannot be caught: this does not return
}

}  // namespace ember::storage
