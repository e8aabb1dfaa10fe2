// worker/worker.h: one worker's training loop (DESIGN.md, "One training
// step on a worker").
//
//   1. read      a reader thread parses batches and prepares each batch's
//                per-table keys and their dedup (Model::PrepareInputs)
//   2. dedup     (in the reader thread, off the critical path)
//   3. pull      the unique keys of batch t+1 are pulled while batch t
//                computes: a row read in step t+1 misses at most the push
//                of step t (staleness bound: 1 step). With --sync the pull
//                of batch t+1 is issued after the push of batch t and the
//                servers answer it once every worker's push of step t is
//                applied (staleness 0; the pull no longer overlaps compute)
//   4. compute   forward and backward of the model
//   5. sync      allreduce of [dense grads * batch size, batch size]; every
//                replica applies the same dense optimizer step to the
//                global-batch mean gradient
//   6. push      row gradients of the unique keys go to their servers
//   7. metrics   loss and throughput go to the scheduler every
//                progress_every_steps steps; after each epoch the worker
//                scores its part of the eval files and sends the scores
//
// A worker whose part of the data ends before the others' keeps joining the
// allreduce with an empty batch until every worker is done, so epochs end
// together. Run() owns the calling thread; nothing here is shared.
//
// Where each part lives: stages 1-7 of a training pass in StepPipeline
// (step_pipeline.h), stage 5 in DenseStep (dense_step.h), the messages with
// the scheduler in ControlChannel (control_channel.h), dense.bin and the
// DONE checksum in dense_state.h; this file sets them up and runs the
// epochs, the evaluation and the checkpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <memory>

#include <zmq.hpp>

#include "common/status.h"
#include "data/interactions.h"
#include "data/reader.h"
#include "data/schema.h"
#include "data/text_reader.h"
#include "models/model.h"
#include "net/curve.h"
#include "ops/dense_optimizer.h"
#include "ps/client.h"
#include "storage/checkpoint_files.h"
#include "worker/control_channel.h"
#include "worker/dense_step.h"
#include "worker/dense_sync.h"
#include "worker/staging.h"
#include "worker/step_pipeline.h"

namespace ember::worker {

struct WorkerOptions {
  int rank = 0;  // in [0, num_workers)
  int num_workers = 1;
  std::string scheduler_endpoint;             // REQUIRED
  std::vector<std::string> server_endpoints;  // REQUIRED, one per server
  uint64_t job_token = 0;
  // --curve: the control socket and the PsClient are CURVE clients of the
  // job's server public key (net/curve.h). Default: empty, plain.
  net::CurveKeys curve;
  std::vector<std::string> train_files;  // REQUIRED
  std::vector<std::string> eval_files;   // Default: none (no evaluation)
  // --data_format: "criteo" (data::CriteoReader over train_files and
  // eval_files), "schema" (data::SchemaReader over train_files and
  // eval_files with `schema` below) or "interactions"
  // (data::InteractionReader: train_files are interaction files, split
  // leave-one-out; eval_files are ignored and every epoch ends with the
  // leave-one-out evaluation, grouped per user). Default: criteo
  std::string data_format = "criteo";
  // schema: the columns, the delimiter and whether every file starts with a
  // header line (--schema, --schema_delimiter, --schema_header). The model's
  // num_dense and num_categorical must be the schema's.
  data::Schema schema;
  char schema_delimiter = ',';
  bool schema_header = false;
  // interactions: separator, max_bad_lines, eval negatives and their seed
  // (files, max_bad_lines and seed are filled in by the worker from the
  // fields above and model.seed).
  data::InteractionDataOptions interactions;
  int neg_per_pos = 4;  // interactions: train negatives per positive. Default: 4
  // The categorical field whose (first) key names the user of an eval
  // sample: sent with the scores so that the scheduler reports GAUC. -1:
  // none. Default: -1 (the cli sets 0, the user, for interactions)
  int gauc_field = -1;
  int batch_size = 512;          // Default: 512
  int epochs = 1;                // Default: 1
  int64_t max_bad_lines = 1000;  // Default: 1000
  models::ModelOptions model;
  ops::DenseOptimizerOptions dense_optimizer;
  // The pass (worker/step_pipeline.h): prefetch depth, progress interval,
  // --sync (pushes tagged with the step, one to every server per step, the
  // next pull only after this step's push; the servers must run with
  // ServerOptions::sync_workers = num_workers), --max_steps (training ends
  // after this many global steps, then the last evaluation and, with
  // checkpoints, a checkpoint) and checkpoints (docs/checkpoint_format.md),
  // led by the scheduler: when on, the worker stops after every
  // checkpoint_every_steps-th global step, after the step that reaches
  // max_steps, and after each epoch's evaluation, reports CHECKPOINT_READY,
  // writes its files where the scheduler says, and goes on when it is told
  // the checkpoint committed.
  StepPipelineOptions pipeline;
  // --resume: the checkpoint directory to continue from: this rank's
  // worker-<r>.state (epoch, step, reader position) and dense.bin (dense
  // parameters and optimizer state). Default: empty, a fresh start.
  std::string resume_from;
  // `ember eval --checkpoint` and `ember predict`: restore only the dense
  // parameters of resume_from (any worker count wrote it), score this part
  // of eval_files once as the evaluation of epoch resumed_epoch at step
  // resumed_step, and report DONE; no training pass, no checkpoint.
  // Default: false
  bool evaluate_only = false;
  int64_t resumed_epoch = 0;
  int64_t resumed_step = 0;
  // `ember predict` on interaction data (with evaluate_only): the
  // evaluation pass scores every item each user of this part never
  // interacted with (data::InteractionReaderOptions::Mode::kRecommend)
  // instead of the leave-one-out groups. Default: false
  bool recommend = false;
};

// The text reader (data/text_reader.h) of a worker's training pass (eval:
// its evaluation pass) over part options.rank of options.num_workers, for
// the criteo and schema formats.
data::TextReaderOptions TextReaderOptionsFor(const WorkerOptions& options, bool eval);
// The interaction data a worker with data_format "interactions" loads: its
// train_files with the interactions options, max_bad_lines and the model's
// seed.
data::InteractionDataOptions InteractionDataOptionsFor(const WorkerOptions& options);
// Its reader of epoch `epoch`'s training pass (eval: the evaluation pass,
// kRecommend with options.recommend) over part options.rank of
// options.num_workers.
data::InteractionReaderOptions InteractionReaderOptionsFor(const WorkerOptions& options, int epoch, bool eval);

// One worker of a job: registers with the scheduler, trains every epoch
// through a StepPipeline, evaluates, takes the checkpoints the scheduler
// leads, and reports DONE (with evaluate_only: restores, evaluates once,
// reports DONE). The pipeline's Progress and Checkpoint events
// come back here.
class Worker : private StepEvents {
 public:
  // `sync` is shared with the other workers and outlives Run.
  Worker(zmq::context_t* context, WorkerOptions options, DenseSync* sync);
  // Registers with the scheduler, trains every epoch, evaluates, reports
  // DONE. On error it aborts the dense sync (so no other worker waits
  // forever), reports FAILED with the message, and returns the Status.
  Status Run();

