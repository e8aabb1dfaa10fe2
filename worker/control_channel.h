// worker/control_channel.h: the worker's side of the control messages with
// the scheduler (net/control.h, docs/wire_format.md "Control messages"): one
// DEALER socket to the scheduler's ROUTER, and the messages a worker sends
// and waits for, each stamped with the job token and the worker's rank.
//
//   worker -> scheduler   REGISTER, PROGRESS, EVAL_RESULT (in parts), DONE,
//                         FAILED, CHECKPOINT_READY, CHECKPOINT_WRITTEN
//   scheduler -> worker   START, CHECKPOINT_WRITE, CHECKPOINT_DONE
//
// Not thread-safe: the worker's thread makes every call. The context must
// outlive the channel. Sends fail with Unavailable on a socket error; waits
// end in DeadlineExceeded naming what was awaited, and a message of another
// type (or another checkpoint's step) is Internal.
//
//   ControlChannel control(&context, {.scheduler_endpoint = endpoint, .job_token = token, .rank = rank});
//   RETURN_IF_ERROR(control.Register());
//   RETURN_IF_ERROR(control.AwaitStart(120'000));
//   ASSIGN_OR_RETURN(std::string dir, control.CheckpointReady(epoch, step, timeout_ms));
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <zmq.hpp>

#include "common/status.h"
#include "net/control.h"
#include "net/curve.h"

namespace ember::worker {

struct ControlChannelOptions {
  std::string scheduler_endpoint;  // REQUIRED
  uint64_t job_token = 0;
  int rank = 0;          // this worker's rank
  net::CurveKeys curve;  // --curve: a CURVE client of curve.server_public. Default: plain
};

class ControlChannel {
 public:
  ControlChannel(zmq::context_t* context, ControlChannelOptions options);
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  // Creates the socket (linger 1 s, so that a last FAILED or DONE leaves),
  // connects it to the scheduler and sends REGISTER. The translated ZeroMQ
  // error naming the endpoint (net::ZmqStatus), or the CURVE set-up's.
  Status Register();
  // Whether Register created the socket (FAILED can be sent only then).
  bool opened() const { return socket_ != nullptr; }

  // Waits up to timeout_ms for START.
  Status AwaitStart(int timeout_ms);
  // PROGRESS of global step `step`: the samples, loss sum and steps since
  // the last report, and the share of this worker's part of the epoch done.
  Status SendProgress(int epoch, int64_t step, double samples, double loss_sum, double steps, double part_done);
  // DONE: the samples trained, the seconds they took, the final dense
  // parameters' DenseChecksum.
  Status SendDone(int64_t step, double samples, double seconds, uint64_t dense_checksum);
  // FAILED with `why` (cut to a control frame), best effort.
  void SendFailed(const Status& why);

  // The first half of the checkpoint of global step `step`: sends
  // CHECKPOINT_READY and waits up to timeout_ms for CHECKPOINT_WRITE of that
  // step; returns the directory to write into.
  StatusOr<std::string> CheckpointReady(int epoch, int64_t step, int timeout_ms);
  // The second half: sends CHECKPOINT_WRITTEN with `file_lines` (one
  // storage::FormatFileEntry line per file) and waits up to timeout_ms for
  // CHECKPOINT_DONE of that step.
  Status CheckpointWritten(int epoch, int64_t step, const std::string& file_lines, int timeout_ms);

  // Sends `message` as it is, with this worker's job token and rank.
  Status Send(net::ControlMessage message);

 private:
  // The next control message (DeadlineExceeded naming `what` after timeout_ms).
  StatusOr<net::ControlMessage> Receive(int timeout_ms, const std::string& what);
  // The next message, which must be `awaited` (named `what`) of checkpoint
  // step `step`: Internal naming both otherwise.
  StatusOr<net::ControlMessage> AwaitCheckpoint(net::ControlType awaited, const char* what, int64_t step,
                                                int timeout_ms);

  zmq::context_t* context_;
  const ControlChannelOptions options_;
  std::unique_ptr<zmq::socket_t> socket_;
};

// One worker's EVAL_RESULT of a pass, sent in parts of at most
// net::kMaxEvalSamplesPerMessage samples as it fills (each part names its
// offset in the result), the last part, marked eval_last, by Finish.
//
//   EvalResultSender result(&control, epoch, step);
//   for (each batch) RETURN_IF_ERROR(result.Add(probabilities, labels, users));
//   RETURN_IF_ERROR(result.Finish());
class EvalResultSender {
 public:
  // `channel` outlives the sender.
  EvalResultSender(ControlChannel* channel, int epoch, int64_t step);
  // Appends one batch's scores and labels (and, for GAUC, per sample its
  // user: empty when the job reports no GAUC), then sends every full part.
  Status Add(std::span<const float> probabilities, std::span<const float> labels, std::span<const uint64_t> groups);
  // Sends what is left as the last part (an empty one when nothing is left).
  Status Finish();

 private:
  Status SendParts(bool last);

  ControlChannel* channel_;
  net::ControlMessage pending_;  // the samples not yet sent
};

}  // namespace ember::worker
