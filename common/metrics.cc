#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ember {
namespace {

// A NaN score (a diverged model) has no rank: it would break the sort's
// ordering, and the AUC's tie loop would never pass it.
bool AnyNan(std::span<const float> scores) {
  return std::any_of(scores.begin(), scores.end(), [](float score) { return std::isnan(score); });
}

}  // namespace

double ComputeAuc(std::span<const float> scores, std::span<const float> labels) {
  const size_t n = std::min(scores.size(), labels.size());
  if (AnyNan(scores.first(n))) return std::numeric_limits<double>::quiet_NaN();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with average ranks for ties.
  double positives = 0, rank_sum = 0;
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double average_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1..j
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] > 0.5f) {
        positives += 1;
        rank_sum += average_rank;
      }
    }
    i = j;
  }
  const double negatives = static_cast<double>(n) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

double ComputeLogloss(std::span<const float> probabilities, std::span<const float> labels) {
  const size_t n = std::min(probabilities.size(), labels.size());
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(static_cast<double>(probabilities[i]), 1e-7, 1 - 1e-7);
    total -= labels[i] > 0.5f ? std::log(p) : std::log(1 - p);
  }
  return total / static_cast<double>(n);
}

double ComputeGauc(std::span<const float> scores, std::span<const float> labels, std::span<const uint64_t> groups) {
  const size_t n = std::min({scores.size(), labels.size(), groups.size()});
  if (AnyNan(scores.first(n))) return std::numeric_limits<double>::quiet_NaN();
  std::unordered_map<uint64_t, std::vector<uint32_t>> members;
  for (size_t i = 0; i < n; ++i) members[groups[i]].push_back(static_cast<uint32_t>(i));
  double weighted = 0, weight = 0;
  std::vector<float> group_scores, group_labels;
  for (const auto& [group, indices] : members) {
    group_scores.clear();
    group_labels.clear();
    for (uint32_t i : indices) {
      group_scores.push_back(scores[i]);
      group_labels.push_back(labels[i]);
    }
    const double auc = ComputeAuc(group_scores, group_labels);
    if (std::isnan(auc)) continue;
    weighted += auc * static_cast<double>(indices.size());
    weight += static_cast<double>(indices.size());
  }
  return weight > 0 ? weighted / weight : std::numeric_limits<double>::quiet_NaN();
}

RankingMetrics ComputeLeaveOneOut(std::span<const float> positive_scores, std::span<const float> negative_scores,
                                  int num_negatives, int k) {
  RankingMetrics metrics;
  const size_t users = num_negatives > 0 ? std::min(positive_scores.size(), negative_scores.size() / num_negatives) : 0;
  metrics.users = static_cast<int64_t>(users);
  if (users == 0 || k <= 0 || AnyNan(positive_scores.first(users)) ||
      AnyNan(negative_scores.first(users * static_cast<size_t>(num_negatives)))) {
    metrics.hit_rate = metrics.ndcg = std::numeric_limits<double>::quiet_NaN();
    return metrics;
  }
  double hits = 0, ndcg = 0;
  for (size_t u = 0; u < users; ++u) {
    int rank = 0;
    for (int j = 0; j < num_negatives; ++j) {
      if (negative_scores[u * num_negatives + j] >= positive_scores[u]) ++rank;
    }
    if (rank < k) {
      hits += 1;
      ndcg += 1.0 / std::log2(rank + 2.0);
    }
  }
  metrics.hit_rate = hits / static_cast<double>(users);
  metrics.ndcg = ndcg / static_cast<double>(users);
  return metrics;
}

RankingMetrics ComputeGroupedLeaveOneOut(std::span<const float> scores, std::span<const float> labels, int k) {
  RankingMetrics metrics;
  const size_t n = std::min(scores.size(), labels.size());
  double hits = 0, ndcg = 0;
  size_t i = 0;
  while (i < n && labels[i] <= 0.5f) ++i;
  while (i < n) {
    const float positive = scores[i];
    int64_t rank = 0;
    for (++i; i < n && labels[i] <= 0.5f; ++i) {
      if (scores[i] >= positive) ++rank;
    }
    ++metrics.users;
    if (rank < k) {
      hits += 1;
      ndcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
    }
  }
  if (metrics.users == 0 || k <= 0 || AnyNan(scores.first(n))) {
    metrics.hit_rate = metrics.ndcg = std::numeric_limits<double>::quiet_NaN();
    return metrics;
  }
  metrics.hit_rate = hits / static_cast<double>(metrics.users);
  metrics.ndcg = ndcg / static_cast<double>(metrics.users);
  return metrics;
}

double ComputeRecallAtK(const std::vector<std::vector<int64_t>>& retrieved,
                        const std::vector<std::vector<int64_t>>& relevant, int k) {
  const size_t users = std::min(retrieved.size(), relevant.size());
  double total = 0;
  int64_t counted = 0;
  for (size_t u = 0; u < users; ++u) {
    if (relevant[u].empty()) continue;
    const std::unordered_set<int64_t> wanted(relevant[u].begin(), relevant[u].end());
    std::unordered_set<int64_t> found;
    const size_t top = std::min(retrieved[u].size(), static_cast<size_t>(std::max(k, 0)));
    for (size_t i = 0; i < top; ++i) {
      if (wanted.count(retrieved[u][i]) > 0) found.insert(retrieved[u][i]);
    }
    total += static_cast<double>(found.size()) / static_cast<double>(wanted.size());
    ++counted;
  }
  return counted > 0 ? total / static_cast<double>(counted) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ember
