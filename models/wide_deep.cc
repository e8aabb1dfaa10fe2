#include "models/wide_deep.h"

#include <glog/logging.h>

#include <cmath>
#include <cstring>

#include "common/files.h"
#include "common/hash.h"
#include "ops/embedding_pool.h"
#include "ops/loss.h"

namespace ember::models {
namespace {

// Shape-checked views over the worker's plain vectors.
ops::IndexTensor IndexView(const std::vector<int32_t>& v, size_t begin = 0, size_t count = SIZE_MAX) {
  if (count == SIZE_MAX) count = v.size() - begin;
  return ops::IndexTensor::View(const_cast<int32_t*>(v.data()) + begin, static_cast<int64_t>(count));
}

// Resizes `t` to `shape` unless it already has it.
void EnsureShape(ops::Tensor* t, std::vector<int64_t> shape) {
  if (t->empty() || t->shape() != shape) *t = ops::Tensor::Empty(std::move(shape));
}

float Sigmoid(float z) { return 1.f / (1.f + std::exp(-z)); }

// The key of the wide part's bias: a token no data field produces.
constexpr Key kWideBiasKey = HashFieldToken(0xffffffffu, "bias");

// Appends one bag group made of `per_sample_keys(b, out)` for every sample.
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

}  // namespace

void SparseInput::Clear() {
  keys.clear();
  unique.keys.clear();
  unique.inverse.clear();
  group_begin.clear();
  offsets.clear();
}

StatusOr<std::vector<FieldCross>> ParseFieldCrosses(std::string_view text, int num_categorical) {
  std::vector<FieldCross> crosses;
  if (text.empty()) return crosses;
  auto parse_field = [&](std::string_view name, int* field) -> Status {
    if (name.size() < 2 || (name[0] != 'C' && name[0] != 'c')) {
      return Status::InvalidArgument("bad field '", name, "' in --wide_crosses: expected C1..C", num_categorical);
    }
    int value = 0;
    for (char c : name.substr(1)) {
      if (c < '0' || c > '9') return Status::InvalidArgument("bad field '", name, "' in --wide_crosses");
      value = value * 10 + (c - '0');
      if (value > num_categorical) break;
    }
    if (value < 1 || value > num_categorical) {
      return Status::InvalidArgument("field '", name, "' in --wide_crosses is outside C1..C", num_categorical);
    }
    *field = value - 1;
    return Status::OK();
  };
  for (std::string_view piece : SplitString(text, ',')) {
    const size_t x = piece.find('x');
    if (x == std::string_view::npos) {
      return Status::InvalidArgument("bad cross '", piece, "' in --wide_crosses: expected CaxCb, e.g. C1xC2");
    }
    FieldCross cross;
    RETURN_IF_ERROR(parse_field(piece.substr(0, x), &cross.field_a));
    RETURN_IF_ERROR(parse_field(piece.substr(x + 1), &cross.field_b));
    if (cross.field_a == cross.field_b) {
      return Status::InvalidArgument("cross '", piece, "' in --wide_crosses crosses a field with itself");
    }
    crosses.push_back(cross);
  }
  return crosses;
}

WideDeepModel::WideDeepModel(ModelOptions options, bool with_deep)
    : Model(std::move(options)), with_deep_(with_deep) {
  ps::TableConfig wide;
  wide.id = kWideTable;
  wide.name = "wide";
  wide.dim = 1;
  wide.optimizer = options_.wide_optimizer;
  wide.initializer = ps::InitializerType::kZeros;
  tables_.push_back(wide);
  if (with_deep_) {
    ps::TableConfig deep;
    deep.id = kDeepTable;
    deep.name = "deep";
    deep.dim = options_.embedding_dim;
    deep.optimizer = options_.deep_optimizer;
    deep.initializer = ps::InitializerType::kNormal;
    deep.init_scale = options_.embedding_init_scale;
    tables_.push_back(deep);
    deep_input_width_ = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim + options_.num_dense;
    deep_ = std::make_unique<ops::Mlp>(&params_, "deep", deep_input_width_, options_.hidden, 1);
  } else {
    deep_input_width_ = options_.num_dense;
    dense_linear_ = std::make_unique<ops::Linear>(&params_, "dense", deep_input_width_, 1);
  }
  params_.Finalize(options_.seed);
}

void WideDeepModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (auto& input : *inputs) input.Clear();
  const int64_t n = batch.size;
  auto field_keys = [&](int field) {
    return [&batch, field](int64_t b, std::vector<Key>* out) {
      const data::SparseField& f = batch.fields[field];
      out->insert(out->end(), f.keys.begin() + f.offsets[b], f.keys.begin() + f.offsets[b + 1]);
    };
  };
  SparseInput& wide = (*inputs)[kWideTable];
  // The wide part's bias: one key every sample holds, trained by FTRL
  // with the other weights.
  AddGroup(n, &wide, [](int64_t, std::vector<Key>* out) { out->push_back(kWideBiasKey); });
  for (int f = 0; f < options_.num_categorical; ++f) AddGroup(n, &wide, field_keys(f));
  for (const FieldCross& cross : options_.wide_crosses) {
    const data::SparseField& a = batch.fields[cross.field_a];
    const data::SparseField& b = batch.fields[cross.field_b];
    AddGroup(n, &wide, [&](int64_t s, std::vector<Key>* out) {
      for (int32_t i = a.offsets[s]; i < a.offsets[s + 1]; ++i) {
        for (int32_t j = b.offsets[s]; j < b.offsets[s + 1]; ++j) out->push_back(HashCross(a.keys[i], b.keys[j]));
      }
    });
  }
  ps::Dedup(wide.keys, &wide.unique);
  if (with_deep_) {
    SparseInput& deep = (*inputs)[kDeepTable];
    for (int f = 0; f < options_.num_categorical; ++f) AddGroup(n, &deep, field_keys(f));
    ps::Dedup(deep.keys, &deep.unique);
  }
}

