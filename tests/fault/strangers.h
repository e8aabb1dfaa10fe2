// tests/fault/strangers.h: generators of bad ember messages, as a stranger
// on a server's port sends them (no token, wrong token, truncated headers,
// random frames, huge declared lengths, frames that do not match their
// header, a wrong wire version). Shared by stranger_test.cc (against a
// ps::Server in the test process) and mpi_stranger_test.cc (against the
// server rank of a whole mpirun job). Header-only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/coding.h"
#include "common/random.h"
#include "ps/wire.h"

namespace ember::ps::strangers {

// The token, table and value dim that the "authenticated" kinds use. A
// server of another job (another token) sees every message as unauthenticated.
constexpr uint64_t kToken = 0x5eedf00dcafe1234ULL;
constexpr uint32_t kTableId = 1;
constexpr int kDim = 16;

inline std::string EncodedHeader(const MessageHeader& header) {
  std::string bytes(kHeaderBytes, '\0');
  EncodeHeader(header, bytes.data());
  return bytes;
}

// ---- Bad ember messages. ----

struct BadMessage {
  std::vector<std::string> frames;  // at least one
  bool expect_reply = false;        // authenticated known request: an error reply comes back
};

inline std::string RandomBytes(Rng& rng, size_t n) {
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.Next());
  return bytes;
}

// A PULL or PUSH whose frames agree with the header, with `token`.
inline BadMessage ConsistentRequest(Rng& rng, uint64_t token) {
  const bool push = rng.UniformInt(2) == 1;
  const uint64_t n = 1 + rng.UniformInt(64);
  MessageHeader h = MakeHeader(push ? MessageType::kPush : MessageType::kPull, token, rng.Next());
  h.table_id = kTableId;
  h.value_dim = kDim;
  h.item_count = n;
  h.payload_bytes = n * 8 + (push ? n * kDim * 4 : 0);
  BadMessage m;
  m.frames = {EncodedHeader(h), RandomBytes(rng, n * 8)};
  if (push) m.frames.push_back(std::string(n * kDim * 4, '\0'));
  return m;
}

// Kinds of bad messages, drawn in turn by every stranger.
enum BadKind {
  kNoToken,
  kWrongToken,
  kTruncatedHeader,
  kRandomFrames,
  kHugeLengthsNoToken,
  kHugeLengthsWithToken,
  kMismatchedFrames,
  kWrongVersion,
  kNumBadKinds
};

inline BadMessage MakeBadMessage(Rng& rng, BadKind kind) {
  switch (kind) {
    case kNoToken:
      return ConsistentRequest(rng, 0);
    case kWrongToken: {
      uint64_t token = rng.Next();
      if (token == kToken) token ^= 1;
      return ConsistentRequest(rng, token);
    }
    case kTruncatedHeader: {
      BadMessage m = ConsistentRequest(rng, rng.UniformInt(2) == 0 ? kToken : rng.Next());
      m.frames[0].resize(rng.UniformInt(kHeaderBytes));  // 0..55 bytes
      if (rng.UniformInt(2) == 0) m.frames.resize(1);
      return m;
    }
    case kRandomFrames: {
      BadMessage m;
      const size_t frames = 1 + rng.UniformInt(8);
      for (size_t i = 0; i < frames; ++i) {
        const size_t size = rng.UniformInt(4) == 0 ? kHeaderBytes : rng.UniformInt(2048);
        m.frames.push_back(RandomBytes(rng, size));
      }
      if (m.frames[0].size() >= 4 && DecodeFixed32(m.frames[0].data()) == kWireMagic) m.frames[0][0] ^= 1;
      return m;
    }
    case kHugeLengthsNoToken:
    case kHugeLengthsWithToken: {
      const bool with_token = kind == kHugeLengthsWithToken;
      const bool push = rng.UniformInt(2) == 1;
      MessageHeader h =
          MakeHeader(push ? MessageType::kPush : MessageType::kPull, with_token ? kToken : rng.Next() | 1, rng.Next());
      if (!with_token && h.job_token == kToken) h.job_token ^= 2;
      h.table_id = kTableId;
      h.value_dim = kDim;
      const uint64_t near_2_63 = (1ULL << 63) - rng.UniformInt(1024);
      BadMessage m;
      m.frames.push_back("");
      m.frames.push_back(RandomBytes(rng, 8 * (1 + rng.UniformInt(4))));
      if (push) m.frames.push_back(RandomBytes(rng, 64));
      switch (rng.UniformInt(4)) {
        case 0:  // both huge
          h.item_count = near_2_63;
          h.payload_bytes = near_2_63;
          break;
        case 1:  // payload bytes right, item count huge: item_count x 8 overflows
          h.item_count = (1ULL << 61) + rng.UniformInt(16);
          h.payload_bytes = m.frames[1].size() + (push ? 64 : 0);
          break;
        case 2:  // item count whose products wrap to exactly the frame sizes
          h.item_count = (1ULL << 61) + m.frames[1].size() / 8;
          h.payload_bytes = m.frames[1].size() + (push ? 64 : 0);
          break;
        default:  // ~0
          h.item_count = ~0ULL;
          h.payload_bytes = ~0ULL;
          break;
      }
      m.frames[0] = EncodedHeader(h);
      m.expect_reply = with_token;
      return m;
    }
    case kMismatchedFrames: {
      BadMessage m = ConsistentRequest(rng, kToken);
      MessageHeader h;
      EXPECT_TRUE(DecodeHeader(m.frames[0], &h).ok());
      const bool push = h.type == static_cast<uint16_t>(MessageType::kPush);
      m.expect_reply = true;
      switch (rng.UniformInt(11)) {
        case 0:  // keys frame one key short
          m.frames[1].resize(m.frames[1].size() - 8);
          break;
        case 1:  // keys frame not a multiple of 8
          m.frames[1].push_back('x');
          h.payload_bytes += 1;
          break;
        case 2:  // a missing frame
          h.payload_bytes -= m.frames.back().size();
          m.frames.pop_back();
          break;
        case 3:  // three payload frames
          m.frames.push_back("abcd");
          h.payload_bytes += 4;
          break;
        case 4:  // wrong dim
          h.value_dim = kDim + 1;
          break;
        case 5:  // unknown table
          h.table_id = 999;
          break;
        case 6:  // a status code in a request
          h.status_code = 3;
          break;
        case 7:  // unknown flags
          h.flags = 0x80;
          break;
        case 8:  // payload_bytes off by one
          h.payload_bytes += 1;
          break;
        case 9:  // a reply type sent to a server: rejected, never answered
          h.type =
              push ? static_cast<uint16_t>(MessageType::kPushReply) : static_cast<uint16_t>(MessageType::kPullReply);
          m.expect_reply = false;
          break;
        default:  // an unknown type: rejected, never answered
          h.type = 0x77;
          m.expect_reply = false;
          break;
      }
      if (push && h.type == static_cast<uint16_t>(MessageType::kPushReply)) {
        // A well-formed PUSH_REPLY has no frames; keep this one malformed.
        h.payload_bytes += 1;
      }
      m.frames[0] = EncodedHeader(h);
      return m;
    }
    case kWrongVersion: {
      BadMessage m = ConsistentRequest(rng, kToken);
      EncodeFixed16(m.frames[0].data() + 4, static_cast<uint16_t>(kWireVersion + 1 + rng.UniformInt(100)));
      return m;  // version is checked before the token: no reply
    }
    case kNumBadKinds:
      break;
  }
  return {};
}

}  // namespace ember::ps::strangers
