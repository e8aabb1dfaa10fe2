#include "worker/dense_step.h"

#include <utility>

namespace ember::worker {

StatusOr<std::unique_ptr<DenseStep>> DenseStep::Create(DenseSync* sync, ops::ParameterSet* params,
                                                       ops::DenseOptimizer* optimizer) {
  ASSIGN_OR_RETURN(ops::Tensor sync_buffer, ops::Tensor::AllocateZeros({params->size() + 1}, params->device()));
  return std::unique_ptr<DenseStep>(new DenseStep(sync, params, optimizer, std::move(sync_buffer)));
}

StatusOr<bool> DenseStep::Apply(const data::Batch* batch) {
  ops::Tensor values = params_->flat_values();
  ops::Tensor grads = params_->flat_grads();
  if (sync_->num_workers() == 1) {
    if (batch == nullptr) return false;
  } else {
    const float batch_size = batch != nullptr ? static_cast<float>(batch->size) : 0.f;
    ASSIGN_OR_RETURN(const float total, SumOverWorkers(batch_size, &grads));
    if (total == 0.f) return false;  // every worker's part is done
  }
  RETURN_IF_ERROR(optimizer_->Step(&values, grads));
  return true;
}

StatusOr<float> DenseStep::SumOverWorkers(float batch_size, ops::Tensor* grads) {
  const int64_t num_params = grads->numel();
  ops::Tensor weighted = sync_buffer_.Slice(0, num_params);
  ops::Tensor count = sync_buffer_.Slice(num_params, 1);
  RETURN_IF_ERROR(ops::CopyInto(*grads, &weighted));
  RETURN_IF_ERROR(ops::Scale(batch_size, &weighted));
  RETURN_IF_ERROR(ops::Fill(batch_size, &count));
  RETURN_IF_ERROR(sync_->AllreduceSum(&sync_buffer_));
  float total = 0.f;
  ops::Tensor host_total = ops::Tensor::View(&total, {1});
  RETURN_IF_ERROR(ops::CopyInto(count, &host_total));
  if (total == 0.f) return total;
  RETURN_IF_ERROR(ops::CopyInto(weighted, grads));
  RETURN_IF_ERROR(ops::Scale(1.f / total, grads));
  return total;
}

}  // namespace ember::worker
