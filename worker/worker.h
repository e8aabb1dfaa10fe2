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
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "common/status.h"
#include "data/criteo_reader.h"
#include "models/model.h"
#include "ops/dense_optimizer.h"
#include "ps/client.h"
#include "scheduler/control.h"
#include "worker/dense_sync.h"

namespace ember::worker {

struct WorkerOptions {
  int rank = 0;                         // in [0, num_workers)
  int num_workers = 1;
  std::string scheduler_endpoint;       // REQUIRED
  std::vector<std::string> server_endpoints;  // REQUIRED, one per server
  uint64_t job_token = 0;
  // --curve: the control socket and the PsClient are CURVE clients of the
  // job's server public key (ps/curve.h). Default: empty, plain.
  ps::CurveKeys curve;
  std::vector<std::string> train_files;  // REQUIRED
  std::vector<std::string> eval_files;   // Default: none (no evaluation)
  int batch_size = 512;                  // Default: 512
  int epochs = 1;                        // Default: 1
  int64_t max_bad_lines = 1000;          // Default: 1000
  int progress_every_steps = 50;         // Default: 50
  models::ModelOptions model;
  ops::DenseOptimizerOptions dense_optimizer;
  int prefetch_batches = 4;              // Default: 4
  // --sync: pushes tagged with the step, one to every server per step, and
  // the next pull only after this step's push (see ps/server.h). The
  // servers must run with ServerOptions::sync_workers = num_workers.
  // Default: false (asynchronous)
  bool sync = false;
};

// A 64-bit checksum of the bits of `values` (docs/wire_format.md, section
// 8): equal for bitwise-equal buffers. Sent in DONE so that the scheduler
// can show that every replica ended with the same dense parameters.
uint64_t DenseChecksum(const float* values, int64_t count);

class Worker {
 public:
  // `sync` is shared with the other workers and outlives Run.
  Worker(zmq::context_t* context, WorkerOptions options, DenseSync* sync);
  // Registers with the scheduler, trains every epoch, evaluates, reports
  // DONE. On error it aborts the dense sync (so no other worker waits
  // forever), reports FAILED with the message, and returns the Status.
  Status Run();

 private:
  Status Train();
  Status RunEpoch(int epoch);
  Status Evaluate(int epoch);
  // This worker's part of `files`, in batches of options_.batch_size.
  data::CriteoReaderOptions ReaderOptionsFor(const std::vector<std::string>& files) const;
  Status Report(const scheduler::ControlMessage& message);

  zmq::context_t* context_;
  WorkerOptions options_;
  DenseSync* sync_;
  std::unique_ptr<models::Model> model_;
  std::unique_ptr<ps::PsClient> client_;
  std::unique_ptr<ops::DenseOptimizer> optimizer_;
  std::unique_ptr<zmq::socket_t> control_;
  std::vector<float> sync_buffer_;  // [dense grads * batch size | batch size]
  int64_t global_step_ = 0;
  int64_t samples_trained_ = 0;
  double train_seconds_ = 0;
};

}  // namespace ember::worker
