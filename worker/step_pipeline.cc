#include "worker/step_pipeline.h"

#include <cmath>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>

#include "common/blocking_queue.h"
#include "common/logging.h"
#include "worker/internal/pulled_batch.h"

namespace ember::worker {

using internal::PreparedBatch;

// The reader thread of one pass: parses batches and prepares their keys
// into a queue of at most `depth` batches. Next is called by the worker's
// thread only.
class StepPipeline::Prefetcher {
 public:
  Prefetcher(data::Reader* reader, const models::Model* model, int rank, int depth)
      : reader_(reader), model_(model), rank_(rank), queue_(static_cast<size_t>(depth)) {
    thread_ = std::thread([this] { Read(); });
  }
  ~Prefetcher() { Join().IgnoreError(); }
  Prefetcher(const Prefetcher&) = delete;
  Prefetcher& operator=(const Prefetcher&) = delete;

  // The next batch, or nullptr once this worker's part is exhausted (or the
  // reader failed: then its error).
  StatusOr<std::unique_ptr<PreparedBatch>> Next() {
    std::optional<std::unique_ptr<PreparedBatch>> item = queue_.Pop();
    if (item.has_value()) return std::move(*item);
    RETURN_IF_ERROR(Join());
    return std::unique_ptr<PreparedBatch>();
  }

  // Stops the thread (a Push waiting for room fails) and returns the
  // reader's status. Idempotent.
  Status Join() {
    if (!joined_) {
      queue_.Close();
      thread_.join();
      joined_ = true;
    }
    return reader_status_;
  }

 private:
  void Read() {
    SetThreadRole("reader", rank_);
    while (true) {
      auto prepared = std::make_unique<PreparedBatch>();
      StatusOr<bool> more = reader_->Next(&prepared->batch);
      if (!more.ok()) {
        reader_status_ = more.status();
        break;
      }
      if (!*more) {
        reader_status_ = data::CheckPassReadRecords(reader_->position())
                             .WithContext("worker " + std::to_string(rank_) + ", --train_files");
        break;
      }
      prepared->end = reader_->position();
      prepared->fraction_done = reader_->fraction_done();
      model_->PrepareInputs(prepared->batch, &prepared->inputs);
      if (!queue_.Push(std::move(prepared))) break;
    }
    queue_.Close();
  }

