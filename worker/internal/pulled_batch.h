// worker/internal/pulled_batch.h: a batch with its keys and the rows pulled
// for them, shared by the training pipeline (step_pipeline.h) and the
// evaluation pass (worker.cc). Private to worker/.
//
//   PreparedBatch p;  // p.batch read, model.PrepareInputs(p.batch, &p.inputs)
//   RETURN_IF_ERROR(StartPull(client, tables, /*create=*/true, slot, host, &p));
//   ...                                   // overlaps the pull
//   RETURN_IF_ERROR(FinishPull(client, device, on_device, &p));  // p.device_rows
#pragma once

#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "data/reader.h"
#include "models/model.h"
#include "ops/tensor.h"
#include "ps/pull_push_client.h"
#include "sparse/table_config.h"
#include "worker/staging.h"

namespace ember::worker::internal {

// One batch on its way through the pipeline.
struct PreparedBatch {
  data::Batch batch;
  data::ReaderPosition end;                 // the reader's position just after this batch
  double fraction_done = 0;                 // the reader's fraction_done() just after this batch
  std::vector<models::SparseInput> inputs;  // per table
  std::vector<ops::Tensor> rows;            // per table: [unique keys, dim], where the pulls land (host)
  std::vector<ops::Tensor> device_rows;     // the same rows on the model's device (on the CPU: `rows`)
  std::vector<ps::Ticket> pulls;
  int slot = 0;  // the StagingBuffers slot of rows and device_rows
};

// Starts the pulls of every table's unique keys of `p` into host buffers of
// `slot` (p->rows), one per table in table order. The error of the first
// pull that cannot start.
Status StartPull(ps::PullPushClient* client, const std::vector<sparse::TableConfig>& tables, bool create, int slot,
                 StagingBuffers* host, PreparedBatch* p);

// Waits for p's pulls and puts the rows on `device` (p->device_rows): on the
// CPU the pulled tensors themselves, on a GPU an asynchronous copy each into
// `on_device`'s buffers of p's slot. The first pull's error.
Status FinishPull(ps::PullPushClient* client, ops::Device device, StagingBuffers* on_device, PreparedBatch* p);

// The host copy of `t` (t itself when it is on the host).
StatusOr<ops::Tensor> OnHost(const ops::Tensor& t);

}  // namespace ember::worker::internal
