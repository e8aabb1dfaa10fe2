#include "scheduler/epoch_progress.h"

#include <algorithm>

namespace ember::scheduler {

EpochProgress::EpochProgress(int num_workers) : latest_(static_cast<size_t>(std::max(1, num_workers))) {}

void EpochProgress::Update(int rank, int64_t epoch, int64_t step, double part_done, Clock::time_point now) {
  if (rank < 0 || rank >= static_cast<int>(latest_.size()) || epoch < epoch_) return;
  const bool first = epoch > epoch_;
  if (first) {
    epoch_ = epoch;
    std::fill(latest_.begin(), latest_.end(), Report{});
    newest_step_ = -1;
  }
  // NaN (a broken peer) counts as no progress.
  latest_[rank] = {step, part_done >= 0 ? std::min(part_done, 1.0) : 0.0};
  newest_step_ = std::max(newest_step_, step);
  if (first) {
    first_done_ = done();
    first_time_ = now;
  }
}

double EpochProgress::done() const {
  double sum = 0;
  int count = 0;
  for (const Report& report : latest_) {
    if (report.step < 0 || report.step != newest_step_) continue;
    sum += report.part_done;
    ++count;
  }
  return count > 0 ? sum / count : 0.0;
}

double EpochProgress::seconds_left(Clock::time_point now) const {
  const double progressed = done() - first_done_;
  const double seconds = std::chrono::duration<double>(now - first_time_).count();
  if (epoch_ < 0 || progressed <= 0 || seconds <= 0) return -1;
  return (1.0 - done()) * seconds / progressed;
}

}  // namespace ember::scheduler
