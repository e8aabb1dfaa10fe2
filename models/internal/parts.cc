#include "models/internal/parts.h"

#include "common/hash.h"
#include "ops/activation.h"
#include "ops/combine.h"
#include "ops/embedding_pool.h"
#include "ops/loss.h"
#include "sparse/dedup.h"

namespace ember::models::internal {
namespace {

// The key of the wide part's bias: a token no data field produces.
constexpr Key kWideBiasKey = HashFieldToken(0xffffffffu, "bias");

// Appends one bag group made of `keys_of_sample(b, out)` for every sample.
template <typename KeysOfSample>
void AddGroup(int64_t batch_size, SparseInput* input, KeysOfSample keys_of_sample) {
  input->group_begin.push_back(static_cast<int32_t>(input->keys.size()));
  std::vector<int32_t> offsets;
  offsets.reserve(batch_size + 1);
  const size_t begin = input->keys.size();
  offsets.push_back(0);
  for (int64_t b = 0; b < batch_size; ++b) {
    keys_of_sample(b, &input->keys);
    offsets.push_back(static_cast<int32_t>(input->keys.size() - begin));
  }
  input->offsets.push_back(std::move(offsets));
}

// The keys of categorical field `field` of sample b.
auto FieldKeys(const data::Batch& batch, int field) {
  return [&batch, field](int64_t b, std::vector<Key>* out) {
    const data::SparseField& f = batch.fields[field];
    out->insert(out->end(), f.keys.begin() + f.offsets[b], f.keys.begin() + f.offsets[b + 1]);
  };
}

}  // namespace

Status TableIndex::Upload(const SparseInput& input, ops::Device device) {
  const size_t num_groups = input.group_begin.size();
  groups.resize(num_groups);
  num_unique = static_cast<int64_t>(input.unique.keys.size());
  const std::vector<int32_t>& inverse = input.unique.inverse;
  if (device.is_cpu()) {
    for (size_t g = 0; g < num_groups; ++g) {
      const std::vector<int32_t>& offsets = input.offsets[g];
      groups[g].ids =
          ops::IndexTensor::View(const_cast<int32_t*>(inverse.data()) + input.group_begin[g], offsets.back());
      groups[g].offsets =
          ops::IndexTensor::View(const_cast<int32_t*>(offsets.data()), static_cast<int64_t>(offsets.size()));
    }
    return Status::OK();
  }
  RETURN_IF_ERROR(HostIndex(inverse, device, &inverse_));
  host_offsets_.clear();
  for (const std::vector<int32_t>& offsets : input.offsets) {
    host_offsets_.insert(host_offsets_.end(), offsets.begin(), offsets.end());
  }
  RETURN_IF_ERROR(HostIndex(host_offsets_, device, &offsets_));
  int64_t at = 0;
  for (size_t g = 0; g < num_groups; ++g) {
    const auto count = static_cast<int64_t>(input.offsets[g].size());
    groups[g].ids = inverse_.Slice(input.group_begin[g], input.offsets[g].back());
    groups[g].offsets = offsets_.Slice(at, count);
    at += count;
  }
  return Status::OK();
}

Status UploadInputs(const std::vector<SparseInput>& inputs, ops::Device device, std::vector<TableIndex>* index) {
  index->resize(inputs.size());
  for (size_t t = 0; t < inputs.size(); ++t) RETURN_IF_ERROR((*index)[t].Upload(inputs[t], device));
  return Status::OK();
}

Status HostValues(const std::vector<float>& values, std::vector<int64_t> shape, ops::Device device, ops::Tensor* t) {
  const ops::Tensor host = ops::Tensor::View(const_cast<float*>(values.data()), std::move(shape));
  if (host.numel() != static_cast<int64_t>(values.size())) {
    return Status::InvalidArgument(values.size(), " values for a tensor of ", host.ShapeString());
  }
  if (device.is_cpu()) {
    *t = host;
    return Status::OK();
  }
  RETURN_IF_ERROR(EnsureShape(t, host.shape(), device));
  return ops::CopyInto(host, t);
}

Status HostIndex(const std::vector<int32_t>& values, ops::Device device, ops::IndexTensor* t) {
  const ops::IndexTensor host =
      ops::IndexTensor::View(const_cast<int32_t*>(values.data()), static_cast<int64_t>(values.size()));
  if (device.is_cpu()) {
    *t = host;
    return Status::OK();
  }
  if (t->numel() != host.numel() || !(t->device() == device)) {
    ASSIGN_OR_RETURN(*t, host.To(device));
    return Status::OK();
  }
  return ops::CopyInto(host, t);
}

Status EnsureShape(ops::Tensor* t, std::vector<int64_t> shape, ops::Device device) {
  if (!t->empty() && t->shape() == shape && t->device() == device && t->owns_data()) return Status::OK();
  ASSIGN_OR_RETURN(*t, ops::Tensor::Allocate(std::move(shape), device));
  return Status::OK();
}

Status CheckStepInputs(const ModelOptions& options, size_t num_tables, const data::Batch& batch,
                       const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows) {
  if (inputs.size() != num_tables || rows.size() != num_tables) {
    return Status::InvalidArgument("model has ", num_tables, " tables; got ", inputs.size(), " inputs and ",
                                   rows.size(), " row sets");
  }
  if (batch.num_dense != options.num_dense || static_cast<int>(batch.fields.size()) != options.num_categorical) {
    return Status::InvalidArgument("batch has ", batch.num_dense, " dense and ", batch.fields.size(),
                                   " categorical fields; the model expects ", options.num_dense, " and ",
                                   options.num_categorical);
  }
  for (size_t t = 0; t < rows.size(); ++t) {
    if (!rows[t].empty() && !(rows[t].device() == options.device)) {
      return Status::InvalidArgument("the rows of table ", t, " are on ", rows[t].device().DebugString(),
                                     "; the model computes on ", options.device.DebugString());
    }
  }
  return Status::OK();
}

Status CopyDenseFeatures(const data::Batch& batch, int64_t col, ops::Tensor* scratch, ops::Tensor* x) {
  if (batch.num_dense == 0) return Status::OK();
  RETURN_IF_ERROR(HostValues(batch.dense, {batch.size, batch.num_dense}, x->device(), scratch));
  return ops::CopyColumns(*scratch, 0, batch.num_dense, x, col);
}

Status LogisticLoss::Compute(const data::Batch& batch, const ops::Tensor& logits, ops::Tensor* dlogits,
                             StepResult* result) {
  const int64_t n = batch.size;
  const ops::Device device = logits.device();
  RETURN_IF_ERROR(HostValues(batch.labels, {n, 1}, device, &labels_));
  // Per-sample weights when the batch has them (empty Tensor: every weight 1).
  ops::Tensor weights;
  if (!batch.weights.empty()) {
    if (static_cast<int64_t>(batch.weights.size()) != n) {
      return Status::InvalidArgument("batch of ", n, " samples has ", batch.weights.size(), " weights");
    }
    RETURN_IF_ERROR(HostValues(batch.weights, {n, 1}, device, &weights_));
    weights = weights_;
  }
  RETURN_IF_ERROR(ops::BceWithLogitsForward(logits, labels_, weights, &result->mean_loss));
  RETURN_IF_ERROR(EnsureShape(dlogits, {n, 1}, device));
  RETURN_IF_ERROR(ops::BceWithLogitsBackward(logits, labels_, weights, dlogits));
  return Probabilities(logits, &result->probabilities);
}

Status Probabilities(const ops::Tensor& logits, std::vector<float>* probabilities) {
  probabilities->resize(static_cast<size_t>(logits.numel()));
  ops::Tensor host = ops::Tensor::View(probabilities->data(), {logits.numel()});
  if (logits.device().is_cpu()) return ops::ActivationForward(ops::Activation::kSigmoid, logits, &host);
  ASSIGN_OR_RETURN(ops::Tensor on_device, ops::Tensor::Allocate({logits.numel()}, logits.device()));
  RETURN_IF_ERROR(ops::ActivationForward(ops::Activation::kSigmoid, logits.Reshaped({logits.numel()}), &on_device));
  return ops::CopyInto(on_device, &host);
}

Status ScaleToSummedLoss(int64_t batch_size, std::vector<ops::Tensor>* row_grads) {
  for (ops::Tensor& grads : *row_grads) RETURN_IF_ERROR(ops::Scale(static_cast<float>(batch_size), &grads));
  return Status::OK();
}

sparse::TableConfig WidePart::Table(int id, const char* name, const ModelOptions& options) {
  sparse::TableConfig wide;
  wide.id = id;
  wide.name = name;
  wide.dim = 1;
  wide.optimizer = options.wide_optimizer;
  wide.initializer = sparse::InitializerType::kZeros;
  return wide;
}

void WidePart::PrepareInputs(const data::Batch& batch, int num_categorical, const std::vector<FieldCross>& crosses,
                             SparseInput* input) {
  const int64_t n = batch.size;
  // The bias: one key every sample holds, trained with the other weights.
  AddGroup(n, input, [](int64_t, std::vector<Key>* out) { out->push_back(kWideBiasKey); });
  for (int f = 0; f < num_categorical; ++f) AddGroup(n, input, FieldKeys(batch, f));
  for (const FieldCross& cross : crosses) {
    const data::SparseField& a = batch.fields[cross.field_a];
    const data::SparseField& b = batch.fields[cross.field_b];
    AddGroup(n, input, [&](int64_t s, std::vector<Key>* out) {
      for (int32_t i = a.offsets[s]; i < a.offsets[s + 1]; ++i) {
        for (int32_t j = b.offsets[s]; j < b.offsets[s + 1]; ++j) out->push_back(HashCross(a.keys[i], b.keys[j]));
      }
    });
  }
  sparse::Dedup(input->keys, &input->unique);
}

Status WidePart::AddLogits(const TableIndex& index, const ops::Tensor& rows, ops::Tensor* logits) {
  const int64_t n = logits->rows();
  const auto groups = static_cast<int64_t>(index.groups.size());
  RETURN_IF_ERROR(EnsureShape(&pooled_, {n, groups}, logits->device()));
  for (int64_t g = 0; g < groups; ++g) {
    const GroupIndex& group = index.groups[g];
    RETURN_IF_ERROR(ops::EmbeddingPoolForward(rows, group.ids, group.offsets, ops::PoolMode::kSum, g, &pooled_));
  }
  return ops::AddRowSums(pooled_, logits);
}

Status WidePart::Backward(const ops::Tensor& dlogits, const TableIndex& index, ops::Tensor* grads) {
  const int64_t n = dlogits.rows();
  const auto groups = static_cast<int64_t>(index.groups.size());
  RETURN_IF_ERROR(EnsureShape(&dpooled_, {n, groups}, dlogits.device()));
  RETURN_IF_ERROR(ops::BroadcastColumns(dlogits, &dpooled_));
  ASSIGN_OR_RETURN(*grads, ops::Tensor::AllocateZeros({index.num_unique, 1}, dlogits.device()));
  for (int64_t g = 0; g < groups; ++g) {
    const GroupIndex& group = index.groups[g];
    RETURN_IF_ERROR(ops::EmbeddingPoolBackward(dpooled_, g, group.ids, group.offsets, ops::PoolMode::kSum, grads));
  }
  return Status::OK();
}

sparse::TableConfig FieldEmbeddings::Table(int id, const char* name, const ModelOptions& options) {
  sparse::TableConfig deep;
  deep.id = id;
  deep.name = name;
  deep.dim = options.embedding_dim;
  deep.optimizer = options.deep_optimizer;
  deep.initializer = sparse::InitializerType::kNormal;
  deep.init_scale = options.embedding_init_scale;
  return deep;
}

void FieldEmbeddings::PrepareInputs(const data::Batch& batch, int num_categorical, SparseInput* input) {
  for (int f = 0; f < num_categorical; ++f) AddGroup(batch.size, input, FieldKeys(batch, f));
  sparse::Dedup(input->keys, &input->unique);
}

Status FieldEmbeddings::Forward(const TableIndex& index, const ops::Tensor& rows, int64_t dim, ops::Tensor* out) {
  for (size_t f = 0; f < index.groups.size(); ++f) {
    const GroupIndex& group = index.groups[f];
    RETURN_IF_ERROR(ops::EmbeddingPoolForward(rows, group.ids, group.offsets, ops::PoolMode::kSum,
                                              static_cast<int64_t>(f) * dim, out));
  }
  return Status::OK();
}

Status FieldEmbeddings::Backward(const ops::Tensor& dout, const TableIndex& index, int64_t dim, ops::Tensor* grads) {
  ASSIGN_OR_RETURN(*grads, ops::Tensor::AllocateZeros({index.num_unique, dim}, dout.device()));
  for (size_t f = 0; f < index.groups.size(); ++f) {
    const GroupIndex& group = index.groups[f];
    RETURN_IF_ERROR(ops::EmbeddingPoolBackward(dout, static_cast<int64_t>(f) * dim, group.ids, group.offsets,
                                               ops::PoolMode::kSum, grads));
  }
  return Status::OK();
}

}  // namespace ember::models::internal
