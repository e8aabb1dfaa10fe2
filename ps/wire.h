// ps/wire.h: the parameter-server wire format (spec: docs/wire_format.md).
//
// Every message is a ZeroMQ multipart message: frame 0 is a fixed 64-byte
// little-endian header, encoded field by field (never a struct memcpy); the
// frames after it are raw little-endian arrays (keys as uint64, values as
// float32) whose sizes the header states. A receiver runs ParseMessage on
// the frames before it touches a payload byte. Pure functions; thread-safe.
//
//   MessageHeader h = MakeHeader(MessageType::kPull, token, request_id);
//   h.table_id = 3; h.item_count = n; h.value_dim = 16; h.payload_bytes = n * 8;
//   char header_bytes[kHeaderBytes];
//   EncodeHeader(h, header_bytes);
//   ...
//   Status s = ParseMessage(frames, token, table_dim, &h, &authenticated);
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "common/coding.h"
#include "common/hash.h"
#include "common/status.h"

namespace ember::ps {

inline constexpr uint32_t kWireMagic = 0x53504D45;  // bytes "EMPS"
inline constexpr uint16_t kWireVersion = 4;  // 1: 56-byte header without step; 2: no CHECKPOINT; 3: no kFlagPartial
inline constexpr size_t kHeaderBytes = 64;
// Most frames after the header that any message type has.
inline constexpr size_t kMaxPayloadFrames = 2;
// Bytes per table entry of a HELLO reply: id, dim, optimizer type (u32 each).
inline constexpr size_t kHelloTableEntryBytes = 12;
// The fixed int64 entries of a STATS reply before the per-table row counts:
// rejected messages, pulls, pushes.
inline constexpr size_t kStatsFixedEntries = 3;
// Longest directory path a CHECKPOINT request may name, and longest file
// list its reply may carry.
inline constexpr size_t kMaxCheckpointPathBytes = 4096;
inline constexpr size_t kMaxCheckpointReplyBytes = size_t{16} << 20;
// Most keys a client puts in one PULL or PUSH (ClientOptions and
// ServerOptions::max_keys_per_message default to it): a larger request goes
// out as several messages.
inline constexpr size_t kMaxKeysPerMessage = 4096;

// The largest frame a client of a server whose widest table has `max_dim`
// floats per row sends, when its requests carry at most `max_keys` keys:
// the PUSH's gradient frame, its key frame, or a CHECKPOINT's directory.
// The server's socket drops a peer that sends a larger frame before it is
// buffered (ServerOptions::max_keys_per_message).
inline constexpr size_t MaxRequestFrameBytes(size_t max_keys, int max_dim) {
  const size_t row_bytes = sizeof(float) * static_cast<size_t>(max_dim > 0 ? max_dim : 0);
  const size_t payload = max_keys * (row_bytes > sizeof(uint64_t) ? row_bytes : sizeof(uint64_t));
  const size_t fixed = kMaxCheckpointPathBytes > kHeaderBytes ? kMaxCheckpointPathBytes : kHeaderBytes;
  return payload > fixed ? payload : fixed;
}

enum class MessageType : uint16_t {
  kHello = 1,
  kPull = 2,
  kPush = 3,
  kStats = 4,
  kShutdown = 5,
  kCheckpoint = 6,
  kHelloReply = 0x81,
  kPullReply = 0x82,
  kPushReply = 0x83,
  kStatsReply = 0x84,
  kShutdownReply = 0x85,
  kCheckpointReply = 0x86,
};
inline constexpr uint16_t kReplyBit = 0x80;
// PULL flag: a missing key reads as zeros and no row is created.
inline constexpr uint16_t kFlagNoCreate = 0x1;
// PUSH flag (--sync): the worker's last push of its step to this server.
inline constexpr uint16_t kFlagEndOfStep = 0x2;
// STATS flag: the reply also carries a checksum of every table's rows.
inline constexpr uint16_t kFlagChecksums = 0x4;
// PUSH flag: more messages of the same request follow (a request of more
// than ClientOptions::max_keys_per_message keys); the server's push clock
// advances at the request's last message only.
inline constexpr uint16_t kFlagPartial = 0x8;

// "HELLO", "PULL_REPLY", ...; "TYPE(N)" for an unknown value.
std::string MessageTypeName(uint16_t type);
bool IsKnownMessageType(uint16_t type);
inline bool IsReply(uint16_t type) { return (type & kReplyBit) != 0; }
inline MessageType ReplyTypeOf(MessageType request) {
  return static_cast<MessageType>(static_cast<uint16_t>(request) | kReplyBit);
}

struct MessageHeader {
  uint32_t magic = kWireMagic;
  uint16_t version = kWireVersion;
  uint16_t type = 0;         // a MessageType value; raw so unknown values survive decoding
  uint16_t status_code = 0;  // a StatusCode; 0 in requests and successful replies
  uint16_t flags = 0;        // kFlagNoCreate on PULL, kFlagEndOfStep and kFlagPartial on PUSH, kFlagChecksums on STATS
  uint32_t table_id = 0;     // PULL, PUSH and their replies; 0 elsewhere
  uint64_t job_token = 0;
  uint64_t request_id = 0;     // chosen by the client, echoed by the server
  uint64_t item_count = 0;     // keys, table entries or stats entries (per type)
  uint64_t payload_bytes = 0;  // sum of the sizes of the frames after the header
  uint32_t value_dim = 0;      // floats per row for PULL, PULL_REPLY, PUSH; 0 elsewhere
  uint32_t aux = 0;            // HELLO_REPLY: the server's rank; PULL, PUSH: the worker's rank; 0 elsewhere
  uint64_t step = 0;           // PULL, PUSH: the worker's global step (--sync orders by it); CHECKPOINT:
                               // the checkpoint's step; 0 elsewhere
};

MessageHeader MakeHeader(MessageType type, uint64_t job_token, uint64_t request_id);

// ---- Little-endian helpers. EncodeFixed16/32/64 and DecodeFixed16/32/64
// (byte by byte, any alignment) come from common/coding.h. ----

// Bulk arrays: one memcpy on little-endian hosts, element by element otherwise.
inline void EncodeKeys(std::span<const Key> keys, char* dst) {
  if constexpr (std::endian::native == std::endian::little) {
    if (!keys.empty()) std::memcpy(dst, keys.data(), keys.size_bytes());
  } else {
    for (size_t i = 0; i < keys.size(); ++i) EncodeFixed64(dst + 8 * i, keys[i]);
  }
}
// Writes kHeaderBytes bytes.
void EncodeHeader(const MessageHeader& header, char* dst);

// Decodes frame 0. DataLoss when it is not kHeaderBytes long or the magic is
// wrong; FailedPrecondition when the version is not kWireVersion. The other
// fields are decoded but not judged (see ValidateMessage).
Status DecodeHeader(std::string_view bytes, MessageHeader* out);

// The dim of a table id, or -1 when the receiver has no such table.
using TableDimFn = std::function<int(uint32_t table_id)>;

// Judges a decoded header against the sizes of the frames after it: a known
// type, status code (0 in requests), flags, table id and dim, the number of
// frames for the type, every frame's size against item_count and value_dim,
// and payload_bytes against their sum. Never reads a payload byte.
// InvalidArgument (unknown type, table, flags) or DataLoss (lengths).
Status ValidateMessage(const MessageHeader& header, std::span<const size_t> payload_frame_sizes,
                       const TableDimFn& table_dim);

// DecodeHeader, then the job token (InvalidArgument "wrong job token"), then
// ValidateMessage; the first failure is returned.
// *authenticated is set to true exactly when magic, version and token are
// right, i.e. when the sender may be sent an error reply.
Status ParseMessage(std::span<const std::string_view> frames, uint64_t job_token, const TableDimFn& table_dim,
                    MessageHeader* header, bool* authenticated);

}  // namespace ember::ps
