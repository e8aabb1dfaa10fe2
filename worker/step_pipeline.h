// worker/step_pipeline.h: one worker's pass over its part of the training
// data, step by step (worker.h lists the stages). For batch t:
//
//   wait for the pulls of t; put the rows on the model's device
//   start the pulls of t+1       (overlaps the compute of t; under --sync
//                                 only after the push of t)
//   TrainStep of t on the device; a NaN or infinite loss is Aborted
//   DenseStep::Apply             (the allreduce and the dense optimizer)
//   push the row gradients of t; wait for the pushes of t-1
//   every progress_every_steps steps: StepEvents::Progress
//   at a checkpoint step: no pull of t+1, every push waited, then
//                         StepEvents::Checkpoint
//
// A reader thread parses batches and prepares their keys (Model::
// PrepareInputs) into a queue of prefetch_batches, off the critical path. A
// worker whose part ends first keeps joining the dense step with no batch
// (and, under --sync, empty pushes to every server) until every worker's
// part is done. Each table's pull and push of a batch goes out in table
// order; a batch's keys are pulled once and pushed once.
//
// Errors end the pass: the first one is returned, a pull's or a push's
// naming the worker and the step (the client's Status code kept), after the
// reader thread is stopped.
//
// The model, client, dense step, staging buffers and events outlive the
// pipeline. Not thread-safe: the worker's thread makes every call (and is
// the only one that touches the client); the reader thread touches only the
// reader and Model::PrepareInputs (const).
//
//   StepPipeline pipeline(rank, options, model, client, dense_step, &host, &on_device, &events);
//   RETURN_IF_ERROR(reader->Open());
//   RETURN_IF_ERROR(pipeline.RunEpoch(epoch, reader.get(), &counters, &stop));
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "data/reader.h"
#include "models/model.h"
#include "ps/pull_push_client.h"
#include "worker/dense_step.h"
#include "worker/staging.h"

namespace ember::worker {

namespace internal {
struct PreparedBatch;
}

// A worker's pass options (WorkerOptions::pipeline; the cli's flags of the
// same names).
struct StepPipelineOptions {
  int prefetch_batches = 4;       // batches the reader thread prepares ahead. Default: 4
  int progress_every_steps = 50;  // > 0. Default: 50
  // --sync: the pull of t+1 after the push of t, and a push to every server
  // each step (see ps/server.h). Default: false
  bool sync = false;
  // A checkpoint after every checkpoint_every_steps-th global step (0:
  // none) and after the step that reaches max_steps; only with
  // `checkpoints`. Default: off
  bool checkpoints = false;
  int64_t checkpoint_every_steps = 0;
  // The pass ends after this global step (0: no limit). Default: 0
  int64_t max_steps = 0;

  // Whether the state after `global_step` steps is a checkpoint.
  bool CheckpointDue(int64_t global_step) const {
    return checkpoints &&
           ((checkpoint_every_steps > 0 && global_step % checkpoint_every_steps == 0) || MaxStepsReached(global_step));
  }
  bool MaxStepsReached(int64_t global_step) const { return max_steps > 0 && global_step >= max_steps; }
};

// The counters a pass advances (and a checkpoint records).
struct TrainingCounters {
  int64_t global_step = 0;      // steps every worker took together, over all epochs
  int64_t samples_trained = 0;  // samples of this worker's batches that were pushed
};

// The steps since the last progress report: their samples, the sum of mean
// loss * batch size, their number, and the share of this worker's part of
// the pass trained so far (data::Reader::fraction_done; 1 once the part is
// done).
struct ProgressReport {
  double samples = 0;
  double loss_sum = 0;
  double steps = 0;
  double part_done = 0;
};

// What the pipeline hands the rest of the worker at step boundaries.
class StepEvents {
 public:
  virtual ~StepEvents() = default;
  // The steps since the last report (none is made for zero steps);
  // `global_step` the step count after them. An error ends the pass.
  virtual Status Progress(int epoch, int64_t global_step, const ProgressReport& report) = 0;
  // A checkpoint of the state after `global_step` steps: every push of the
  // step is answered and no pull of the next one is out. `trained` is the
  // reader's position just after the last trained batch. An error ends the
  // pass.
  virtual Status Checkpoint(int epoch, int64_t global_step, const data::ReaderPosition& trained) = 0;
};

class StepPipeline {
 public:
  // `rank`: the worker's, for thread names and messages.
  StepPipeline(int rank, StepPipelineOptions options, models::Model* model, ps::PullPushClient* client,
               DenseStep* dense_step, StagingBuffers* host_staging, StagingBuffers* device_staging, StepEvents* events);

  // Trains on `reader` (opened, and positioned where the pass goes on) until
  // every worker's part is done or max_steps is reached (then *stop =
  // true), advancing *counters. The first error otherwise (see above); the
  // reader's error when the pass itself succeeded.
  Status RunEpoch(int epoch, data::Reader* reader, TrainingCounters* counters, bool* stop);

 private:
  class Prefetcher;
  // The steps of one pass, batches from `prefetcher`.
  Status TrainPass(int epoch, Prefetcher* prefetcher, data::ReaderPosition trained_position, TrainingCounters* counters,
                   bool* stop);
  // Starts the pulls of p's keys, stamped with `step`.
  Status StartPull(internal::PreparedBatch* p, int64_t step);
  // Waits for the pulls of p (of step `step`) and puts the rows on the device.
  Status FinishPull(internal::PreparedBatch* p, int64_t step);
  // Waits for every ticket of `tickets` (the requests of step `step`, named
  // `what`) and clears it.
  Status WaitAll(std::vector<ps::Ticket>* tickets, const char* what, int64_t step);
  // Pushes the row gradients of `current` (nullptr: none; under --sync
  // empty pushes) stamped with `step`; returns their tickets.
  StatusOr<std::vector<ps::Ticket>> PushRowGradients(const internal::PreparedBatch* current,
                                                     const std::vector<ops::Tensor>& host_row_grads, int64_t step);

  const int rank_;
  const StepPipelineOptions options_;
  models::Model* model_;
  ps::PullPushClient* client_;
  DenseStep* dense_step_;
  StagingBuffers* host_staging_;
  StagingBuffers* device_staging_;
  StepEvents* events_;
};

}  // namespace ember::worker
