#include "net/control.h"

#include "common/coding.h"
#include "net/zmq_util.h"

namespace ember::net {
namespace {

size_t NumberCount(ControlType type) {
  switch (type) {
    case ControlType::kProgress:
      return 4;
    case ControlType::kDone:
      return 2;
    default:
      return 0;
  }
}

// Types whose payload is one text frame.
bool HasText(ControlType type) {
  switch (type) {
    case ControlType::kFailed:
    case ControlType::kCheckpointWrite:
    case ControlType::kCheckpointWritten:
    case ControlType::kCheckpointDone:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status SendControl(zmq::socket_t* socket, const ControlMessage& message) {
  char header[kControlHeaderSize] = {};
  EncodeFixed32(header, kControlMagic);
  EncodeFixed16(header + 4, kControlVersion);
  EncodeFixed16(header + 6, static_cast<uint16_t>(message.type));
  EncodeFixed64(header + 8, message.job_token);
  EncodeFixed32(header + 16, message.rank);
  EncodeFixed32(header + 20, message.epoch);
  EncodeFixed64(header + 24, message.step);
  std::vector<zmq::message_t> frames;
  frames.emplace_back(header, sizeof(header));
  switch (message.type) {
    case ControlType::kProgress:
    case ControlType::kDone: {
      std::string numbers(8 * message.numbers.size(), '\0');
      for (size_t i = 0; i < message.numbers.size(); ++i) EncodeDouble(numbers.data() + 8 * i, message.numbers[i]);
      frames.emplace_back(numbers.data(), numbers.size());
      if (message.type == ControlType::kDone) {
        char checksum[8];
        EncodeFixed64(checksum, message.dense_checksum);
        frames.emplace_back(checksum, sizeof(checksum));
      }
      break;
    }
    case ControlType::kEvalResult: {
      char part[16];
      EncodeFixed64(part, message.eval_offset);
      EncodeFixed64(part + 8, message.eval_last ? 1 : 0);
      frames.emplace_back(part, sizeof(part));
      frames.emplace_back(message.probabilities.data(), sizeof(float) * message.probabilities.size());
      frames.emplace_back(message.labels.data(), sizeof(float) * message.labels.size());
      if (!message.groups.empty()) {
        std::string groups(8 * message.groups.size(), '\0');
        for (size_t i = 0; i < message.groups.size(); ++i) EncodeFixed64(groups.data() + 8 * i, message.groups[i]);
        frames.emplace_back(groups.data(), groups.size());
      }
      break;
    }
    default:
      if (HasText(message.type)) frames.emplace_back(message.text.data(), message.text.size());
      break;
  }
  for (const zmq::message_t& frame : frames) {
    if (frame.size() > kMaxControlFrameBytes) {
      return Status::InvalidArgument("control message of type ", static_cast<int>(message.type), ": a frame of ",
                                     frame.size(), " bytes, at most ", kMaxControlFrameBytes);
    }
  }
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket->send(frames[i], flags)) return Status::Unavailable("control send would block");
    }
  } catch (const zmq::error_t& e) {
    return ZmqStatus(e, "control send of type " + std::to_string(static_cast<int>(message.type)), "the peer");
  }
  return Status::OK();
}

Status DecodeControl(const std::vector<zmq::message_t>& frames, uint64_t expected_token, ControlMessage* out) {
  if (frames.empty() || frames[0].size() != kControlHeaderSize) {
    return Status::DataLoss("control header of ", frames.empty() ? 0 : frames[0].size(), " bytes, expected ",
                            kControlHeaderSize);
  }
  const char* h = static_cast<const char*>(frames[0].data());
  if (DecodeFixed32(h) != kControlMagic) return Status::DataLoss("bad control magic");
  if (DecodeFixed16(h + 4) != kControlVersion) {
    return Status::DataLoss("control version ", DecodeFixed16(h + 4), ", expected ", kControlVersion);
  }
  const uint16_t type = DecodeFixed16(h + 6);
  if (type < static_cast<uint16_t>(ControlType::kRegister) ||
      type > static_cast<uint16_t>(ControlType::kCheckpointDone)) {
    return Status::DataLoss("unknown control type ", type);
  }
  out->type = static_cast<ControlType>(type);
  out->job_token = DecodeFixed64(h + 8);
  if (out->job_token != expected_token) return Status::FailedPrecondition("wrong job token");
  out->rank = DecodeFixed32(h + 16);
  out->epoch = DecodeFixed32(h + 20);
  out->step = DecodeFixed64(h + 24);
  out->numbers.clear();
  out->probabilities.clear();
  out->labels.clear();
  out->groups.clear();
  out->text.clear();
  out->dense_checksum = 0;
  out->eval_offset = 0;
  out->eval_last = true;
  const size_t numbers = NumberCount(out->type);
  if (numbers > 0) {
    const size_t expected_frames = out->type == ControlType::kDone ? 3 : 2;
    if (frames.size() != expected_frames || frames[1].size() != 8 * numbers) {
      return Status::DataLoss("control type ", type, " needs one frame of ", numbers, " doubles",
                              out->type == ControlType::kDone ? " and one 8-byte checksum frame" : "");
    }
    if (out->type == ControlType::kDone) {
      if (frames[2].size() != 8)
        return Status::DataLoss("DONE checksum frame of ", frames[2].size(), " bytes, expected 8");
      out->dense_checksum = DecodeFixed64(static_cast<const char*>(frames[2].data()));
    }
    const char* p = static_cast<const char*>(frames[1].data());
    for (size_t i = 0; i < numbers; ++i) out->numbers.push_back(DecodeDouble(p + 8 * i));
  } else if (out->type == ControlType::kEvalResult) {
    if ((frames.size() != 4 && frames.size() != 5) || frames[1].size() != 16 || frames[2].size() != frames[3].size() ||
        frames[2].size() % sizeof(float) != 0) {
      return Status::DataLoss(
          "eval result needs a 16-byte part frame, two float frames of equal length (and an optional group frame)");
    }
    const char* part = static_cast<const char*>(frames[1].data());
    out->eval_offset = DecodeFixed64(part);
    const uint64_t last = DecodeFixed64(part + 8);
    if (last > 1) return Status::DataLoss("eval result part's last flag is ", last, ", want 0 or 1");
    out->eval_last = last == 1;
    const size_t n = frames[2].size() / sizeof(float);
    if (frames.size() == 5 && frames[4].size() != 8 * n) {
      return Status::DataLoss("eval result group frame of ", frames[4].size(), " bytes for ", n, " samples");
    }
    out->probabilities.resize(n);
    out->labels.resize(n);
    // Not a memcpy: an eval result of no samples has empty vectors, whose
    // data() may be null, and memcpy takes no null pointer even for 0 bytes.
    DecodeFloats(static_cast<const char*>(frames[2].data()), n, out->probabilities.data());
    DecodeFloats(static_cast<const char*>(frames[3].data()), n, out->labels.data());
    if (frames.size() == 5) {
      const char* p = static_cast<const char*>(frames[4].data());
      for (size_t i = 0; i < n; ++i) out->groups.push_back(DecodeFixed64(p + 8 * i));
    }
  } else if (HasText(out->type)) {
    if (frames.size() != 2) return Status::DataLoss("control type ", type, " needs one text frame");
    out->text.assign(static_cast<const char*>(frames[1].data()), frames[1].size());
  } else if (frames.size() != 1) {
    return Status::DataLoss("control type ", type, " takes no payload; got ", frames.size() - 1, " frames");
  }
  return Status::OK();
}

}  // namespace ember::net
