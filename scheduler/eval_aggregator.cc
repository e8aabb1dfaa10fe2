#include "scheduler/eval_aggregator.h"

#include <string>

#include "common/metrics.h"

namespace ember::scheduler {
namespace {

template <typename T>
void Append(std::vector<T>* to, const std::vector<T>& from) {
  to->insert(to->end(), from.begin(), from.end());
}

}  // namespace

EvalAggregator::EvalAggregator(int num_workers, int ranking_k) : num_workers_(num_workers), ranking_k_(ranking_k) {}

StatusOr<std::optional<EpochEvaluation>> EvalAggregator::Add(const net::ControlMessage& part) {
  if (part.rank >= static_cast<uint32_t>(num_workers_)) {
    return Status::OutOfRange("eval result part of epoch ", part.epoch, " from rank ", part.rank, ": the job has ",
                              num_workers_, " workers");
  }
  const int rank = static_cast<int>(part.rank);
  // Look before inserting: a refused part leaves no epoch behind.
  auto found = epochs_.find(part.epoch);
  const bool complete = found != epochs_.end() && found->second.complete[rank];
  const size_t samples_in = found == epochs_.end() ? 0 : found->second.labels[rank].size();
  if (complete || part.eval_offset != samples_in) {
    return Status::FailedPrecondition(
        "eval result part of epoch ", part.epoch, " from rank ", rank, " at sample ", part.eval_offset, ": ",
        complete ? "after the last part" : "out of order, expected sample " + std::to_string(samples_in));
  }
  if (found == epochs_.end()) {
    found = epochs_.emplace(part.epoch, Epoch{}).first;
    Epoch& parts = found->second;
    parts.complete.assign(num_workers_, false);
    parts.probabilities.resize(num_workers_);
    parts.labels.resize(num_workers_);
    parts.groups.resize(num_workers_);
  }
  Epoch& parts = found->second;
  Append(&parts.probabilities[rank], part.probabilities);
  Append(&parts.labels[rank], part.labels);
  Append(&parts.groups[rank], part.groups);
  if (!part.eval_last) return std::optional<EpochEvaluation>();
  parts.complete[rank] = true;
  if (++parts.complete_workers < num_workers_) return std::optional<EpochEvaluation>();
  EpochEvaluation evaluation = Evaluate(part.epoch, parts);
  epochs_.erase(found);
  return std::optional<EpochEvaluation>(std::move(evaluation));
}

EpochEvaluation EvalAggregator::Evaluate(uint32_t epoch, const Epoch& parts) const {
  EpochEvaluation evaluation;
  std::vector<float> labels;
  std::vector<uint64_t> groups;
  for (int r = 0; r < num_workers_; ++r) {
    Append(&evaluation.probabilities, parts.probabilities[r]);
    Append(&labels, parts.labels[r]);
    Append(&groups, parts.groups[r]);
  }
  const std::vector<float>& probabilities = evaluation.probabilities;
  EvalMetrics& metrics = evaluation.metrics;
  metrics.epoch = static_cast<int>(epoch);
  metrics.examples = static_cast<int64_t>(labels.size());
  metrics.auc = ComputeAuc(probabilities, labels);
  metrics.logloss = ComputeLogloss(probabilities, labels);
  // Every worker sent a user per sample (--gauc_field).
  if (groups.size() == labels.size() && !groups.empty()) {
    metrics.has_gauc = true;
    metrics.gauc = ComputeGauc(probabilities, labels, groups);
  }
  if (ranking_k_ > 0) {
    const RankingMetrics ranking = ComputeGroupedLeaveOneOut(probabilities, labels, ranking_k_);
    metrics.ranking_k = ranking_k_;
    metrics.ranking_users = ranking.users;
    metrics.hit_rate = ranking.hit_rate;
    metrics.ndcg = ranking.ndcg;
  }
  return evaluation;
}

}  // namespace ember::scheduler
