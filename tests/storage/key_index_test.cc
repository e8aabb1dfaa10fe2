#include <unordered_map>

#include <gtest/gtest.h>

#include "common/random.h"
#include "storage/key_index.h"

namespace ember::storage {
namespace {

TEST(KeyIndexTest, InsertFindEraseMatchAReference) {
  KeyIndex index;
  std::unordered_map<Key, uint32_t> reference;
  Rng rng(5);
  uint32_t next = 0;
  for (int op = 0; op < 200000; ++op) {
    const Key key = rng.UniformInt(5000) * 0x10000;  // low bits all zero
    switch (rng.UniformInt(3)) {
      case 0: {
        bool inserted = false;
        const uint32_t slot = index.FindOrInsert(key, next, &inserted);
        auto [it, fresh] = reference.emplace(key, next);
        ASSERT_EQ(inserted, fresh);
        ASSERT_EQ(slot, it->second);
        if (fresh) ++next;
        break;
      }
      case 1: {
        auto it = reference.find(key);
        ASSERT_EQ(index.Find(key), it == reference.end() ? KeyIndex::kNotFound : it->second);
        break;
      }
      default: {
        auto it = reference.find(key);
        ASSERT_EQ(index.Erase(key), it == reference.end() ? KeyIndex::kNotFound : it->second);
        if (it != reference.end()) reference.erase(it);
      }
    }
    ASSERT_EQ(index.size(), reference.size());
  }
  size_t seen = 0;
  index.ForEach([&](Key key, uint32_t slot) {
    ++seen;
    EXPECT_EQ(reference.at(key), slot);
  });
  EXPECT_EQ(seen, reference.size());
}

}  // namespace
}  // namespace ember::storage
