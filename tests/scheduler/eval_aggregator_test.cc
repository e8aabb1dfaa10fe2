// EvalAggregator: workers' EVAL_RESULT parts in, an epoch's metrics out,
// joined in rank order whatever order the parts come in.
#include "scheduler/eval_aggregator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/metrics.h"
#include "net/control.h"

namespace ember::scheduler {
namespace {

net::ControlMessage Part(uint32_t rank, uint32_t epoch, uint64_t offset, std::vector<float> probabilities,
                         std::vector<float> labels, bool last, std::vector<uint64_t> groups = {}) {
  net::ControlMessage part;
  part.type = net::ControlType::kEvalResult;
  part.rank = rank;
  part.epoch = epoch;
  part.eval_offset = offset;
  part.eval_last = last;
  part.probabilities = std::move(probabilities);
  part.labels = std::move(labels);
  part.groups = std::move(groups);
  return part;
}

// Adds a part that must be accepted without completing its epoch.
void AddIncomplete(EvalAggregator* evals, const net::ControlMessage& part) {
  StatusOr<std::optional<EpochEvaluation>> added = evals->Add(part);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_FALSE(added->has_value()) << "rank " << part.rank << " offset " << part.eval_offset;
}

// Adds the part that must complete its epoch; returns the evaluation.
EpochEvaluation AddLast(EvalAggregator* evals, const net::ControlMessage& part) {
  StatusOr<std::optional<EpochEvaluation>> added = evals->Add(part);
  EXPECT_TRUE(added.ok()) << added.status();
  EXPECT_TRUE(added.ok() && added->has_value()) << "the epoch is not complete";
  return added.ok() && added->has_value() ? **added : EpochEvaluation{};
}

// Worker 0: samples a0..a3 in two parts; worker 1: b0..b2 in one.
const std::vector<float> kScores0a = {0.9f, 0.2f}, kScores0b = {0.7f, 0.4f}, kScores1 = {0.3f, 0.8f, 0.1f};
const std::vector<float> kLabels0a = {1, 0}, kLabels0b = {1, 0}, kLabels1 = {0, 1, 0};

TEST(EvalAggregatorTest, JoinsThePartsInRankOrderWhateverTheirArrival) {
  const std::vector<float> joined_scores = {0.9f, 0.2f, 0.7f, 0.4f, 0.3f, 0.8f, 0.1f};
  const std::vector<float> joined_labels = {1, 0, 1, 0, 0, 1, 0};
  EvalAggregator rank_order(/*num_workers=*/2, /*ranking_k=*/0);
  AddIncomplete(&rank_order, Part(0, 1, 0, kScores0a, kLabels0a, /*last=*/false));
  AddIncomplete(&rank_order, Part(0, 1, 2, kScores0b, kLabels0b, /*last=*/true));
  EXPECT_EQ(rank_order.pending_epochs(), 1u);
  const EpochEvaluation in_order = AddLast(&rank_order, Part(1, 1, 0, kScores1, kLabels1, /*last=*/true));
  EXPECT_EQ(rank_order.pending_epochs(), 0u);

  EvalAggregator reversed(2, 0);
  AddIncomplete(&reversed, Part(1, 1, 0, kScores1, kLabels1, true));
  AddIncomplete(&reversed, Part(0, 1, 0, kScores0a, kLabels0a, false));
  const EpochEvaluation out_of_order = AddLast(&reversed, Part(0, 1, 2, kScores0b, kLabels0b, true));

  for (const EpochEvaluation* evaluation : {&in_order, &out_of_order}) {
    EXPECT_EQ(evaluation->probabilities, joined_scores);
    EXPECT_EQ(evaluation->metrics.epoch, 1);
    EXPECT_EQ(evaluation->metrics.examples, 7);
    EXPECT_EQ(evaluation->metrics.auc, ComputeAuc(joined_scores, joined_labels));
    EXPECT_EQ(evaluation->metrics.logloss, ComputeLogloss(joined_scores, joined_labels));
    EXPECT_FALSE(evaluation->metrics.has_gauc);
    EXPECT_TRUE(std::isnan(evaluation->metrics.gauc));
    EXPECT_EQ(evaluation->metrics.ranking_k, 0);
    EXPECT_TRUE(std::isnan(evaluation->metrics.hit_rate));
    EXPECT_TRUE(std::isnan(evaluation->metrics.ndcg));
  }
}

TEST(EvalAggregatorTest, EpochsAreGatheredApart) {
  EvalAggregator evals(2, 0);
  AddIncomplete(&evals, Part(0, 0, 0, {0.9f}, {1}, true));
  AddIncomplete(&evals, Part(0, 1, 0, {0.1f}, {1}, true));
  EXPECT_EQ(evals.pending_epochs(), 2u);
  const EpochEvaluation epoch1 = AddLast(&evals, Part(1, 1, 0, {0.8f}, {0}, true));
  EXPECT_EQ(epoch1.metrics.epoch, 1);
  EXPECT_EQ(epoch1.probabilities, (std::vector<float>{0.1f, 0.8f}));
  EXPECT_EQ(epoch1.metrics.auc, 0.0);
  const EpochEvaluation epoch0 = AddLast(&evals, Part(1, 0, 0, {0.2f}, {0}, true));
  EXPECT_EQ(epoch0.metrics.epoch, 0);
  EXPECT_EQ(epoch0.metrics.auc, 1.0);
  EXPECT_EQ(evals.pending_epochs(), 0u);
}

TEST(EvalAggregatorTest, RefusesPartsThatDoNotContinueTheResult) {
  EvalAggregator evals(2, 0);
  // A first part that does not start at sample 0: refused, no epoch left behind.
  StatusOr<std::optional<EpochEvaluation>> gap = evals.Add(Part(0, 0, 2, kScores0b, kLabels0b, true));
  EXPECT_EQ(gap.status().code(), StatusCode::kFailedPrecondition) << gap.status();
  EXPECT_NE(gap.status().message().find("from rank 0 at sample 2"), std::string_view::npos) << gap.status();
  EXPECT_EQ(evals.pending_epochs(), 0u);

  AddIncomplete(&evals, Part(0, 0, 0, kScores0a, kLabels0a, false));
  // A repeated part (offset 0 again): refused, the samples are not doubled.
  EXPECT_EQ(evals.Add(Part(0, 0, 0, kScores0a, kLabels0a, false)).status().code(), StatusCode::kFailedPrecondition);
  AddIncomplete(&evals, Part(0, 0, 2, kScores0b, kLabels0b, true));
  // After the last part: refused.
  StatusOr<std::optional<EpochEvaluation>> late = evals.Add(Part(0, 0, 4, {0.5f}, {1}, true));
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("after the last part"), std::string_view::npos) << late.status();
  // A rank the job does not have.
  EXPECT_EQ(evals.Add(Part(2, 0, 0, {0.5f}, {1}, true)).status().code(), StatusCode::kOutOfRange);

