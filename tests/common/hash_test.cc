#include "common/hash.h"

#include <gtest/gtest.h>

#include <vector>

namespace ember {
namespace {

TEST(HashTest, JumpHashIsBalancedAndMovesFewKeys) {
  constexpr int kKeys = 100000;
  std::vector<int> counts(4, 0);
  int moved = 0;
  for (uint64_t i = 0; i < kKeys; ++i) {
    const Key key = HashFieldToken(i % 26, std::to_string(i));
    const int owner4 = OwnerOfKey(key, 4);
    ASSERT_GE(owner4, 0);
    ASSERT_LT(owner4, 4);
    ++counts[owner4];
    if (OwnerOfKey(key, 5) != owner4) ++moved;
  }
  for (int c : counts) EXPECT_NEAR(c, kKeys / 4, kKeys / 100);
  // Growing 4 -> 5 servers moves about 1/5 of the keys, all to the new one.
  EXPECT_NEAR(moved, kKeys / 5, kKeys / 100);
}

TEST(HashTest, FieldSeparatesEqualTokens) {
  EXPECT_NE(HashFieldToken(0, "68fd1e64"), HashFieldToken(1, "68fd1e64"));
  EXPECT_EQ(HashFieldToken(3, "abc"), HashFieldToken(3, "abc"));
  EXPECT_NE(HashCross(1, 2), HashCross(2, 1));
}

TEST(HashTest, JumpHashKnownValues) {
  // Values from the paper's reference implementation.
  EXPECT_EQ(JumpConsistentHash(0, 1), 0);
  EXPECT_EQ(JumpConsistentHash(1, 10), 6);
  EXPECT_EQ(JumpConsistentHash(0xdeadbeef, 100), JumpConsistentHash(0xdeadbeef, 100));
}

}  // namespace
}  // namespace ember