  data::Reader* const reader_;
  const models::Model* const model_;
  const int rank_;
  BlockingQueue<std::unique_ptr<PreparedBatch>> queue_;
  Status reader_status_;  // written by the thread, read after the join
  bool joined_ = false;
  std::thread thread_;
};

StepPipeline::StepPipeline(int rank, StepPipelineOptions options, models::Model* model, ps::PullPushClient* client,
                           DenseStep* dense_step, StagingBuffers* host_staging, StagingBuffers* device_staging,
                           StepEvents* events)
    : rank_(rank),
      options_(std::move(options)),
      model_(model),
      client_(client),
      dense_step_(dense_step),
      host_staging_(host_staging),
      device_staging_(device_staging),
      events_(events) {}

Status StepPipeline::RunEpoch(int epoch, data::Reader* reader, TrainingCounters* counters, bool* stop) {
  // Where this worker's reader stands after the batches trained so far
  // (read here, before the reader thread owns the reader).
  const data::ReaderPosition trained_position = reader->position();
  Prefetcher prefetcher(reader, model_, rank_, options_.prefetch_batches);
  const Status status = TrainPass(epoch, &prefetcher, trained_position, counters, stop);
  const Status reader_status = prefetcher.Join();
  RETURN_IF_ERROR(status);
  return reader_status;
}

Status StepPipeline::StartPull(PreparedBatch* p, int64_t step) {
  client_->set_step(static_cast<uint64_t>(step));
  return internal::StartPull(client_, model_->tables(), /*create=*/true, static_cast<int>(step % 2), host_staging_, p)
      .WithContext("worker " + std::to_string(rank_) + ", pull of step " + std::to_string(step));
}

Status StepPipeline::FinishPull(PreparedBatch* p, int64_t step) {
  return internal::FinishPull(client_, model_->device(), device_staging_, p)
      .WithContext("worker " + std::to_string(rank_) + ", pull of step " + std::to_string(step));
}

Status StepPipeline::WaitAll(std::vector<ps::Ticket>* tickets, const char* what, int64_t step) {
  for (ps::Ticket ticket : *tickets) {
    RETURN_IF_ERROR(client_->Wait(ticket).WithContext("worker " + std::to_string(rank_) + ", " + what + " of step " +
                                                      std::to_string(step)));
  }
  tickets->clear();
  return Status::OK();
}

StatusOr<std::vector<ps::Ticket>> StepPipeline::PushRowGradients(const PreparedBatch* current,
                                                                 const std::vector<ops::Tensor>& host_row_grads,
                                                                 int64_t step) {
  const auto& tables = model_->tables();
  std::vector<ps::Ticket> pushes;
  client_->set_step(static_cast<uint64_t>(step));
  if (current == nullptr && !options_.sync) return pushes;
  RETURN_IF_ERROR(ops::Synchronize(model_->device()));  // the row gradients' copies have landed
  for (size_t t = 0; t < tables.size(); ++t) {
    std::span<const Key> keys;
    std::span<const float> table_grads;
    if (current != nullptr) {
      keys = current->inputs[t].unique.keys;
      table_grads = std::span<const float>(host_row_grads[t].data(), static_cast<size_t>(host_row_grads[t].numel()));
    }
    StatusOr<ps::Ticket> ticket =
        client_->Push(tables[t].id, keys, table_grads, /*end_of_step=*/options_.sync && t + 1 == tables.size());
    if (!ticket.ok()) {
      return ticket.status().WithContext("worker " + std::to_string(rank_) + ", push of step " + std::to_string(step));
    }
    pushes.push_back(*ticket);
  }
  return pushes;
}

Status StepPipeline::TrainPass(int epoch, Prefetcher* prefetcher, data::ReaderPosition trained_position,
                               TrainingCounters* counters, bool* stop) {
  const auto& tables = model_->tables();
  ops::ParameterSet* params = model_->dense_params();
  std::vector<ops::Tensor> row_grads;
  std::vector<ops::Tensor> host_row_grads(tables.size());  // row_grads on the host, for the pushes
  std::vector<ps::Ticket> pending_pushes;                  // of step counters->global_step - 1
  models::StepResult result;
  double report_samples = 0, report_loss = 0, report_steps = 0;
  double part_done = 0;  // of this worker's part of the pass, after the batches trained
  // Reports what was trained since the last report, if anything.
  auto report_progress = [&]() -> Status {
    if (report_steps == 0) return Status::OK();
    const double samples = report_samples, loss = report_loss, steps = report_steps;
    report_samples = report_loss = report_steps = 0;
    return events_->Progress(epoch, counters->global_step, {samples, loss, steps, part_done});
  };

  ASSIGN_OR_RETURN(std::unique_ptr<PreparedBatch> current, prefetcher->Next());
  if (current) RETURN_IF_ERROR(StartPull(current.get(), counters->global_step));
  while (true) {
    const int64_t step = counters->global_step;
    std::unique_ptr<PreparedBatch> next;
    // A checkpoint after this step must see no pull of the next one: a
    // creating pull changes rows (and admission counts).
    const bool checkpoint_after = options_.CheckpointDue(step + 1);
    bool next_pulled = false;
    if (current) {
      RETURN_IF_ERROR(FinishPull(current.get(), step));
      ASSIGN_OR_RETURN(next, prefetcher->Next());
      // Overlaps this step's compute; under --sync it waits for this step's push (below).
      if (next && !options_.sync && !checkpoint_after) {
        RETURN_IF_ERROR(StartPull(next.get(), step + 1));
        next_pulled = true;
      }
    }
    RETURN_IF_ERROR(params->ZeroGrads());
    if (current) {
      const float batch_size = static_cast<float>(current->batch.size);
      RETURN_IF_ERROR(model_->TrainStep(current->batch, current->inputs, current->device_rows, &row_grads, &result));
      // A NaN or infinite loss means the model diverged: stop before its
      // gradients reach the servers or a checkpoint overwrites a good one.
      if (!std::isfinite(result.mean_loss)) {
        return Status::Aborted("training diverged at step ", step, ": the mean loss of worker ", rank_, "'s batch is ",
                               result.mean_loss,
                               "; lower --dense_learning_rate or --deep_learning_rate (the checkpoints written "
                               "so far are intact)");
      }
      // The row gradients to the host for the push: on a GPU asynchronous
      // copies that run while the dense gradients are summed.
      for (size_t t = 0; t < tables.size(); ++t) {
        if (row_grads[t].device().is_cpu()) {
          host_row_grads[t] = row_grads[t];
          continue;
        }
        ASSIGN_OR_RETURN(host_row_grads[t], host_staging_->View(StagingBuffers::kGradientSlot, t, row_grads[t].rows(),
                                                                row_grads[t].cols()));
        RETURN_IF_ERROR(ops::CopyIntoAsync(row_grads[t], &host_row_grads[t]));
      }
      report_loss += result.mean_loss * batch_size;
      report_samples += batch_size;
      report_steps += 1;
    }
    // The global-batch mean of the dense gradients, and the optimizer step.
    ASSIGN_OR_RETURN(const bool stepped, dense_step_->Apply(current ? &current->batch : nullptr));
    if (!stepped) break;  // every worker's part is done
    // Push the row gradients; wait for the previous step's pushes. Under
    // --sync every step ends with a push to every server (empty ones when
    // this worker has no batch), so that the servers can complete it.
    ASSIGN_OR_RETURN(std::vector<ps::Ticket> pushes, PushRowGradients(current.get(), host_row_grads, step));
    if (current) {
      counters->samples_trained += current->batch.size;
      trained_position = current->end;
      part_done = current->fraction_done;
    } else {
      part_done = 1;
    }
    if (options_.sync && next && !checkpoint_after) {
      RETURN_IF_ERROR(StartPull(next.get(), step + 1));
      next_pulled = true;
    }
    RETURN_IF_ERROR(WaitAll(&pending_pushes, "push", step - 1));
    pending_pushes = std::move(pushes);
    counters->global_step = step + 1;
    if (counters->global_step % options_.progress_every_steps == 0) RETURN_IF_ERROR(report_progress());
    if (checkpoint_after) {
      // Every push of this step is applied before the servers snapshot.
      RETURN_IF_ERROR(WaitAll(&pending_pushes, "push", step));
      RETURN_IF_ERROR(report_progress());
      RETURN_IF_ERROR(events_->Checkpoint(epoch, counters->global_step, trained_position));
    }
    if (options_.MaxStepsReached(counters->global_step)) {
      if (next_pulled) RETURN_IF_ERROR(WaitAll(&next->pulls, "pull", step + 1));
      *stop = true;
      break;
    }
    if (next && !next_pulled) RETURN_IF_ERROR(StartPull(next.get(), counters->global_step));
    current = std::move(next);
  }
  RETURN_IF_ERROR(WaitAll(&pending_pushes, "push", counters->global_step - 1));
  return report_progress();
}

}  // namespace ember::worker