Status WideDeepModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                              const std::vector<ops::Tensor>& rows) {
  const int64_t n = batch.size;
  if (inputs.size() != tables_.size() || rows.size() != tables_.size()) {
    return Status::InvalidArgument("model has ", tables_.size(), " tables; got ", inputs.size(), " inputs and ",
                                   rows.size(), " row sets");
  }
  if (batch.num_dense != options_.num_dense || static_cast<int>(batch.fields.size()) != options_.num_categorical) {
    return Status::InvalidArgument("batch has ", batch.num_dense, " dense and ", batch.fields.size(),
                                   " categorical fields; the model expects ", options_.num_dense, " and ",
                                   options_.num_categorical);
  }
  // Wide: one pooled weight per bag group, summed.
  const SparseInput& wide = inputs[kWideTable];
  const int64_t wide_groups = static_cast<int64_t>(wide.group_begin.size());
  EnsureShape(&wide_pooled_, {n, wide_groups});
  for (int64_t g = 0; g < wide_groups; ++g) {
    RETURN_IF_ERROR(ops::EmbeddingPoolForward(rows[kWideTable],
                                              IndexView(wide.unique.inverse, wide.group_begin[g],
                                                        wide.offsets[g].back()),
                                              IndexView(wide.offsets[g]), ops::PoolMode::kSum, g, &wide_pooled_));
  }
  // Deep (or LR's dense part): [embeddings of every field | dense features].
  EnsureShape(&deep_input_, {n, deep_input_width_});
  const int64_t dense_col = deep_input_width_ - options_.num_dense;
  if (with_deep_) {
    const SparseInput& deep = inputs[kDeepTable];
    for (int f = 0; f < options_.num_categorical; ++f) {
      RETURN_IF_ERROR(ops::EmbeddingPoolForward(
          rows[kDeepTable], IndexView(deep.unique.inverse, deep.group_begin[f], deep.offsets[f].back()),
          IndexView(deep.offsets[f]), ops::PoolMode::kSum, static_cast<int64_t>(f) * options_.embedding_dim,
          &deep_input_));
    }
  }
  float* x = deep_input_.data();
  for (int64_t b = 0; b < n; ++b) {
    std::memcpy(x + b * deep_input_width_ + dense_col, batch.dense.data() + b * options_.num_dense,
                sizeof(float) * options_.num_dense);
  }
  if (with_deep_) {
    RETURN_IF_ERROR(deep_->Forward(deep_input_, &dense_out_));
  } else {
    RETURN_IF_ERROR(dense_linear_->Forward(deep_input_, &dense_out_));
  }
  EnsureShape(&logits_, {n, 1});
  const float* pooled = wide_pooled_.data();
  for (int64_t b = 0; b < n; ++b) {
    float z = dense_out_.data()[b];
    for (int64_t g = 0; g < wide_groups; ++g) z += pooled[b * wide_groups + g];
    logits_.data()[b] = z;
  }
  return Status::OK();
}

