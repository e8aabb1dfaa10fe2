// scheduler/epoch_progress.h: how far the current epoch is and how long the
// rest will take, from the share of its part each worker reports with its
// PROGRESS (worker/step_pipeline.h ProgressReport::part_done).
//
//   EpochProgress progress(num_workers);
//   progress.Update(rank, epoch, step, part_done, Clock::now());
//   ... progress.done(), progress.seconds_left(Clock::now()) ...
//
// Thread-compatible: the scheduler's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

namespace ember::scheduler {

class EpochProgress {
 public:
  using Clock = std::chrono::steady_clock;

  explicit EpochProgress(int num_workers);

  // Worker `rank` has done `part_done` (clamped to [0, 1]) of its part of
  // `epoch` after global step `step`, at `now`. A later epoch starts over; a
  // report of an earlier epoch is ignored.
  void Update(int rank, int64_t epoch, int64_t step, double part_done, Clock::time_point now);

  // The epoch's share done: the mean of part_done over the workers whose
  // latest report is of the newest step reported (the workers step together
  // and their parts are of about equal size; an older report would lag by a
  // report interval). 0 before any report.
  double done() const;
  // Seconds until done() reaches 1 at the rate measured since the epoch's
  // first report in this run (so a resumed epoch, which starts part-way,
  // and the evaluation before it do not skew it); negative when unknown
  // (a single report so far, or no progress since the first).
  double seconds_left(Clock::time_point now) const;

 private:
  struct Report {
    int64_t step = -1;  // -1: none in this epoch
    double part_done = 0;
  };
  std::vector<Report> latest_;  // per worker rank, of epoch_
  int64_t newest_step_ = -1;
  int64_t epoch_ = -1;
  double first_done_ = 0;  // done() after the epoch's first report
  Clock::time_point first_time_;
};

}  // namespace ember::scheduler
