// scheduler/eval_aggregator.h: an epoch's evaluation, from every worker's
// EVAL_RESULT parts to the metrics.
//
// A worker sends its result of an epoch in parts (net/control.h: at most
// kMaxEvalSamplesPerMessage samples each, in order, the last one flagged).
// The aggregator keeps each worker's samples by rank and, once every
// worker's last part is in, joins them in rank order (so the metrics do not
// depend on the order the parts arrive in) and computes (common/metrics.h):
// exact AUC and logloss; GAUC when every sample carries a group (a user);
// with ranking_k > 0, HR@K and NDCG@K over the grouped leave-one-out
// rankings (a group starts at each positive row; each worker's part holds
// whole groups, so joining in rank order keeps them intact).
//
//   EvalAggregator evals(num_workers, ranking_k);
//   StatusOr<std::optional<EpochEvaluation>> complete = evals.Add(message);
//   if (!complete.ok()) ... drop the part: *complete names why
//   else if (complete->has_value()) ... report (*complete)->metrics
//
// Not thread-safe: one thread (the scheduler's) adds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "common/status.h"
#include "net/control.h"
#include "scheduler/job_result.h"

namespace ember::scheduler {

struct EpochEvaluation {
  EvalMetrics metrics;
  std::vector<float> probabilities;  // every worker's scores, joined in rank order
};

class EvalAggregator {
 public:
  // `num_workers` results make an epoch; ranking_k > 0 adds HR@K and NDCG@K.
  EvalAggregator(int num_workers, int ranking_k);

  // Adds one part of worker `part.rank`'s result of epoch `part.epoch` (an
  // EVAL_RESULT). Returns the epoch's evaluation when this part was the last
  // one missing, and forgets the epoch; nullopt while parts are missing.
  // Adds nothing and returns FailedPrecondition for a part that does not
  // continue its worker's result (its eval_offset is not the number of
  // samples in so far, or the result's last part came already), OutOfRange
  // for a rank of num_workers or more.
  StatusOr<std::optional<EpochEvaluation>> Add(const net::ControlMessage& part);

  // Epochs with some parts in that are not complete yet.
  size_t pending_epochs() const { return epochs_.size(); }

 private:
  // One epoch's parts so far, by worker rank.
  struct Epoch {
    int complete_workers = 0;
    std::vector<bool> complete;  // its last part arrived
    std::vector<std::vector<float>> probabilities, labels;
    std::vector<std::vector<uint64_t>> groups;  // empty: no GAUC
  };
  EpochEvaluation Evaluate(uint32_t epoch, const Epoch& parts) const;

  const int num_workers_;
  const int ranking_k_;
  std::map<uint32_t, Epoch> epochs_;
};

}  // namespace ember::scheduler
