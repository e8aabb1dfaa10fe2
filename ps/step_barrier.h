// ps/step_barrier.h: a server's --sync step barrier. The pushes of step t
// are held until every worker has ended step t (its push flagged end of
// step), then given back in worker-rank order (each rank's in arrival
// order), so that every run applies the same gradients in the same order
// whatever the network did; a creating pull of step t waits until steps
// [0, t) are applied. Messages are opaque to it (the server's held frames;
// ints in its test).
//
// Not thread-safe: the server thread owns it.
//
//   StepBarrier<Held> barrier(num_workers);
//   RETURN_IF_ERROR(barrier.AddPush(rank, step, ends_step, std::move(push)));
//   while (barrier.StepComplete()) for (Held& push : barrier.PopStep()) Apply(push);
//   for (Held& pull : barrier.ReleasePulls()) Answer(pull);
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace ember::ps {

template <typename Message>
class StepBarrier {
 public:
  // How many steps past the next one to apply a worker may be: a push or
  // pull further ahead breaks the protocol (a worker runs at most one step
  // ahead of the slowest; the rest is slack). Bounds what a misbehaving
  // peer can make the server buffer.
  static constexpr uint64_t kMaxStepsAhead = 4;

  explicit StepBarrier(int num_workers) : num_workers_(static_cast<uint32_t>(num_workers)) {}

  // A restored server: steps [0, applied_steps) were applied before. Call
  // before any push or pull.
  void StartAt(uint64_t applied_steps) { applied_steps_ = applied_steps; }

  // Steps [0, applied_steps()) have been popped (or restored).
  uint64_t applied_steps() const { return applied_steps_; }
  // Steps with a push buffered (none while a checkpoint may be taken).
  size_t buffered_steps() const { return pending_.size(); }
  size_t buffered_pushes() const { return buffered_pushes_; }
  size_t held_pulls() const { return held_pulls_.size(); }

  // Buffers a push of worker `rank` in `step`. InvalidArgument (naming the
  // step and rank, "(--sync)") for a rank outside the job, a step already
  // applied or more than kMaxStepsAhead ahead, or a push after the rank
  // ended the step; the message is then not taken.
  Status AddPush(uint32_t rank, uint64_t step, bool ends_step, Message&& message) {
    if (rank >= num_workers_) {
      return Status::InvalidArgument("PUSH from worker rank ", rank, ", but the job has ", num_workers_,
                                     " workers (--sync)");
    }
    if (step < applied_steps_ || step >= applied_steps_ + kMaxStepsAhead) {
      return Status::InvalidArgument("PUSH of step ", step, " from worker ", rank, " while step ", applied_steps_,
                                     " is the next to apply (--sync)");
    }
    StepPushes& pushes = pending_[step];
    if (pushes.by_rank.empty()) {
      pushes.by_rank.resize(num_workers_);
      pushes.ended.assign(num_workers_, 0);
    }
    if (pushes.ended[rank]) {
      return Status::InvalidArgument("PUSH of step ", step, " from worker ", rank,
                                     " after that worker ended the step (--sync)");
    }
    pushes.by_rank[rank].push_back(std::move(message));
    ++buffered_pushes_;
    if (ends_step) {
      pushes.ended[rank] = 1;
      ++pushes.ended_count;
    }
    return Status::OK();
  }

  // True when every worker has ended step applied_steps().
  bool StepComplete() const {
    const auto it = pending_.find(applied_steps_);
    return it != pending_.end() && it->second.ended_count == num_workers_;
  }

  // The pushes of step applied_steps() in rank order, each rank's in arrival
  // order; applied_steps() then counts it. Call only when StepComplete().
  std::vector<Message> PopStep() {
    const auto it = pending_.find(applied_steps_);
    std::vector<Message> pushes;
    for (std::vector<Message>& of_rank : it->second.by_rank) {
      for (Message& push : of_rank) pushes.push_back(std::move(push));
    }
    buffered_pushes_ -= pushes.size();
    pending_.erase(it);
    ++applied_steps_;
    return pushes;
  }

  // True when a creating pull of `step` must wait for steps before it.
  bool MustHoldPull(uint64_t step) const { return step > applied_steps_; }
  // Holds a creating pull of `step` (MustHoldPull was true) until
  // ReleasePulls gives it back. InvalidArgument when the step is more than
  // kMaxStepsAhead ahead; the message is then not taken.
  Status HoldPull(uint32_t rank, uint64_t step, Message&& message) {
    if (step > applied_steps_ + kMaxStepsAhead) {
      return Status::InvalidArgument("PULL of step ", step, " from worker ", rank, ", but step ", applied_steps_,
                                     " is not applied yet (--sync)");
    }
    held_pulls_.push_back({step, std::move(message)});
    return Status::OK();
  }
  // The held pulls whose steps are now applied, in arrival order.
  std::vector<Message> ReleasePulls() {
    std::vector<Message> released;
    for (auto it = held_pulls_.begin(); it != held_pulls_.end();) {
      if (it->first > applied_steps_) {
        ++it;
        continue;
      }
      released.push_back(std::move(it->second));
      it = held_pulls_.erase(it);
    }
    return released;
  }

 private:
  // The pushes of one step, per worker rank, in arrival order.
  struct StepPushes {
    std::vector<std::vector<Message>> by_rank;
    std::vector<uint8_t> ended;  // 1 once the rank's end-of-step push arrived
    uint32_t ended_count = 0;
  };

  const uint32_t num_workers_;
  uint64_t applied_steps_ = 0;
  size_t buffered_pushes_ = 0;
  std::map<uint64_t, StepPushes> pending_;
  std::deque<std::pair<uint64_t, Message>> held_pulls_;  // (step, pull), in arrival order
};

}  // namespace ember::ps
