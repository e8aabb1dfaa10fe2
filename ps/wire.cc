#include "ps/wire.h"

#include <sstream>

namespace ember::ps {
namespace {

// Multiplies without wrapping; false on overflow.
bool MulBytes(uint64_t a, uint64_t b, uint64_t* out) { return !__builtin_mul_overflow(a, b, out); }

constexpr size_t kMaxErrorMessageBytes = 1 << 16;

struct Expect {
  size_t frames = 0;
  bool table = false;          // table_id must name a table and value_dim match its dim
  uint16_t flags_allowed = 0;  // the flags this type may carry
  bool aux_allowed = false;    // aux and step may be non-zero
};

Expect ExpectFor(MessageType type) {
  switch (type) {
    case MessageType::kHello:
      return {0, false, 0, false};
    case MessageType::kHelloReply:
      return {1, false, 0, true};
    case MessageType::kPull:
      return {1, true, kFlagNoCreate, true};
    case MessageType::kPullReply:
      return {1, true, 0, false};
    case MessageType::kPush:
      return {2, true, kFlagEndOfStep | kFlagPartial, true};
    case MessageType::kPushReply:
      return {0, false, 0, false};
    case MessageType::kStats:
      return {0, false, kFlagChecksums, false};
    case MessageType::kStatsReply:
      return {1, false, 0, false};
    case MessageType::kShutdown:
      return {0, false, 0, false};
    case MessageType::kShutdownReply:
      return {0, false, 0, false};
    case MessageType::kCheckpoint:
      return {1, false, 0, true};
    case MessageType::kCheckpointReply:
      return {1, false, 0, false};
  }
  return {};
}

}  // namespace

bool IsKnownMessageType(uint16_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
    case MessageType::kPull:
    case MessageType::kPush:
    case MessageType::kStats:
    case MessageType::kShutdown:
    case MessageType::kCheckpoint:
    case MessageType::kHelloReply:
    case MessageType::kPullReply:
    case MessageType::kPushReply:
    case MessageType::kStatsReply:
    case MessageType::kShutdownReply:
    case MessageType::kCheckpointReply:
      return true;
  }
  return false;
}

std::string MessageTypeName(uint16_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kPull:
      return "PULL";
    case MessageType::kPush:
      return "PUSH";
    case MessageType::kStats:
      return "STATS";
    case MessageType::kShutdown:
      return "SHUTDOWN";
    case MessageType::kHelloReply:
      return "HELLO_REPLY";
    case MessageType::kPullReply:
      return "PULL_REPLY";
    case MessageType::kPushReply:
      return "PUSH_REPLY";
    case MessageType::kStatsReply:
      return "STATS_REPLY";
    case MessageType::kShutdownReply:
      return "SHUTDOWN_REPLY";
    case MessageType::kCheckpoint:
      return "CHECKPOINT";
    case MessageType::kCheckpointReply:
      return "CHECKPOINT_REPLY";
  }
  return "TYPE(" + std::to_string(type) + ")";
}

MessageHeader MakeHeader(MessageType type, uint64_t job_token, uint64_t request_id) {
  MessageHeader h;
  h.type = static_cast<uint16_t>(type);
  h.job_token = job_token;
  h.request_id = request_id;
  return h;
}

void EncodeHeader(const MessageHeader& h, char* dst) {
  EncodeFixed32(dst + 0, h.magic);
  EncodeFixed16(dst + 4, h.version);
  EncodeFixed16(dst + 6, h.type);
  EncodeFixed16(dst + 8, h.status_code);
  EncodeFixed16(dst + 10, h.flags);
  EncodeFixed32(dst + 12, h.table_id);
  EncodeFixed64(dst + 16, h.job_token);
  EncodeFixed64(dst + 24, h.request_id);
  EncodeFixed64(dst + 32, h.item_count);
  EncodeFixed64(dst + 40, h.payload_bytes);
  EncodeFixed32(dst + 48, h.value_dim);
  EncodeFixed32(dst + 52, h.aux);
  EncodeFixed64(dst + 56, h.step);
}

