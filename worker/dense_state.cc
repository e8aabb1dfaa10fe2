#include "worker/dense_state.h"

#include <bit>
#include <vector>

#include "common/hash.h"
#include "worker/internal/pulled_batch.h"

namespace ember::worker {
namespace {

// dense.bin's arrays besides the model's parameters (by name).
constexpr char kOptimizerStateArray[] = "optimizer/state";
constexpr char kOptimizerStepArray[] = "optimizer/step_count";  // 2 floats: the low and high 32 bits

// The floats of `t` (on any device) on the host.
StatusOr<std::vector<float>> HostFloats(const ops::Tensor& t) {
  ASSIGN_OR_RETURN(const ops::Tensor host, internal::OnHost(t));
  if (host.empty()) return std::vector<float>();
  return std::vector<float>(host.data(), host.data() + host.numel());
}

}  // namespace

uint64_t DenseChecksum(const float* values, int64_t count) {
  uint64_t checksum = 0;
  for (int64_t i = 0; i < count; ++i) checksum = Mix64(checksum ^ std::bit_cast<uint32_t>(values[i]));
  return checksum;
}

StatusOr<uint64_t> DenseChecksum(const ops::Tensor& values) {
  ASSIGN_OR_RETURN(const ops::Tensor host, internal::OnHost(values));
  return DenseChecksum(host.data(), host.numel());
}

StatusOr<storage::FileEntry> WriteDenseState(const std::string& path, ops::ParameterSet* params,
                                             ops::DenseOptimizer* optimizer) {
  std::vector<storage::DenseArray> arrays;
  for (int id = 0; id < params->count(); ++id) {
    ASSIGN_OR_RETURN(std::vector<float> values, HostFloats(params->value(id)));
    arrays.push_back({params->name(id), params->shape(id), std::move(values)});
  }
  ops::Tensor optimizer_state = optimizer->state();
  ASSIGN_OR_RETURN(std::vector<float> state_values, HostFloats(optimizer_state));
  arrays.push_back({kOptimizerStateArray, {optimizer_state.numel()}, std::move(state_values)});
  const auto step_count = static_cast<uint64_t>(optimizer->step_count());
  arrays.push_back({kOptimizerStepArray,
                    {2},
                    {std::bit_cast<float>(static_cast<uint32_t>(step_count)),
                     std::bit_cast<float>(static_cast<uint32_t>(step_count >> 32))}});
  return storage::WriteDenseFile(path, arrays);
}

Status RestoreDenseState(const std::string& path, ops::ParameterSet* params, ops::DenseOptimizer* optimizer) {
  ASSIGN_OR_RETURN(std::vector<storage::DenseArray> arrays, storage::ReadDenseFile(path));
  ops::Tensor state_tensor = optimizer != nullptr ? optimizer->state() : ops::Tensor();
  int restored = 0;
  for (const storage::DenseArray& array : arrays) {
    // The saved floats into `into` (host or device).
    auto copy_into = [&](ops::Tensor into) -> Status {
      if (static_cast<int64_t>(array.values.size()) != into.numel()) {
        return Status::DataLoss(path, ": '", array.name, "' has ", array.values.size(), " floats, the model ",
                                into.numel());
      }
      const ops::Tensor saved =
          ops::Tensor::View(const_cast<float*>(array.values.data()), {static_cast<int64_t>(array.values.size())});
      if (!saved.empty()) RETURN_IF_ERROR(ops::CopyInto(saved, &into));
      ++restored;
      return Status::OK();
    };
    if (optimizer == nullptr && (array.name == kOptimizerStateArray || array.name == kOptimizerStepArray)) {
      continue;  // the parameters only
    } else if (array.name == kOptimizerStateArray) {
      RETURN_IF_ERROR(copy_into(state_tensor));
    } else if (array.name == kOptimizerStepArray) {
      if (array.values.size() != 2) return Status::DataLoss(path, ": '", array.name, "' is not 2 floats");
      optimizer->set_step_count(static_cast<int64_t>(std::bit_cast<uint32_t>(array.values[0])) |
                                static_cast<int64_t>(std::bit_cast<uint32_t>(array.values[1])) << 32);
      ++restored;
    } else {
      StatusOr<int> id = params->Find(array.name);
      if (!id.ok()) return Status::DataLoss(path, ": the model has no parameter '", array.name, "'");
      RETURN_IF_ERROR(copy_into(params->value(*id)));
    }
  }
  const int needed = params->count() + (optimizer != nullptr ? 2 : 0);
  if (restored != needed) return Status::DataLoss(path, ": ", restored, " arrays restored, the model needs ", needed);
  return Status::OK();
}

}  // namespace ember::worker