Status WideDeepModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                                const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                                StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size;
  const ops::Tensor labels = ops::Tensor::View(const_cast<float*>(batch.labels.data()), {n, 1});
  RETURN_IF_ERROR(ops::BceWithLogitsForward(logits_, labels, ops::Tensor(), &result->mean_loss));
  EnsureShape(&dlogits_, {n, 1});
  RETURN_IF_ERROR(ops::BceWithLogitsBackward(logits_, labels, ops::Tensor(), &dlogits_));
  result->probabilities.resize(n);
  for (int64_t b = 0; b < n; ++b) result->probabilities[b] = Sigmoid(logits_.data()[b]);

  row_grads->resize(tables_.size());
  // Deep part (or LR's dense linear).
  if (with_deep_) {
    EnsureShape(&d_deep_input_, {n, deep_input_width_});
    RETURN_IF_ERROR(deep_->Backward(dlogits_, &d_deep_input_));
    const SparseInput& deep = inputs[kDeepTable];
    ops::Tensor& grads = (*row_grads)[kDeepTable];
    grads = ops::Tensor::Zeros({static_cast<int64_t>(deep.unique.keys.size()), options_.embedding_dim});
    for (int f = 0; f < options_.num_categorical; ++f) {
      RETURN_IF_ERROR(ops::EmbeddingPoolBackward(
          d_deep_input_, static_cast<int64_t>(f) * options_.embedding_dim,
          IndexView(deep.unique.inverse, deep.group_begin[f], deep.offsets[f].back()), IndexView(deep.offsets[f]),
          ops::PoolMode::kSum, &grads));
    }
  } else {
    RETURN_IF_ERROR(dense_linear_->Backward(dlogits_, nullptr));
  }
  // Wide part: d logit / d pooled weight = 1 for every group.
  const SparseInput& wide = inputs[kWideTable];
  const int64_t wide_groups = static_cast<int64_t>(wide.group_begin.size());
  EnsureShape(&d_wide_pooled_, {n, wide_groups});
  float* dw = d_wide_pooled_.data();
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t g = 0; g < wide_groups; ++g) dw[b * wide_groups + g] = dlogits_.data()[b];
  }
  ops::Tensor& wide_grads = (*row_grads)[kWideTable];
  wide_grads = ops::Tensor::Zeros({static_cast<int64_t>(wide.unique.keys.size()), 1});
  for (int64_t g = 0; g < wide_groups; ++g) {
    RETURN_IF_ERROR(ops::EmbeddingPoolBackward(
        d_wide_pooled_, g, IndexView(wide.unique.inverse, wide.group_begin[g], wide.offsets[g].back()),
        IndexView(wide.offsets[g]), ops::PoolMode::kSum, &wide_grads));
  }
  // Sparse rows get the gradient of the batch's summed loss: each example
  // contributes its own gradient, as FTRL and AdaGrad are defined for
  // per-example (online) updates. With the mean loss a row seen once in a
  // batch of B would move B times less, and FTRL's L1 would hold nearly
  // every weight at zero.
  for (ops::Tensor& grads : *row_grads) {
    float* g = grads.data();
    for (int64_t i = 0; i < grads.numel(); ++i) g[i] *= static_cast<float>(n);
  }
  return Status::OK();
}

Status WideDeepModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                              const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  probabilities->resize(batch.size);
  for (int64_t b = 0; b < batch.size; ++b) (*probabilities)[b] = Sigmoid(logits_.data()[b]);
  return Status::OK();
}

StatusOr<std::unique_ptr<Model>> CreateModel(const ModelOptions& options) {
  if (options.num_categorical <= 0 || options.num_dense < 0) {
    return Status::InvalidArgument("a model needs categorical fields; got ", options.num_categorical);
  }
  if (options.name == "lr") return std::unique_ptr<Model>(new WideDeepModel(options, /*with_deep=*/false));
  if (options.name == "wide_deep") {
    if (options.embedding_dim <= 0) {
      return Status::InvalidArgument("--embedding_dim must be positive; got ", options.embedding_dim);
    }
    for (int64_t h : options.hidden) {
      if (h <= 0) return Status::InvalidArgument("--hidden sizes must be positive; got ", h);
    }
    return std::unique_ptr<Model>(new WideDeepModel(options, /*with_deep=*/true));
  }
  return Status::InvalidArgument("unknown --model '", options.name, "': expected lr or wide_deep");
}

}  // namespace ember::models
