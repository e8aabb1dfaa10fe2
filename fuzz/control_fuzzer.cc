// fuzz/control_fuzzer.cc: the scheduler <-> worker control messages
// (net/control.h). The input is a multipart message (fuzz_util.h framing),
// each frame a zero-copy zmq::message_t over its own heap block, so that
// ASan sees a read past a frame. A message DecodeControl accepts must hold
// what its type promises.
#include <zmq.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "net/control.h"

namespace {

// The job token of the seeds (fuzz/corpus/control/).
constexpr uint64_t kJobToken = 0x00c0ffee5eed1234;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  std::vector<std::vector<char>> frames = fuzz::SplitFrames(data, size);
  std::vector<zmq::message_t> messages;
  messages.reserve(frames.size());
  for (std::vector<char>& frame : frames) {
    if (frame.empty()) {
      messages.emplace_back();
    } else {  // no free function: the message points at the frame
      messages.emplace_back(frame.data(), frame.size(), nullptr, nullptr);
    }
  }
  net::ControlMessage message;
  message.text = "stale";  // DecodeControl clears what the last message left
  message.numbers = {1.0};
  const Status decoded = net::DecodeControl(messages, kJobToken, &message);
  if (!decoded.ok()) return 0;
  FUZZ_CHECK(message.job_token == kJobToken);
  switch (message.type) {
    case net::ControlType::kProgress:
      FUZZ_CHECK(message.numbers.size() == 4);
      break;
    case net::ControlType::kDone:
      FUZZ_CHECK(message.numbers.size() == 2);
      break;
    case net::ControlType::kEvalResult:
      FUZZ_CHECK(message.probabilities.size() == message.labels.size());
      FUZZ_CHECK(message.groups.empty() || message.groups.size() == message.labels.size());
      break;
    case net::ControlType::kFailed:
    case net::ControlType::kCheckpointWrite:
    case net::ControlType::kCheckpointWritten:
    case net::ControlType::kCheckpointDone:
      FUZZ_CHECK(message.text.size() == messages[1].size());
      break;
    default:
      FUZZ_CHECK(messages.size() == 1 && message.numbers.empty() && message.text.empty());
      FUZZ_CHECK(message.eval_offset == 0 && message.eval_last);
      break;
  }
  return 0;
}
