#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "common/random.h"
#include "sparse/dedup.h"

namespace ember::ps {
namespace {

void ExpectValid(const std::vector<Key>& input, const sparse::UniqueKeys& unique) {
  ASSERT_EQ(unique.inverse.size(), input.size());
  std::map<Key, int32_t> first;
  for (size_t i = 0; i < input.size(); ++i) first.emplace(input[i], static_cast<int32_t>(first.size()));
  ASSERT_EQ(unique.keys.size(), first.size());
  for (size_t i = 0; i < input.size(); ++i) {
    ASSERT_GE(unique.inverse[i], 0);
    ASSERT_LT(static_cast<size_t>(unique.inverse[i]), unique.keys.size());
    EXPECT_EQ(unique.keys[static_cast<size_t>(unique.inverse[i])], input[i]) << "occurrence " << i;
    EXPECT_EQ(unique.inverse[i], first[input[i]]) << "first-occurrence order, occurrence " << i;
  }
}

TEST(DedupTest, SmallExample) {
  const std::vector<Key> input = {5, 3, 5, 0, 3, 3, ~Key{0}, 0};
  sparse::UniqueKeys unique;
  sparse::Dedup(input, &unique);
  EXPECT_EQ(unique.keys, (std::vector<Key>{5, 3, 0, ~Key{0}}));
  EXPECT_EQ(unique.inverse, (std::vector<int32_t>{0, 1, 0, 2, 1, 1, 3, 2}));
}

TEST(DedupTest, EmptyInputAndCapacityReuse) {
  sparse::UniqueKeys unique;
  sparse::Dedup(std::vector<Key>{1, 2, 3}, &unique);
  sparse::Dedup({}, &unique);
  EXPECT_TRUE(unique.keys.empty());
  EXPECT_TRUE(unique.inverse.empty());
  sparse::Dedup(std::vector<Key>(1000, 42), &unique);
  const size_t capacity = unique.keys.capacity();
  sparse::Dedup(std::vector<Key>(500, 7), &unique);
  EXPECT_EQ(unique.keys, std::vector<Key>{7});
  EXPECT_EQ(unique.keys.capacity(), capacity);
}

TEST(DedupTest, RandomBatchesMatchAReference) {
  Rng rng(9);
  sparse::UniqueKeys unique;
  for (int round = 0; round < 50; ++round) {
    const size_t n = rng.UniformInt(5000);
    const uint64_t range = 1 + rng.UniformInt(2 * n + 1);
    std::vector<Key> input(n);
    // Keys that collide in their low bits exercise the probing.
    for (Key& key : input) key = rng.UniformInt(range) << 20;
    sparse::Dedup(input, &unique);
    ExpectValid(input, unique);
  }
}

}  // namespace
}  // namespace ember::ps
