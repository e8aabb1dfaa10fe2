// Header round trip, the validator's judgements, and a randomized fuzz of the
// decoder: random bytes and mutations of valid messages never crash it.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/random.h"
#include "ps/wire.h"

namespace ember::ps {
namespace {

constexpr uint64_t kToken = 0x1234567890abcdefULL;

int Dim4(uint32_t table) { return table == 3 ? 4 : -1; }

std::string HeaderBytes(const MessageHeader& h) {
  std::string bytes(kHeaderBytes, '\0');
  EncodeHeader(h, bytes.data());
  return bytes;
}

// A valid PUSH of `n` keys to table 3 (dim 4): header, keys, gradients.
std::vector<std::string> ValidPush(uint64_t n) {
  MessageHeader h = MakeHeader(MessageType::kPush, kToken, 99);
  h.table_id = 3;
  h.value_dim = 4;
  h.item_count = n;
  h.payload_bytes = n * 8 + n * 16;
  return {HeaderBytes(h), std::string(n * 8, 'k'), std::string(n * 16, 'g')};
}

Status Parse(const std::vector<std::string>& frames, MessageHeader* h, bool* authenticated) {
  std::vector<std::string_view> views(frames.begin(), frames.end());
  return ParseMessage(views, kToken, Dim4, h, authenticated);
}

TEST(WireTest, HeaderRoundTripsEveryField) {
  MessageHeader h;
  h.type = static_cast<uint16_t>(MessageType::kPullReply);
  h.status_code = 14;
  h.flags = 0xbeef;
  h.table_id = 0xdeadbeef;
  h.job_token = 0x0102030405060708ULL;
  h.request_id = 0xfffffffffffffff1ULL;
  h.item_count = 1ULL << 40;
  h.payload_bytes = 123456789012345ULL;
  h.value_dim = 65536;
  h.aux = 77;
  h.step = 0x1122334455667788ULL;
  const std::string bytes = HeaderBytes(h);
  // Little-endian on the wire whatever the host: the magic reads "EMPS".
  EXPECT_EQ(bytes.substr(0, 4), "EMPS");
  EXPECT_EQ(static_cast<unsigned char>(bytes[16]), 0x08);
  MessageHeader back;
  ASSERT_TRUE(DecodeHeader(bytes, &back).ok());
  EXPECT_EQ(back.magic, kWireMagic);
  EXPECT_EQ(back.version, kWireVersion);
  EXPECT_EQ(back.type, h.type);
  EXPECT_EQ(back.status_code, h.status_code);
  EXPECT_EQ(back.flags, h.flags);
  EXPECT_EQ(back.table_id, h.table_id);
  EXPECT_EQ(back.job_token, h.job_token);
  EXPECT_EQ(back.request_id, h.request_id);
  EXPECT_EQ(back.item_count, h.item_count);
  EXPECT_EQ(back.payload_bytes, h.payload_bytes);
  EXPECT_EQ(back.value_dim, h.value_dim);
  EXPECT_EQ(back.aux, h.aux);
  EXPECT_EQ(back.step, h.step);
}

TEST(WireTest, FlagsAndStepBelongToTheirTypes) {
  MessageHeader h;
  bool authenticated = false;
  auto push = ValidPush(2);
  MessageHeader edited;
  ASSERT_TRUE(DecodeHeader(push[0], &edited).ok());
  edited.flags = kFlagEndOfStep;
  edited.aux = 3;
  edited.step = 12;
  push[0] = HeaderBytes(edited);
  EXPECT_TRUE(Parse(push, &h, &authenticated).ok());
  EXPECT_EQ(h.step, 12u);
  edited.flags = kFlagChecksums;  // a STATS flag
  push[0] = HeaderBytes(edited);
  EXPECT_FALSE(Parse(push, &h, &authenticated).ok());
  MessageHeader stats = MakeHeader(MessageType::kStats, kToken, 1);
  stats.flags = kFlagChecksums;
  EXPECT_TRUE(Parse({HeaderBytes(stats)}, &h, &authenticated).ok());
  stats.step = 1;  // no step outside PULL and PUSH
  EXPECT_FALSE(Parse({HeaderBytes(stats)}, &h, &authenticated).ok());
}

TEST(WireTest, FixedHelpersAreLittleEndian) {
  char buf[8];
  EncodeFixed64(buf, 0x0807060504030201ULL);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(buf[i], i + 1);
  EXPECT_EQ(DecodeFixed64(buf), 0x0807060504030201ULL);
  EncodeFloat(buf, 1.5f);
  EXPECT_EQ(DecodeFloat(buf), 1.5f);
  EXPECT_EQ(DecodeFixed32(buf), 0x3fc00000u);
}

TEST(WireTest, ValidMessagesParse) {
  MessageHeader h;
  bool authenticated = false;
  EXPECT_TRUE(Parse(ValidPush(5), &h, &authenticated).ok());
  EXPECT_TRUE(authenticated);
  EXPECT_TRUE(Parse(ValidPush(0), &h, &authenticated).ok());
  MessageHeader hello = MakeHeader(MessageType::kHello, kToken, 1);
  EXPECT_TRUE(Parse({HeaderBytes(hello)}, &h, &authenticated).ok());
}

TEST(WireTest, EachBadFieldIsNamed) {
  struct Case {
    std::string name;
    std::vector<std::string> frames;
    std::string want;
    bool authenticated;
  };
  std::vector<Case> cases;
  auto push = ValidPush(2);
  MessageHeader h;
  ASSERT_TRUE(DecodeHeader(push[0], &h).ok());
  auto with = [&](auto edit) {
    MessageHeader copy = h;
    edit(copy);
    std::vector<std::string> frames = push;
    frames[0] = HeaderBytes(copy);
    return frames;
  };
  cases.push_back({"magic", with([](MessageHeader& x) { x.magic = 0x11223344; }), "bad magic", false});
  cases.push_back({"version", with([](MessageHeader& x) { x.version = 1; }), "wire version 1", false});
  cases.push_back({"token", with([](MessageHeader& x) { x.job_token = 1; }), "wrong job token", false});
  cases.push_back({"type", with([](MessageHeader& x) { x.type = 0x77; }), "unknown message type 119", true});
  cases.push_back({"payload", with([](MessageHeader& x) { x.payload_bytes = 49; }), "payload_bytes 49", true});
  cases.push_back({"count", with([](MessageHeader& x) {
                     x.item_count = 3;
                     x.payload_bytes = 48;
                   }),
                   "keys frame is 16 bytes", true});
  cases.push_back({"huge count", with([](MessageHeader& x) { x.item_count = 1ULL << 62; }), "keys frame", true});
  cases.push_back({"table", with([](MessageHeader& x) { x.table_id = 9; }), "unknown table 9", true});
  cases.push_back({"dim", with([](MessageHeader& x) { x.value_dim = 5; }), "value_dim 5", true});
  cases.push_back({"flags", with([](MessageHeader& x) { x.flags = 1; }), "unknown flags", true});
  cases.push_back({"status", with([](MessageHeader& x) { x.status_code = 3; }), "status code 3", true});
  auto short_header = push;
  short_header[0].resize(40);
  cases.push_back({"short header", short_header, "header frame is 40 bytes", false});
  auto missing_frame = push;
  missing_frame.pop_back();
  cases.push_back({"frames", missing_frame, "payload_bytes", true});
  auto bad_grads = push;
  bad_grads[2].resize(31);
  bad_grads[1].resize(17);  // payload sum still 48
  cases.push_back({"frame sizes", bad_grads, "keys frame is 17 bytes", true});
  auto extra = push;
  extra.push_back("");
  cases.push_back({"extra frame", extra, "3 frames after the header, at most 2", true});
  for (const Case& c : cases) {
    MessageHeader out;
    bool authenticated = !c.authenticated;
    Status s = Parse(c.frames, &out, &authenticated);
    EXPECT_FALSE(s.ok()) << c.name;
    EXPECT_NE(s.message().find(c.want), std::string_view::npos) << c.name << ": " << s;
    EXPECT_EQ(authenticated, c.authenticated) << c.name;
  }
}

TEST(WireTest, FuzzedFramesNeverCrashTheDecoder) {
  Rng rng(2024);
  int accepted = 0;
  const auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng.Next());
    return s;
  };
  for (int i = 0; i < 10000; ++i) {
    std::vector<std::string> frames;
    switch (rng.UniformInt(3)) {
      case 0: {  // random frames
        const size_t count = rng.UniformInt(5);
        for (size_t f = 0; f < count; ++f) {
          frames.push_back(random_bytes(f == 0 && rng.UniformInt(2) ? kHeaderBytes : rng.UniformInt(80)));
        }
        break;
      }
      case 1: {  // a valid push with a few random header bytes flipped
        frames = ValidPush(rng.UniformInt(4));
        const int flips = 1 + static_cast<int>(rng.UniformInt(3));
        for (int f = 0; f < flips; ++f) {
          frames[0][rng.UniformInt(kHeaderBytes)] ^= static_cast<char>(1 + rng.UniformInt(255));
        }
        break;
      }
      default: {  // a valid push with frames resized, dropped or added
        frames = ValidPush(1 + rng.UniformInt(4));
        const size_t f = rng.UniformInt(frames.size());
        switch (rng.UniformInt(3)) {
          case 0:
            frames[f].resize(rng.UniformInt(100));
            break;
          case 1:
            frames.erase(frames.begin() + static_cast<std::ptrdiff_t>(f));
            break;
          default:
            frames.push_back(random_bytes(rng.UniformInt(16)));
            break;
        }
      }
    }
    MessageHeader h;
    bool authenticated = false;
    if (Parse(frames, &h, &authenticated).ok()) {
      ++accepted;
      // Anything accepted is self-consistent.
      uint64_t sum = 0;
      for (size_t f = 1; f < frames.size(); ++f) sum += frames[f].size();
      EXPECT_EQ(sum, h.payload_bytes);
      EXPECT_TRUE(authenticated);
    }
  }
  // Flipped bytes inside request_id (and the payload, untouched here) keep a push valid.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 10000);
}

}  // namespace
}  // namespace ember::ps
