// StepBarrier (--sync) without sockets: pushes come back in rank order
// whatever their arrival, a step waits for every worker, pulls wait for the
// steps before theirs, and pushes or pulls that break the protocol are
// refused without being taken.
#include "ps/step_barrier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace ember::ps {
namespace {

// A push or pull, as the barrier sees it: who sent it, and which of theirs.
struct Message {
  uint32_t rank = 0;
  int index = 0;
  bool operator==(const Message&) const = default;
};

TEST(StepBarrierTest, EveryArrivalOrderComesBackInRankOrder) {
  std::vector<uint32_t> arrival = {0, 1, 2};
  do {
    StepBarrier<Message> barrier(3);
    for (size_t k = 0; k < arrival.size(); ++k) {
      EXPECT_FALSE(barrier.StepComplete()) << "complete before worker " << arrival[k] << " ended the step";
      ASSERT_TRUE(barrier.AddPush(arrival[k], 0, /*ends_step=*/true, Message{arrival[k], 0}).ok());
      EXPECT_EQ(barrier.buffered_pushes(), k + 1);
    }
    ASSERT_TRUE(barrier.StepComplete());
    EXPECT_EQ(barrier.PopStep(), (std::vector<Message>{{0, 0}, {1, 0}, {2, 0}}));
    EXPECT_EQ(barrier.applied_steps(), 1u);
    EXPECT_EQ(barrier.buffered_pushes(), 0u);
    EXPECT_EQ(barrier.buffered_steps(), 0u);
    EXPECT_FALSE(barrier.StepComplete());
  } while (std::next_permutation(arrival.begin(), arrival.end()));
}

TEST(StepBarrierTest, ARanksPushesKeepTheirOrderAndOnlyTheLastEndsTheStep) {
  StepBarrier<Message> barrier(2);
  ASSERT_TRUE(barrier.AddPush(1, 0, false, {1, 0}).ok());
  ASSERT_TRUE(barrier.AddPush(0, 0, false, {0, 0}).ok());
  ASSERT_TRUE(barrier.AddPush(1, 0, false, {1, 1}).ok());
  ASSERT_TRUE(barrier.AddPush(0, 0, true, {0, 1}).ok());
  EXPECT_FALSE(barrier.StepComplete()) << "rank 1 has not ended step 0";
  ASSERT_TRUE(barrier.AddPush(1, 0, true, {1, 2}).ok());
  ASSERT_TRUE(barrier.StepComplete());
  EXPECT_EQ(barrier.PopStep(), (std::vector<Message>{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {1, 2}}));
}

TEST(StepBarrierTest, ALaterStepWaitsForTheOneBefore) {
  StepBarrier<Message> barrier(2);
  // Both workers end step 1 while rank 1 has not ended step 0.
  ASSERT_TRUE(barrier.AddPush(0, 0, true, {0, 0}).ok());
  ASSERT_TRUE(barrier.AddPush(0, 1, true, {0, 1}).ok());
  ASSERT_TRUE(barrier.AddPush(1, 1, true, {1, 1}).ok());
  EXPECT_FALSE(barrier.StepComplete());
  EXPECT_EQ(barrier.buffered_steps(), 2u);
  ASSERT_TRUE(barrier.AddPush(1, 0, true, {1, 0}).ok());
  ASSERT_TRUE(barrier.StepComplete());
  EXPECT_EQ(barrier.PopStep(), (std::vector<Message>{{0, 0}, {1, 0}}));
  ASSERT_TRUE(barrier.StepComplete()) << "step 1 was complete already";
  EXPECT_EQ(barrier.PopStep(), (std::vector<Message>{{0, 1}, {1, 1}}));
  EXPECT_EQ(barrier.applied_steps(), 2u);
}

TEST(StepBarrierTest, PullsWaitForTheStepsBeforeTheirsInArrivalOrder) {
  StepBarrier<Message> barrier(1);
  EXPECT_FALSE(barrier.MustHoldPull(0));
  ASSERT_TRUE(barrier.MustHoldPull(2));
  ASSERT_TRUE(barrier.HoldPull(0, 2, {0, 20}).ok());
  ASSERT_TRUE(barrier.MustHoldPull(1));
  ASSERT_TRUE(barrier.HoldPull(0, 1, {0, 10}).ok());
  ASSERT_TRUE(barrier.HoldPull(0, 1, {0, 11}).ok());
  EXPECT_EQ(barrier.held_pulls(), 3u);
  EXPECT_TRUE(barrier.ReleasePulls().empty()) << "no step applied";
  ASSERT_TRUE(barrier.AddPush(0, 0, true, {0, 0}).ok());
  ASSERT_EQ(barrier.PopStep().size(), 1u);
  EXPECT_EQ(barrier.ReleasePulls(), (std::vector<Message>{{0, 10}, {0, 11}}));
  EXPECT_EQ(barrier.held_pulls(), 1u);
  ASSERT_TRUE(barrier.AddPush(0, 1, true, {0, 1}).ok());
  ASSERT_EQ(barrier.PopStep().size(), 1u);
  EXPECT_EQ(barrier.ReleasePulls(), (std::vector<Message>{{0, 20}}));
}

TEST(StepBarrierTest, ProtocolBreachesAreRefusedAndNotTaken) {
  StepBarrier<Message> barrier(2);
  const auto refused = [](const Status& status, const char* says) {
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find(says), std::string_view::npos) << status;
    EXPECT_NE(status.message().find("(--sync)"), std::string_view::npos) << status;
  };
  refused(barrier.AddPush(2, 0, true, {2, 0}), "the job has 2 workers");
  refused(barrier.AddPush(0, StepBarrier<Message>::kMaxStepsAhead, true, {0, 0}), "is the next to apply");
  refused(barrier.HoldPull(0, StepBarrier<Message>::kMaxStepsAhead + 1, {0, 0}), "is not applied yet");
  ASSERT_TRUE(barrier.AddPush(0, 0, true, {0, 0}).ok());
  refused(barrier.AddPush(0, 0, false, {0, 1}), "after that worker ended the step");
  EXPECT_EQ(barrier.buffered_pushes(), 1u) << "a refused push is not taken";
  EXPECT_EQ(barrier.held_pulls(), 0u) << "a refused pull is not taken";
  ASSERT_TRUE(barrier.AddPush(1, 0, true, {1, 0}).ok());
  ASSERT_EQ(barrier.PopStep().size(), 2u);
  refused(barrier.AddPush(0, 0, true, {0, 2}), "is the next to apply");  // step 0 is applied
}

TEST(StepBarrierTest, ARestoredBarrierStartsAtItsStep) {
  StepBarrier<Message> barrier(1);
  barrier.StartAt(7);
  EXPECT_EQ(barrier.applied_steps(), 7u);
  EXPECT_FALSE(barrier.MustHoldPull(7));
  EXPECT_TRUE(barrier.MustHoldPull(8));
  EXPECT_FALSE(barrier.AddPush(0, 6, true, {0, 0}).ok());
  ASSERT_TRUE(barrier.AddPush(0, 7, true, {0, 0}).ok());
  ASSERT_TRUE(barrier.StepComplete());
}

}  // namespace
}  // namespace ember::ps
