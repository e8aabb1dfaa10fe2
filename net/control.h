// net/control.h: the messages between the scheduler and the workers.
//
// A control message is a ZeroMQ multipart message: a 32-byte little-endian
// header, then zero or more payload frames. The scheduler binds a ROUTER
// socket; each worker connects a DEALER. See docs/wire_format.md, "Control
// messages".
//
//   header: magic u32 | version u16 | type u16 | job token u64 |
//           rank u32 | epoch u32 | step u64
//
// Decoding checks every field and every frame length and returns DataLoss
// or PermissionDenied-like FailedPrecondition with what was wrong; a bad
// message is dropped by the receiver, never trusted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "common/status.h"

namespace ember::net {

inline constexpr uint32_t kControlMagic = 0x54434d45;  // "EMCT"
// 2: DONE carries the dense checksum; 3: HEARTBEAT; 4: CHECKPOINT_*;
// 5: EVAL_RESULT's groups; 6: EVAL_RESULT in parts; 7: PROGRESS's part done
inline constexpr uint16_t kControlVersion = 7;
inline constexpr size_t kControlHeaderSize = 32;
// The largest frame of any control message. The scheduler's socket drops a
// peer that sends a larger one before it is buffered; SendControl refuses
// to send one (InvalidArgument).
inline constexpr size_t kMaxControlFrameBytes = size_t{256} << 10;
// Most payload frames of any control message (EVAL_RESULT with groups).
inline constexpr size_t kMaxControlPayloadFrames = 4;
// Samples per EVAL_RESULT message: a worker's result goes out in parts of
// at most this many (its largest frame, the groups, is 8 bytes a sample).
inline constexpr size_t kMaxEvalSamplesPerMessage = kMaxControlFrameBytes / sizeof(uint64_t);

enum class ControlType : uint16_t {
  kRegister = 1,  // worker -> scheduler: I am up
  kStart = 2,     // scheduler -> worker: every worker is up; train
  kProgress = 3,  // worker -> scheduler: [samples, loss_sum, steps, part_done] doubles
  kEvalResult =
      4,      // worker -> scheduler: [offset u64, last u64][probabilities f32[]][labels f32[]][groups u64[], optional]
  kDone = 5,  // worker -> scheduler: [train samples, train seconds] doubles, [dense checksum u64]
  kFailed = 6,     // worker -> scheduler: [message bytes]
  kHeartbeat = 7,  // any process -> scheduler, and the scheduler's answer: rank = WORLD rank, step = sequence
                   // number, epoch = 1 in the last heartbeat of a process that ends normally (scheduler/heartbeat.h)
  // The two-phase checkpoint (docs/checkpoint_format.md); step = the checkpoint's step.
  kCheckpointReady = 8,     // worker -> scheduler: I finished step N, my pushes are applied; I wait
  kCheckpointWrite = 9,     // scheduler -> worker: [directory]: write your files into it
  kCheckpointWritten = 10,  // worker -> scheduler: [file list, one "path bytes checksum" line per file]
  kCheckpointDone = 11,     // scheduler -> worker: [committed directory]: go on
};

struct ControlMessage {
  ControlType type = ControlType::kRegister;
  uint64_t job_token = 0;
  uint32_t rank = 0;
  uint32_t epoch = 0;
  uint64_t step = 0;
  std::vector<double> numbers;               // kProgress, kDone
  std::vector<float> probabilities, labels;  // kEvalResult
  std::vector<uint64_t> groups;              // kEvalResult: per sample its user (for GAUC), or empty
  uint64_t eval_offset = 0;                  // kEvalResult: samples of this worker's result in earlier parts
  bool eval_last = true;                     // kEvalResult: the result's last part
  std::string text;                          // kFailed, kCheckpointWrite/Written/Done
  uint64_t dense_checksum = 0;               // kDone: DenseChecksum of the final dense parameters
};

// Sends `message` on `socket` (a DEALER, or a ROUTER after the peer's
// routing id frame was sent with sndmore). Unavailable on a socket error.
Status SendControl(zmq::socket_t* socket, const ControlMessage& message);

// Decodes the frames of one message (routing id already removed).
// DataLoss naming the field at fault; FailedPrecondition for a wrong token.
Status DecodeControl(const std::vector<zmq::message_t>& frames, uint64_t expected_token, ControlMessage* out);

}  // namespace ember::net
