#include "models/wide_deep.h"

#include "common/files.h"
#include "ops/combine.h"

namespace ember::models {

using internal::FieldEmbeddings;
using internal::WidePart;

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
    : LogisticModel(std::move(options)), with_deep_(with_deep) {
  tables_.push_back(WidePart::Table(kWideTable, "wide", options_));
  if (with_deep_) {
    tables_.push_back(FieldEmbeddings::Table(kDeepTable, "deep", options_));
    deep_input_width_ = static_cast<int64_t>(options_.num_categorical) * options_.embedding_dim + options_.num_dense;
    deep_ = std::make_unique<ops::Mlp>(&params_, "deep", deep_input_width_, options_.hidden, 1);
  } else {
    deep_input_width_ = options_.num_dense;
    // Without dense features (e.g. --data_format=schema with only cat
    // columns) lr is its wide part alone.
    // Logistic regression starts from zero weights, as FTRL's first-order
    // weights do: a random start on log-count features puts the first
    // logits several units from 0, which a few steps of Adam do not undo.
    if (deep_input_width_ > 0) {
      dense_linear_ = std::make_unique<ops::Linear>(&params_, "dense", deep_input_width_, 1, ops::Activation::kNone,
                                                    ops::Init::kZeros);
    }
  }
}

void WideDeepModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (auto& input : *inputs) input.Clear();
  WidePart::PrepareInputs(batch, options_.num_categorical, options_.wide_crosses, &(*inputs)[kWideTable]);
  if (with_deep_) FieldEmbeddings::PrepareInputs(batch, options_.num_categorical, &(*inputs)[kDeepTable]);
}

Status WideDeepModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                              const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  RETURN_IF_ERROR(internal::UploadInputs(inputs, device(), &index_));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(internal::EnsureShape(&logits_, {n, 1}, device()));
  if (!with_deep_ && dense_linear_ == nullptr) {  // lr without dense features
    RETURN_IF_ERROR(ops::SetZero(&logits_));
    return wide_.AddLogits(index_[kWideTable], rows[kWideTable], &logits_);
  }
  // Deep (or LR's dense part): [embeddings of every field | dense features].
  RETURN_IF_ERROR(internal::EnsureShape(&deep_input_, {n, deep_input_width_}, device()));
  if (with_deep_) {
    RETURN_IF_ERROR(
        FieldEmbeddings::Forward(index_[kDeepTable], rows[kDeepTable], options_.embedding_dim, &deep_input_));
  }
  RETURN_IF_ERROR(
      internal::CopyDenseFeatures(batch, deep_input_width_ - options_.num_dense, &dense_features_, &deep_input_));
  if (with_deep_) {
    RETURN_IF_ERROR(deep_->Forward(deep_input_, &dense_out_));
  } else {
    RETURN_IF_ERROR(dense_linear_->Forward(deep_input_, &dense_out_));
  }
  RETURN_IF_ERROR(ops::CopyInto(dense_out_, &logits_));
  // Wide: one pooled weight per bag group, summed.
  return wide_.AddLogits(index_[kWideTable], rows[kWideTable], &logits_);
}

Status WideDeepModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  // Deep part (or LR's dense linear).
  if (with_deep_) {
    RETURN_IF_ERROR(internal::EnsureShape(&d_deep_input_, {n, deep_input_width_}, device()));
    RETURN_IF_ERROR(deep_->Backward(dlogits_, &d_deep_input_));
    RETURN_IF_ERROR(FieldEmbeddings::Backward(d_deep_input_, index_[kDeepTable], options_.embedding_dim,
                                              &(*row_grads)[kDeepTable]));
  } else if (dense_linear_ != nullptr) {
    RETURN_IF_ERROR(dense_linear_->Backward(dlogits_, nullptr));
  }
  RETURN_IF_ERROR(wide_.Backward(dlogits_, index_[kWideTable], &(*row_grads)[kWideTable]));
  return Status::OK();
}

}  // namespace ember::models