Status DecodeHeader(std::string_view bytes, MessageHeader* out) {
  if (bytes.size() != kHeaderBytes) {
    return Status::DataLoss("header frame is ", bytes.size(), " bytes, want ", kHeaderBytes);
  }
  const char* p = bytes.data();
  out->magic = DecodeFixed32(p + 0);
  if (out->magic != kWireMagic) {
    std::ostringstream hex;
    hex << std::hex << "0x" << out->magic << ", want 0x" << kWireMagic;
    return Status::DataLoss("bad magic ", hex.str());
  }
  out->version = DecodeFixed16(p + 4);
  if (out->version != kWireVersion) {
    return Status::FailedPrecondition("wire version ", out->version, ", this build speaks ", kWireVersion);
  }
  out->type = DecodeFixed16(p + 6);
  out->status_code = DecodeFixed16(p + 8);
  out->flags = DecodeFixed16(p + 10);
  out->table_id = DecodeFixed32(p + 12);
  out->job_token = DecodeFixed64(p + 16);
  out->request_id = DecodeFixed64(p + 24);
  out->item_count = DecodeFixed64(p + 32);
  out->payload_bytes = DecodeFixed64(p + 40);
  out->value_dim = DecodeFixed32(p + 48);
  out->aux = DecodeFixed32(p + 52);
  out->step = DecodeFixed64(p + 56);
  return Status::OK();
}

