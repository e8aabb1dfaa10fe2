#include "common/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
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

TEST(MetricsTest, LoglossMatchesHandValue) {
  std::vector<float> p = {0.8f, 0.4f};
  std::vector<float> y = {1, 0};
  EXPECT_NEAR(ComputeLogloss(p, y), -(std::log(0.8) + std::log(0.6)) / 2, 1e-7);
}

}  // namespace
}  // namespace ember