  const EpochEvaluation evaluation = AddLast(&evals, Part(1, 0, 0, kScores1, kLabels1, true));
  EXPECT_EQ(evaluation.metrics.examples, 7);
}

TEST(EvalAggregatorTest, GaucOnlyWhenEverySampleHasAUser) {
  const std::vector<float> scores = {0.9f, 0.2f, 0.3f, 0.8f};
  const std::vector<float> labels = {1, 0, 0, 1};
  const std::vector<uint64_t> users = {7, 7, 8, 8};
  EvalAggregator with_users(2, 0);
  AddIncomplete(&with_users, Part(0, 0, 0, {0.9f, 0.2f}, {1, 0}, true, {7, 7}));
  const EpochEvaluation gauc = AddLast(&with_users, Part(1, 0, 0, {0.3f, 0.8f}, {0, 1}, true, {8, 8}));
  EXPECT_TRUE(gauc.metrics.has_gauc);
  EXPECT_EQ(gauc.metrics.gauc, ComputeGauc(scores, labels, users));

  // Users from one worker only: no GAUC.
  EvalAggregator some_users(2, 0);
  AddIncomplete(&some_users, Part(0, 0, 0, {0.9f, 0.2f}, {1, 0}, true, {7, 7}));
  const EpochEvaluation none = AddLast(&some_users, Part(1, 0, 0, {0.3f, 0.8f}, {0, 1}, true));
  EXPECT_FALSE(none.metrics.has_gauc);
  EXPECT_TRUE(std::isnan(none.metrics.gauc));

  // Every user of one class: GAUC computed, and NaN.
  EvalAggregator one_class(1, 0);
  const EpochEvaluation nan = AddLast(&one_class, Part(0, 0, 0, {0.9f, 0.2f}, {1, 0}, true, {7, 8}));
  EXPECT_TRUE(nan.metrics.has_gauc);
  EXPECT_TRUE(std::isnan(nan.metrics.gauc));
}

TEST(EvalAggregatorTest, RankingMetricsOverTheJoinedGroups) {
  // Leave-one-out groups (a positive, then its negatives), whole per worker.
  const std::vector<float> scores0 = {0.9f, 0.5f, 0.95f, 0.2f, 0.1f, 0.3f};
  const std::vector<float> labels0 = {1, 0, 0, 1, 0, 0};
  const std::vector<float> scores1 = {0.4f, 0.6f, 0.7f};
  const std::vector<float> labels1 = {1, 0, 0};
  std::vector<float> scores = scores0, labels = labels0;
  scores.insert(scores.end(), scores1.begin(), scores1.end());
  labels.insert(labels.end(), labels1.begin(), labels1.end());
  EvalAggregator evals(2, /*ranking_k=*/2);
  AddIncomplete(&evals, Part(1, 0, 0, scores1, labels1, true));
  const EpochEvaluation evaluation = AddLast(&evals, Part(0, 0, 0, scores0, labels0, true));
  const RankingMetrics expected = ComputeGroupedLeaveOneOut(scores, labels, 2);
  EXPECT_EQ(evaluation.metrics.ranking_k, 2);
  EXPECT_EQ(evaluation.metrics.ranking_users, 3);
  EXPECT_EQ(evaluation.metrics.ranking_users, expected.users);
  EXPECT_EQ(evaluation.metrics.hit_rate, expected.hit_rate);
  EXPECT_EQ(evaluation.metrics.ndcg, expected.ndcg);
}

}  // namespace
}  // namespace ember::scheduler
