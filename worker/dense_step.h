// worker/dense_step.h: the dense half of a training step. After the model
// has accumulated this worker's mean gradient over its batch into the dense
// parameters' gradients, DenseStep makes it the mean over every worker's
// samples (an allreduce of [grads * batch size, batch size] through the
// DenseSync) and applies the dense optimizer to it, so that every replica
// takes the same step. A single worker's gradient already is that mean: it
// skips the allreduce.
//
// The parameters, the optimizer and the sync outlive the DenseStep; it owns
// the sync buffer (on the parameters' device). One thread (the worker's)
// makes every call.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<DenseStep> dense, DenseStep::Create(sync, params, optimizer));
//   ... model.TrainStep(...) accumulates into params->flat_grads() ...
//   ASSIGN_OR_RETURN(bool stepped, dense->Apply(&batch));  // nullptr: this worker has no batch
//   if (!stepped) { /* every worker's part is done: the epoch ends */ }
#pragma once

#include <memory>

#include "common/status.h"
#include "data/batch.h"
#include "ops/dense_optimizer.h"
#include "ops/parameters.h"
#include "ops/tensor.h"
#include "worker/dense_sync.h"

namespace ember::worker {

class DenseStep {
 public:
  // Allocates the sync buffer ([params->size() + 1] floats on params'
  // device): ResourceExhausted when it cannot.
  static StatusOr<std::unique_ptr<DenseStep>> Create(DenseSync* sync, ops::ParameterSet* params,
                                                     ops::DenseOptimizer* optimizer);

  // `batch`: what this worker trained this step (nullptr when its part of
  // the data is done: it joins the allreduce with no samples). True after
  // the optimizer stepped on the mean gradient over every worker's samples;
  // false, with nothing applied, when no worker had a sample (one worker:
  // when batch is nullptr). The sync's error (Aborted after its Abort) or a
  // device error otherwise.
  StatusOr<bool> Apply(const data::Batch* batch);

 private:
  DenseStep(DenseSync* sync, ops::ParameterSet* params, ops::DenseOptimizer* optimizer, ops::Tensor sync_buffer)
      : sync_(sync), params_(params), optimizer_(optimizer), sync_buffer_(std::move(sync_buffer)) {}
  // *grads (this worker's mean over batch_size samples) becomes the mean over
  // every worker's samples; returns their number (0: *grads untouched).
  StatusOr<float> SumOverWorkers(float batch_size, ops::Tensor* grads);

  DenseSync* sync_;
  ops::ParameterSet* params_;
  ops::DenseOptimizer* optimizer_;
  ops::Tensor sync_buffer_;  // [dense grads * batch size | batch size]
};

}  // namespace ember::worker
