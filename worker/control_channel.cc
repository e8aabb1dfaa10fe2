#include "worker/control_channel.h"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>
#include <vector>

#include <zmq_addon.hpp>

#include "net/zmq_util.h"

namespace ember::worker {

using net::ControlMessage;
using net::ControlType;

ControlChannel::ControlChannel(zmq::context_t* context, ControlChannelOptions options)
    : context_(context), options_(std::move(options)) {}

Status ControlChannel::Register() {
  socket_ = std::make_unique<zmq::socket_t>(*context_, zmq::socket_type::dealer);
  socket_->set(zmq::sockopt::linger, 1000);
  RETURN_IF_ERROR(net::ApplyCurveClient(socket_.get(), options_.curve).WithContext("worker control socket"));
  try {
    socket_->connect(options_.scheduler_endpoint);
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "worker " + std::to_string(options_.rank) + " connect to the scheduler",
                          options_.scheduler_endpoint);
  }
  ControlMessage hello;
  hello.type = ControlType::kRegister;
  return Send(std::move(hello));
}

Status ControlChannel::Send(ControlMessage message) {
  message.job_token = options_.job_token;
  message.rank = static_cast<uint32_t>(options_.rank);
  return net::SendControl(socket_.get(), message);
}

StatusOr<ControlMessage> ControlChannel::Receive(int timeout_ms, const std::string& what) {
  socket_->set(zmq::sockopt::rcvtimeo, timeout_ms);
  std::vector<zmq::message_t> frames;
  try {
    if (!zmq::recv_multipart(*socket_, std::back_inserter(frames))) {
      return Status::DeadlineExceeded("no ", what, " from the scheduler at ", options_.scheduler_endpoint, " in ",
                                      timeout_ms / 1000, " s");
    }
  } catch (const zmq::error_t& e) {
    return net::ZmqStatus(e, "worker " + std::to_string(options_.rank) + " control receive while waiting for " + what,
                          options_.scheduler_endpoint);
  }
  ControlMessage message;
  RETURN_IF_ERROR(net::DecodeControl(frames, options_.job_token, &message).WithContext(what));
  return message;
}

Status ControlChannel::AwaitStart(int timeout_ms) {
  ASSIGN_OR_RETURN(ControlMessage start, Receive(timeout_ms, "START"));
  if (start.type != ControlType::kStart) {
    return Status::Internal("expected START, got control type ", static_cast<int>(start.type));
  }
  return Status::OK();
}

Status ControlChannel::SendProgress(int epoch, int64_t step, double samples, double loss_sum, double steps,
                                    double part_done) {
  ControlMessage progress;
  progress.type = ControlType::kProgress;
  progress.epoch = static_cast<uint32_t>(epoch);
  progress.step = static_cast<uint64_t>(step);
  progress.numbers = {samples, loss_sum, steps, part_done};
  return Send(std::move(progress));
}

Status ControlChannel::SendDone(int64_t step, double samples, double seconds, uint64_t dense_checksum) {
  ControlMessage done;
  done.type = ControlType::kDone;
  done.step = static_cast<uint64_t>(step);
  done.numbers = {samples, seconds};
  done.dense_checksum = dense_checksum;
  return Send(std::move(done));
}

void ControlChannel::SendFailed(const Status& why) {
  ControlMessage failed;
  failed.type = ControlType::kFailed;
  // A control frame is at most kMaxControlFrameBytes.
  failed.text = why.ToString().substr(0, net::kMaxControlFrameBytes);
  Send(std::move(failed)).IgnoreError();
}

StatusOr<ControlMessage> ControlChannel::AwaitCheckpoint(ControlType awaited, const char* what, int64_t step,
                                                         int timeout_ms) {
  ASSIGN_OR_RETURN(ControlMessage answer, Receive(timeout_ms, what));
  if (answer.type != awaited || answer.step != static_cast<uint64_t>(step)) {
    return Status::Internal("expected ", what, " of step ", step, ", got control type ", static_cast<int>(answer.type),
                            " of step ", answer.step);
  }
  return answer;
}

StatusOr<std::string> ControlChannel::CheckpointReady(int epoch, int64_t step, int timeout_ms) {
  ControlMessage ready;
  ready.type = ControlType::kCheckpointReady;
  ready.epoch = static_cast<uint32_t>(epoch);
  ready.step = static_cast<uint64_t>(step);
  RETURN_IF_ERROR(Send(std::move(ready)));
  ASSIGN_OR_RETURN(ControlMessage write,
                   AwaitCheckpoint(ControlType::kCheckpointWrite, "CHECKPOINT_WRITE", step, timeout_ms));
  return std::move(write.text);
}

Status ControlChannel::CheckpointWritten(int epoch, int64_t step, const std::string& file_lines, int timeout_ms) {
  ControlMessage written;
  written.type = ControlType::kCheckpointWritten;
  written.epoch = static_cast<uint32_t>(epoch);
  written.step = static_cast<uint64_t>(step);
  written.text = file_lines;
  RETURN_IF_ERROR(Send(std::move(written)));
  return AwaitCheckpoint(ControlType::kCheckpointDone, "CHECKPOINT_DONE", step, timeout_ms).status();
}

EvalResultSender::EvalResultSender(ControlChannel* channel, int epoch, int64_t step) : channel_(channel) {
  pending_.type = ControlType::kEvalResult;
  pending_.epoch = static_cast<uint32_t>(epoch);
  pending_.step = static_cast<uint64_t>(step);
}

Status EvalResultSender::Add(std::span<const float> probabilities, std::span<const float> labels,
                             std::span<const uint64_t> groups) {
  pending_.probabilities.insert(pending_.probabilities.end(), probabilities.begin(), probabilities.end());
  pending_.labels.insert(pending_.labels.end(), labels.begin(), labels.end());
  pending_.groups.insert(pending_.groups.end(), groups.begin(), groups.end());
  return SendParts(/*last=*/false);
}

Status EvalResultSender::Finish() { return SendParts(/*last=*/true); }

Status EvalResultSender::SendParts(bool last) {
  ControlMessage& result = pending_;
  while (result.labels.size() >= net::kMaxEvalSamplesPerMessage || last) {
    ControlMessage part = result;
    const size_t n = std::min(result.labels.size(), net::kMaxEvalSamplesPerMessage);
    const auto cut = static_cast<ptrdiff_t>(n);
    part.probabilities.assign(result.probabilities.begin(), result.probabilities.begin() + cut);
    part.labels.assign(result.labels.begin(), result.labels.begin() + cut);
    if (!result.groups.empty()) part.groups.assign(result.groups.begin(), result.groups.begin() + cut);
    part.eval_last = last && n == result.labels.size();
    RETURN_IF_ERROR(channel_->Send(part));
    result.probabilities.erase(result.probabilities.begin(), result.probabilities.begin() + cut);
    result.labels.erase(result.labels.begin(), result.labels.begin() + cut);
    if (!result.groups.empty()) result.groups.erase(result.groups.begin(), result.groups.begin() + cut);
    result.eval_offset += n;
    if (part.eval_last) break;
  }
  return Status::OK();
}

}  // namespace ember::worker
