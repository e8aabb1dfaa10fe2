// net/control.h over a real inproc PAIR: every type's payload round-trips,
// an eval result's part fields travel, and no frame past
// kMaxControlFrameBytes leaves the sender.
#include "net/control.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace ember::net {
namespace {

constexpr uint64_t kToken = 0x70ce70ce70ce70ceULL;

class ControlTest : public ::testing::Test {
 protected:
  ControlTest() : sender_(context_, zmq::socket_type::pair), receiver_(context_, zmq::socket_type::pair) {
    receiver_.bind("inproc://control-test");
    sender_.connect("inproc://control-test");
  }

  // Sends `message` and decodes what arrives.
  ControlMessage RoundTrip(const ControlMessage& message) {
    EXPECT_TRUE(SendControl(&sender_, message).ok());
    std::vector<zmq::message_t> frames;
    EXPECT_TRUE(zmq::recv_multipart(receiver_, std::back_inserter(frames)));
    ControlMessage decoded;
    const Status status = DecodeControl(frames, kToken, &decoded);
    EXPECT_TRUE(status.ok()) << status;
    return decoded;
  }

  zmq::context_t context_;
  zmq::socket_t sender_, receiver_;
};

ControlMessage Header(ControlType type) {
  ControlMessage m;
  m.type = type;
  m.job_token = kToken;
  m.rank = 3;
  m.epoch = 2;
  m.step = 77;
  return m;
}

TEST_F(ControlTest, EvalResultPartsCarryTheirOffsetAndLastFlag) {
  ControlMessage m = Header(ControlType::kEvalResult);
  m.probabilities = {0.25f, 0.5f, 0.75f};
  m.labels = {0.f, 1.f, 1.f};
  m.groups = {9, 9, 10};
  m.eval_offset = 16384;
  m.eval_last = false;
  const ControlMessage got = RoundTrip(m);
  EXPECT_EQ(got.probabilities, m.probabilities);
  EXPECT_EQ(got.labels, m.labels);
  EXPECT_EQ(got.groups, m.groups);
  EXPECT_EQ(got.eval_offset, 16384u);
  EXPECT_FALSE(got.eval_last);
  EXPECT_EQ(got.rank, 3u);
  EXPECT_EQ(got.epoch, 2u);
  // An empty last part (a worker whose part of the eval files ended on a
  // part boundary).
  ControlMessage last = Header(ControlType::kEvalResult);
  last.eval_offset = 32768;
  const ControlMessage got_last = RoundTrip(last);
  EXPECT_TRUE(got_last.eval_last);
  EXPECT_TRUE(got_last.labels.empty());
  EXPECT_EQ(got_last.eval_offset, 32768u);
}

TEST_F(ControlTest, TextAndNumbersRoundTrip) {
  ControlMessage failed = Header(ControlType::kFailed);
  failed.text = "worker 3: DataLoss: every line read was malformed";
  EXPECT_EQ(RoundTrip(failed).text, failed.text);
  ControlMessage done = Header(ControlType::kDone);
  done.numbers = {1e6, 12.5};
  done.dense_checksum = 0xfeedULL;
  const ControlMessage got = RoundTrip(done);
  EXPECT_EQ(got.numbers, done.numbers);
  EXPECT_EQ(got.dense_checksum, 0xfeedULL);
}

// The scheduler's socket drops a peer that sends a larger frame; the sender
// learns it here instead of from a silent disconnect.
TEST_F(ControlTest, AFramePastTheCapIsRefusedBeforeItIsSent) {
  ControlMessage failed = Header(ControlType::kFailed);
  failed.text.assign(kMaxControlFrameBytes + 1, 'x');
  const Status status = SendControl(&sender_, failed);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("at most " + std::to_string(kMaxControlFrameBytes)), std::string::npos) << status;
  ControlMessage eval = Header(ControlType::kEvalResult);
  eval.probabilities.assign(kMaxEvalSamplesPerMessage, 0.5f);
  eval.labels.assign(kMaxEvalSamplesPerMessage, 1.f);
  eval.groups.assign(kMaxEvalSamplesPerMessage, 4);
  EXPECT_EQ(RoundTrip(eval).groups.size(), kMaxEvalSamplesPerMessage) << "a full part fits";
  eval.groups.push_back(4);
  eval.probabilities.push_back(0.5f);
  eval.labels.push_back(1.f);
  EXPECT_EQ(SendControl(&sender_, eval).code(), StatusCode::kInvalidArgument) << "one sample past a part";
}

}  // namespace
}  // namespace ember::net
