#include "common/blocking_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace ember {
namespace {

TEST(BlockingQueueTest, ProducerBlocksWhenFullAndCloseDrains) {
  BlockingQueue<int> queue(2);
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(queue.Push(i));
    queue.Close();
  });
  int expected = 0;
  while (auto item = queue.Pop()) {
    EXPECT_EQ(*item, expected++);
    EXPECT_LE(queue.size(), 2u);
  }
  producer.join();
  EXPECT_EQ(expected, 100);
  EXPECT_FALSE(queue.Push(7));
}

}  // namespace
}  // namespace ember
