#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ember {
namespace {

TEST(MetricsTest, AucOfPerfectReversedAndTiedScores) {
  std::vector<float> labels = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(ComputeAuc(std::vector<float>{0.1f, 0.2f, 0.8f, 0.9f}, labels), 1.0);
  EXPECT_DOUBLE_EQ(ComputeAuc(std::vector<float>{0.9f, 0.8f, 0.2f, 0.1f}, labels), 0.0);
  EXPECT_DOUBLE_EQ(ComputeAuc(std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}, labels), 0.5);
  // One positive ranked below one of two negatives: 1 of 2 pairs... here 3 of 4.
  EXPECT_DOUBLE_EQ(ComputeAuc(std::vector<float>{0.1f, 0.7f, 0.6f, 0.9f}, labels), 0.75);
  EXPECT_TRUE(std::isnan(ComputeAuc(std::vector<float>{0.1f, 0.2f}, std::vector<float>{1, 1})));
}

// A diverged model scores NaN. Every metric is then NaN: before, the AUC's
// tie loop never passed a NaN (the job hung at its evaluation), and a NaN
// positive outranked every negative (HR@K 1).
TEST(MetricsTest, NanScoresGiveNanMetricsAndReturn) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> labels(1000), scores(1000);
  for (size_t i = 0; i < scores.size(); ++i) {
    labels[i] = static_cast<float>(i % 2);
    scores[i] = i % 7 == 0 ? nan : 0.001f * static_cast<float>(i);
  }
  EXPECT_TRUE(std::isnan(ComputeAuc(scores, labels)));
  std::vector<uint64_t> groups(scores.size());
  for (size_t i = 0; i < groups.size(); ++i) groups[i] = i % 10;
  EXPECT_TRUE(std::isnan(ComputeGauc(scores, labels, groups)));
  const RankingMetrics nan_positive =
      ComputeLeaveOneOut(std::vector<float>{nan, 0.9f}, std::vector<float>{0.1f, 0.2f, 0.1f, 0.2f}, 2, 1);
  EXPECT_TRUE(std::isnan(nan_positive.hit_rate));
  EXPECT_TRUE(std::isnan(nan_positive.ndcg));
  const RankingMetrics nan_negative =
      ComputeLeaveOneOut(std::vector<float>{0.5f, 0.9f}, std::vector<float>{0.1f, nan, 0.1f, 0.2f}, 2, 1);
  EXPECT_TRUE(std::isnan(nan_negative.hit_rate));
  const RankingMetrics grouped =
      ComputeGroupedLeaveOneOut(std::vector<float>{nan, 0.1f, 0.2f}, std::vector<float>{1, 0, 0}, 1);
  EXPECT_TRUE(std::isnan(grouped.hit_rate));
  EXPECT_EQ(grouped.users, 1);
}

TEST(MetricsTest, LoglossMatchesHandValue) {
  std::vector<float> p = {0.8f, 0.4f};
  std::vector<float> y = {1, 0};
  EXPECT_NEAR(ComputeLogloss(p, y), -(std::log(0.8) + std::log(0.6)) / 2, 1e-7);
}

TEST(MetricsTest, GaucWeightsUsersByImpressionsAndSkipsOneClassUsers) {
  // User 1: 4 examples, AUC 0.75; user 2: 2 examples, AUC 0; user 3: only
  // negatives (left out). GAUC = (4 * 0.75 + 2 * 0) / 6 = 0.5.
  std::vector<float> scores = {0.1f, 0.7f, 0.6f, 0.9f, 0.8f, 0.2f, 0.5f};
  std::vector<float> labels = {0, 0, 1, 1, 0, 1, 0};
  std::vector<uint64_t> users = {1, 1, 1, 1, 2, 2, 3};
  EXPECT_DOUBLE_EQ(ComputeGauc(scores, labels, users), 0.5);
  std::vector<uint64_t> one_user(7, 9);
  EXPECT_DOUBLE_EQ(ComputeGauc(scores, labels, one_user), ComputeAuc(scores, labels));
  EXPECT_TRUE(std::isnan(ComputeGauc(std::vector<float>{0.5f}, std::vector<float>{1}, std::vector<uint64_t>{1})));
}

