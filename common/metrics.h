// common/metrics.h: the quality figures of a binary classifier.
//
// Exact AUC (ties get half credit) by sorting scores, GAUC, mean logloss of
// probabilities, and the ranking metrics of retrieval models (HR@K, NDCG@K,
// recall@K). Pure functions; thread-safe.
//
//   double auc = ComputeAuc(probabilities, labels);   // NaN if one class or a NaN score
//   double ll = ComputeLogloss(probabilities, labels);
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace ember {

// Area under the ROC curve of `scores` against 0/1 `labels` (a label > 0.5
// counts as positive). NaN when either class is absent or a score is NaN
// (a diverged model). Equal sizes.
double ComputeAuc(std::span<const float> scores, std::span<const float> labels);

// Mean binary cross-entropy of probabilities (clamped to [1e-7, 1-1e-7]).
// NaN for empty input.
double ComputeLogloss(std::span<const float> probabilities, std::span<const float> labels);

// GAUC: the AUC of each group (a user), weighted by the group's number of
// examples; groups whose examples are all of one class are left out (their
// AUC is undefined). NaN when no group has both classes or a score is NaN.
// Equal sizes.
double ComputeGauc(std::span<const float> scores, std::span<const float> labels, std::span<const uint64_t> groups);

// Leave-one-out ranking (the NCF and SASRec protocols): user u's held-out
// item scored positive_scores[u], its sampled negatives scored
// negative_scores[u * num_negatives .. (u + 1) * num_negatives). The rank of
// the positive is the number of negatives scored >= it (a tie counts
// against the model). HR@K is the fraction of users with rank < K;
// NDCG@K the mean of 1 / log2(rank + 2) over users with rank < K (0 for the
// others). Both NaN for no users or a NaN score (a NaN positive would
// otherwise outrank every negative).
struct RankingMetrics {
  double hit_rate = 0;
  double ndcg = 0;
  int64_t users = 0;
};
RankingMetrics ComputeLeaveOneOut(std::span<const float> positive_scores, std::span<const float> negative_scores,
                                  int num_negatives, int k);

// The same over groups laid out as consecutive rows: a group starts at each
// row whose label is positive (> 0.5; the held-out item) and holds the
// negative rows that follow it, however many (the layout of
// data::InteractionReader's eval pass). Rows before the first positive are
// left out. Equal sizes.
RankingMetrics ComputeGroupedLeaveOneOut(std::span<const float> scores, std::span<const float> labels, int k);

// Recall@K: for each user, the fraction of its relevant items found among
// the first K of its retrieved list, averaged over users that have relevant
// items. NaN if none has. retrieved and relevant have one list per user.
double ComputeRecallAtK(const std::vector<std::vector<int64_t>>& retrieved,
                        const std::vector<std::vector<int64_t>>& relevant, int k);

}  // namespace ember
