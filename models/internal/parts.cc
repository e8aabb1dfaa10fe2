#include "models/internal/parts.h"

#include <cmath>
#include <cstring>

#include "common/hash.h"
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

// Group g's ids (rows of the unique keys) and offsets.
ops::IndexTensor GroupIds(const SparseInput& input, size_t g) {
  return IndexView(input.unique.inverse, input.group_begin[g], input.offsets[g].back());
}

}  // namespace

ops::IndexTensor IndexView(const std::vector<int32_t>& v, size_t begin, size_t count) {
  if (count == SIZE_MAX) count = v.size() - begin;
  return ops::IndexTensor::View(const_cast<int32_t*>(v.data()) + begin, static_cast<int64_t>(count));
}

void EnsureShape(ops::Tensor* t, std::vector<int64_t> shape) {
  if (t->empty() || t->shape() != shape) *t = ops::Tensor::Empty(std::move(shape));
}

float Sigmoid(float z) { return 1.f / (1.f + std::exp(-z)); }

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
  return Status::OK();
}

void CopyColumns(const ops::Tensor& src, int64_t src_col, int64_t width, ops::Tensor* dst, int64_t dst_col) {
  const int64_t n = src.rows(), src_width = src.cols(), dst_width = dst->cols();
  for (int64_t b = 0; b < n; ++b) {
    std::memcpy(dst->data() + b * dst_width + dst_col, src.data() + b * src_width + src_col, sizeof(float) * width);
  }
}

void CopyDenseFeatures(const data::Batch& batch, int64_t col, ops::Tensor* x) {
  const int64_t width = x->dim(1);
  float* out = x->data();
  for (int64_t b = 0; b < batch.size; ++b) {
    std::memcpy(out + b * width + col, batch.dense.data() + b * batch.num_dense, sizeof(float) * batch.num_dense);
  }
}

Status LogisticLoss(const data::Batch& batch, const ops::Tensor& logits, ops::Tensor* dlogits, StepResult* result) {
  const int64_t n = batch.size;
  const ops::Tensor labels = ops::Tensor::View(const_cast<float*>(batch.labels.data()), {n, 1});
  // Per-sample weights when the batch has them (empty Tensor: every weight 1).
  ops::Tensor weights;
  if (!batch.weights.empty()) {
    if (static_cast<int64_t>(batch.weights.size()) != n) {
      return Status::InvalidArgument("batch of ", n, " samples has ", batch.weights.size(), " weights");
    }
    weights = ops::Tensor::View(const_cast<float*>(batch.weights.data()), {n, 1});
  }
  RETURN_IF_ERROR(ops::BceWithLogitsForward(logits, labels, weights, &result->mean_loss));
  EnsureShape(dlogits, {n, 1});
  RETURN_IF_ERROR(ops::BceWithLogitsBackward(logits, labels, weights, dlogits));
  Probabilities(logits, n, &result->probabilities);
  return Status::OK();
}

void Probabilities(const ops::Tensor& logits, int64_t batch_size, std::vector<float>* probabilities) {
  probabilities->resize(batch_size);
  for (int64_t b = 0; b < batch_size; ++b) (*probabilities)[b] = Sigmoid(logits.data()[b]);
}

void ScaleToSummedLoss(int64_t batch_size, std::vector<ops::Tensor>* row_grads) {
  for (ops::Tensor& grads : *row_grads) {
    float* g = grads.data();
    for (int64_t i = 0; i < grads.numel(); ++i) g[i] *= static_cast<float>(batch_size);
  }
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

Status WidePart::AddLogits(const SparseInput& input, const ops::Tensor& rows, ops::Tensor* logits) {
  const int64_t n = logits->rows();
  const int64_t groups = static_cast<int64_t>(input.group_begin.size());
  EnsureShape(&pooled_, {n, groups});
  for (int64_t g = 0; g < groups; ++g) {
    RETURN_IF_ERROR(ops::EmbeddingPoolForward(rows, GroupIds(input, g), IndexView(input.offsets[g]),
                                              ops::PoolMode::kSum, g, &pooled_));
  }
  const float* pooled = pooled_.data();
  float* z = logits->data();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < groups; ++g) z[b] += pooled[b * groups + g];
  }
  return Status::OK();
}

Status WidePart::Backward(const ops::Tensor& dlogits, const SparseInput& input, ops::Tensor* grads) {
  const int64_t n = dlogits.rows();
  const int64_t groups = static_cast<int64_t>(input.group_begin.size());
  EnsureShape(&dpooled_, {n, groups});
  float* dw = dpooled_.data();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < groups; ++g) dw[b * groups + g] = dlogits.data()[b];
  }
  *grads = ops::Tensor::Zeros({static_cast<int64_t>(input.unique.keys.size()), 1});
  for (int64_t g = 0; g < groups; ++g) {
    RETURN_IF_ERROR(ops::EmbeddingPoolBackward(dpooled_, g, GroupIds(input, g), IndexView(input.offsets[g]),
                                               ops::PoolMode::kSum, grads));
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

Status FieldEmbeddings::Forward(const SparseInput& input, const ops::Tensor& rows, int64_t dim, ops::Tensor* out) {
  for (size_t f = 0; f < input.group_begin.size(); ++f) {
    RETURN_IF_ERROR(ops::EmbeddingPoolForward(rows, GroupIds(input, f), IndexView(input.offsets[f]),
                                              ops::PoolMode::kSum, static_cast<int64_t>(f) * dim, out));
  }
  return Status::OK();
}

Status FieldEmbeddings::Backward(const ops::Tensor& dout, const SparseInput& input, int64_t dim, ops::Tensor* grads) {
  *grads = ops::Tensor::Zeros({static_cast<int64_t>(input.unique.keys.size()), dim});
  for (size_t f = 0; f < input.group_begin.size(); ++f) {
    RETURN_IF_ERROR(ops::EmbeddingPoolBackward(dout, static_cast<int64_t>(f) * dim, GroupIds(input, f),
                                               IndexView(input.offsets[f]), ops::PoolMode::kSum, grads));
  }
  return Status::OK();
}

}  // namespace ember::models::internal