TEST(MetricsTest, LeaveOneOutHitRateAndNdcgMatchHandValues) {
  // Three users, 4 negatives each, K = 2.
  // u0: no negative above the positive -> rank 0: hit, NDCG 1.
  // u1: one negative above -> rank 1: hit, NDCG 1/log2(3).
  // u2: a tie and two above -> rank 3: miss.
  std::vector<float> positives = {0.9f, 0.5f, 0.4f};
  std::vector<float> negatives = {0.1f, 0.2f, 0.3f, 0.4f,  //
                                  0.6f, 0.1f, 0.2f, 0.3f,  //
                                  0.4f, 0.5f, 0.6f, 0.1f};
  RankingMetrics m = ComputeLeaveOneOut(positives, negatives, 4, 2);
  EXPECT_EQ(m.users, 3);
  EXPECT_DOUBLE_EQ(m.hit_rate, 2.0 / 3.0);
  EXPECT_NEAR(m.ndcg, (1.0 + 1.0 / std::log2(3.0)) / 3.0, 1e-12);
  RankingMetrics all = ComputeLeaveOneOut(positives, negatives, 4, 5);
  EXPECT_DOUBLE_EQ(all.hit_rate, 1.0);
  EXPECT_TRUE(std::isnan(ComputeLeaveOneOut({}, {}, 4, 2).hit_rate));
}

TEST(MetricsTest, GroupedLeaveOneOutMatchesTheFixedSizeVersionAndTakesUnequalGroups) {
  std::vector<float> positives = {0.9f, 0.5f, 0.4f};
  std::vector<float> negatives = {0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.1f};
  std::vector<float> scores, labels;
  for (int u = 0; u < 3; ++u) {
    scores.push_back(positives[u]);
    labels.push_back(1.f);
    for (int j = 0; j < 4; ++j) {
      scores.push_back(negatives[u * 4 + j]);
      labels.push_back(0.f);
    }
  }
  const RankingMetrics fixed = ComputeLeaveOneOut(positives, negatives, 4, 2);
  const RankingMetrics grouped = ComputeGroupedLeaveOneOut(scores, labels, 2);
  EXPECT_EQ(grouped.users, 3);
  EXPECT_DOUBLE_EQ(grouped.hit_rate, fixed.hit_rate);
  EXPECT_DOUBLE_EQ(grouped.ndcg, fixed.ndcg);
  // Unequal groups: {0.5 | 0.7} rank 1; {0.3 | } rank 0; a leading negative row is ignored.
  const RankingMetrics unequal =
      ComputeGroupedLeaveOneOut(std::vector<float>{0.9f, 0.5f, 0.7f, 0.3f}, std::vector<float>{0, 1, 0, 1}, 1);
  EXPECT_EQ(unequal.users, 2);
  EXPECT_DOUBLE_EQ(unequal.hit_rate, 0.5);
  EXPECT_DOUBLE_EQ(unequal.ndcg, 0.5);
  EXPECT_TRUE(std::isnan(ComputeGroupedLeaveOneOut({}, {}, 10).hit_rate));
}

TEST(MetricsTest, RecallAtKCountsRelevantItemsInTheTopK) {
  std::vector<std::vector<int64_t>> retrieved = {{5, 3, 9, 1}, {2, 4}, {7}};
  std::vector<std::vector<int64_t>> relevant = {{3, 1}, {8}, {}};
  // u0: top 2 = {5, 3} finds 1 of 2; u1: 0 of 1; u2 has nothing relevant.
  EXPECT_DOUBLE_EQ(ComputeRecallAtK(retrieved, relevant, 2), (0.5 + 0.0) / 2);
  EXPECT_DOUBLE_EQ(ComputeRecallAtK(retrieved, relevant, 4), (1.0 + 0.0) / 2);
}

}  // namespace
}  // namespace ember