Status ValidateMessage(const MessageHeader& h, std::span<const size_t> sizes, const TableDimFn& table_dim) {
  if (!IsKnownMessageType(h.type)) return Status::InvalidArgument("unknown message type ", h.type);
  const MessageType type = static_cast<MessageType>(h.type);
  const std::string name = MessageTypeName(h.type);
  uint64_t sum = 0;
  for (size_t size : sizes) sum += size;  // frames are in memory: no overflow
  if (h.payload_bytes != sum) {
    return Status::DataLoss(name, ": payload_bytes ", h.payload_bytes, " but the ", sizes.size(),
                            " frame(s) after the header hold ", sum, " bytes");
  }
  if (h.status_code != 0) {
    if (!IsReply(h.type)) return Status::InvalidArgument(name, ": a request with status code ", h.status_code);
    if (h.status_code > static_cast<uint16_t>(StatusCode::kDataLoss)) {
      return Status::InvalidArgument(name, ": unknown status code ", h.status_code);
    }
    if (sizes.size() != 1) {
      return Status::DataLoss(name, ": error reply with ", sizes.size(), " frames after the header, want 1");
    }
    if (h.item_count != 0) return Status::DataLoss(name, ": error reply with item_count ", h.item_count);
    if (sizes[0] > kMaxErrorMessageBytes) return Status::DataLoss(name, ": error message of ", sizes[0], " bytes");
    return Status::OK();
  }
  const Expect expect = ExpectFor(type);
  if ((h.flags & ~expect.flags_allowed) != 0) {
    return Status::InvalidArgument(name, ": unknown flags 0x", std::hex, h.flags);
  }
  if (h.aux != 0 && !expect.aux_allowed) return Status::InvalidArgument(name, ": aux ", h.aux, ", want 0");
  if (h.step != 0 && !expect.aux_allowed) return Status::InvalidArgument(name, ": step ", h.step, ", want 0");
  if (sizes.size() != expect.frames) {
    return Status::DataLoss(name, ": ", sizes.size(), " frame(s) after the header, want ", expect.frames);
  }
  uint64_t dim = 0;
  if (expect.table) {
    const int known_dim = table_dim ? table_dim(h.table_id) : -1;
    if (known_dim < 1) return Status::InvalidArgument(name, ": unknown table ", h.table_id);
    if (h.value_dim != static_cast<uint32_t>(known_dim)) {
      return Status::InvalidArgument(name, ": table ", h.table_id, " value_dim ", h.value_dim, ", the table's dim is ",
                                     known_dim);
    }
    dim = static_cast<uint64_t>(known_dim);
  } else {
    if (h.table_id != 0) return Status::InvalidArgument(name, ": table_id ", h.table_id, ", want 0");
    if (h.value_dim != 0) return Status::InvalidArgument(name, ": value_dim ", h.value_dim, ", want 0");
  }
  const auto check_size = [&](size_t frame, uint64_t unit_bytes, std::string_view what) -> Status {
    uint64_t want = 0;
    if (!MulBytes(h.item_count, unit_bytes, &want) || sizes[frame] != want) {
      return Status::DataLoss(name, ": ", what, " frame is ", sizes[frame], " bytes, but item_count ", h.item_count,
                              " x ", unit_bytes, " bytes needs ", want);
    }
    return Status::OK();
  };
  switch (type) {
    case MessageType::kHello:
    case MessageType::kStats:
    case MessageType::kShutdown:
    case MessageType::kShutdownReply:
      if (h.item_count != 0) return Status::DataLoss(name, ": item_count ", h.item_count, ", want 0");
      return Status::OK();
    case MessageType::kPushReply:
      return Status::OK();  // item_count echoes the keys applied
    case MessageType::kHelloReply:
      return check_size(0, kHelloTableEntryBytes, "tables");
    case MessageType::kStatsReply:
      if (h.item_count < kStatsFixedEntries) {
        return Status::DataLoss(name, ": item_count ", h.item_count, ", want >= ", kStatsFixedEntries);
      }
      return check_size(0, 8, "stats");
    case MessageType::kPull:
      return check_size(0, 8, "keys");
    case MessageType::kCheckpoint:
      if (h.item_count == 0 || h.item_count > kMaxCheckpointPathBytes) {
        return Status::DataLoss(name, ": a directory of ", h.item_count, " bytes, want 1..", kMaxCheckpointPathBytes);
      }
      return check_size(0, 1, "directory");
    case MessageType::kCheckpointReply:
      if (h.item_count > kMaxCheckpointReplyBytes) {
        return Status::DataLoss(name, ": a file list of ", h.item_count, " bytes, at most ", kMaxCheckpointReplyBytes);
      }
      return check_size(0, 1, "file list");
    case MessageType::kPullReply: {
      uint64_t row_bytes = 0;
      MulBytes(dim, 4, &row_bytes);
      return check_size(0, row_bytes, "values");
    }
    case MessageType::kPush: {
      RETURN_IF_ERROR(check_size(0, 8, "keys"));
      uint64_t row_bytes = 0;
      MulBytes(dim, 4, &row_bytes);
      return check_size(1, row_bytes, "gradients");
    }
  }
  return Status::Internal(name, ": unhandled type");
}

Status ParseMessage(std::span<const std::string_view> frames, uint64_t job_token, const TableDimFn& table_dim,
                    MessageHeader* header, bool* authenticated) {
  *authenticated = false;
  if (frames.empty()) return Status::DataLoss("empty message");
  RETURN_IF_ERROR(DecodeHeader(frames[0], header));
  if (header->job_token != job_token) {
    return Status::InvalidArgument("wrong job token in ", MessageTypeName(header->type), " request_id ",
                                   header->request_id);
  }
  *authenticated = true;
  if (frames.size() - 1 > kMaxPayloadFrames) {
    return Status::DataLoss(MessageTypeName(header->type), ": ", frames.size() - 1,
                            " frames after the header, at most ", kMaxPayloadFrames);
  }
  size_t sizes[kMaxPayloadFrames];
  for (size_t i = 1; i < frames.size(); ++i) sizes[i - 1] = frames[i].size();
  return ValidateMessage(*header, std::span<const size_t>(sizes, frames.size() - 1), table_dim);
}

}  // namespace ember::ps