 private:
  Status Train();
  // Builds the model, connects the client to every server, creates the
  // dense optimizer, the dense step and the staging buffers.
  Status SetUp();
  // One pass over this worker's part of the train files, from `start` (the
  // part's beginning, or a resumed position). Sets *stop when max_steps is
  // reached.
  Status RunEpoch(int epoch, const data::ReaderPosition* start, bool* stop);
  // StepEvents: PROGRESS to the scheduler; the checkpoint of a step.
  Status Progress(int epoch, int64_t global_step, const ProgressReport& report) override;
  Status Checkpoint(int epoch, int64_t global_step, const data::ReaderPosition& trained) override;
  // The two-phase checkpoint of step counters_.global_step on this worker's
  // side: READY, write worker-<r>.state (and dense.bin on rank 0) where the
  // scheduler says, WRITTEN, wait for DONE.
  Status WriteCheckpoint(int epoch, const data::ReaderPosition& position, bool epoch_done);
  // Loads options_.resume_from into the model, the optimizer and the
  // counters; returns this worker's saved state.
  StatusOr<storage::WorkerState> Resume();
  Status Evaluate(int epoch);
  // The reader of epoch `epoch`'s training pass (eval: the evaluation pass)
  // over this worker's part, not yet opened.
  StatusOr<std::unique_ptr<data::Reader>> MakeReader(int epoch, bool eval) const;
  bool interactions() const { return options_.data_format == "interactions"; }

  zmq::context_t* context_;
  WorkerOptions options_;
  DenseSync* sync_;
  ControlChannel control_;
  std::unique_ptr<models::Model> model_;
  std::shared_ptr<const data::InteractionData> interaction_data_;  // interactions: loaded once
  std::unique_ptr<ps::PsClient> client_;
  std::unique_ptr<ops::DenseOptimizer> optimizer_;
  std::unique_ptr<DenseStep> dense_step_;
  // Host buffers of the pulled rows and of the row gradients (pinned on a
  // GPU worker), and the rows' buffers on the model's device (GPU only).
  std::unique_ptr<StagingBuffers> host_staging_, device_staging_;
  TrainingCounters counters_;
  // Seconds spent in the epochs that ended (and, after a resume, in the
  // part of the current one before the checkpoint), and when this run of
  // the current epoch began: a checkpoint records both together, so that a
  // resumed job's samples_per_sec counts the time its samples took.
  double train_seconds_ = 0;
  std::chrono::steady_clock::time_point epoch_start_;
};

}  // namespace ember::worker
