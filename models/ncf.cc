#include "models/ncf.h"

#include <cstring>

namespace ember::models {

using internal::EnsureShape;
using internal::FieldEmbeddings;

namespace {

constexpr int kNcfFields = 2;  // user, item

ModelOptions NcfLayout(ModelOptions options) {
  options.num_dense = 0;
  options.num_categorical = kNcfFields;
  return options;
}

}  // namespace

StatusOr<NcfModel::Variant> ParseNcfVariant(std::string_view name) {
  if (name == "gmf") return NcfModel::Variant::kGmf;
  if (name == "mlp") return NcfModel::Variant::kMlp;
  if (name == "neumf") return NcfModel::Variant::kNeuMf;
  return Status::InvalidArgument("unknown --ncf_variant '", name, "': expected gmf, mlp or neumf");
}

NcfModel::NcfModel(ModelOptions options, Variant variant) : Model(NcfLayout(std::move(options))), variant_(variant) {
  if (has_gmf()) {
    gmf_table_ = static_cast<int>(tables_.size());
    gmf_dim_ = options_.embedding_dim;
    tables_.push_back(FieldEmbeddings::Table(gmf_table_, "gmf", options_));
  }
  if (has_mlp()) {
    mlp_table_ = static_cast<int>(tables_.size());
    mlp_dim_ = options_.ncf_mlp_embedding_dim;
    sparse::TableConfig table = FieldEmbeddings::Table(mlp_table_, "mlp", options_);
    table.dim = static_cast<int>(mlp_dim_);
    tables_.push_back(table);
    std::vector<int64_t> hidden = options_.hidden;
    tower_out_ = hidden.back();
    hidden.pop_back();
    tower_ = std::make_unique<ops::Mlp>(&params_, "mlp", 2 * mlp_dim_, hidden, tower_out_, ops::Activation::kRelu,
                                        ops::Activation::kRelu);
  }
  predict_ = std::make_unique<ops::Linear>(&params_, "predict", gmf_dim_ + tower_out_, 1);
  params_.Finalize(options_.seed);
}

void NcfModel::PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const {
  inputs->resize(tables_.size());
  for (SparseInput& input : *inputs) {
    input.Clear();
    FieldEmbeddings::PrepareInputs(batch, kNcfFields, &input);
  }
}

Status NcfModel::Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows) {
  RETURN_IF_ERROR(internal::CheckStepInputs(options_, tables_.size(), batch, inputs, rows));
  const int64_t n = batch.size;
  const int64_t width = gmf_dim_ + tower_out_;
  EnsureShape(&concat_, {n, width});
  if (has_gmf()) {
    EnsureShape(&gmf_emb_, {n, 2 * gmf_dim_});
    RETURN_IF_ERROR(FieldEmbeddings::Forward(inputs[gmf_table_], rows[gmf_table_], gmf_dim_, &gmf_emb_));
    const float* e = gmf_emb_.data();
    float* c = concat_.data();
    for (int64_t b = 0; b < n; ++b) {
      const float* user = e + b * 2 * gmf_dim_;
      const float* item = user + gmf_dim_;
      for (int64_t k = 0; k < gmf_dim_; ++k) c[b * width + k] = user[k] * item[k];
    }
  }
  if (has_mlp()) {
    EnsureShape(&mlp_emb_, {n, 2 * mlp_dim_});
    RETURN_IF_ERROR(FieldEmbeddings::Forward(inputs[mlp_table_], rows[mlp_table_], mlp_dim_, &mlp_emb_));
    RETURN_IF_ERROR(tower_->Forward(mlp_emb_, &tower_y_));
    for (int64_t b = 0; b < n; ++b) {
      std::memcpy(concat_.data() + b * width + gmf_dim_, tower_y_.data() + b * tower_out_, sizeof(float) * tower_out_);
    }
  }
  return predict_->Forward(concat_, &logits_);
}

Status NcfModel::TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                           const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                           StepResult* result) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  const int64_t n = batch.size;
  const int64_t width = gmf_dim_ + tower_out_;
  RETURN_IF_ERROR(internal::LogisticLoss(batch, logits_, &dlogits_, result));
  RETURN_IF_ERROR(predict_->Backward(dlogits_, &dconcat_));
  row_grads->resize(tables_.size());
  const float* dc = dconcat_.data();
  if (has_gmf()) {
    EnsureShape(&dgmf_emb_, {n, 2 * gmf_dim_});
    const float* e = gmf_emb_.data();
    float* de = dgmf_emb_.data();
    for (int64_t b = 0; b < n; ++b) {
      const float* user = e + b * 2 * gmf_dim_;
      const float* item = user + gmf_dim_;
      float* duser = de + b * 2 * gmf_dim_;
      float* ditem = duser + gmf_dim_;
      for (int64_t k = 0; k < gmf_dim_; ++k) {
        const float g = dc[b * width + k];
        duser[k] = g * item[k];
        ditem[k] = g * user[k];
      }
    }
    RETURN_IF_ERROR(FieldEmbeddings::Backward(dgmf_emb_, inputs[gmf_table_], gmf_dim_, &(*row_grads)[gmf_table_]));
  }
  if (has_mlp()) {
    EnsureShape(&dtower_y_, {n, tower_out_});
    for (int64_t b = 0; b < n; ++b) {
      std::memcpy(dtower_y_.data() + b * tower_out_, dc + b * width + gmf_dim_, sizeof(float) * tower_out_);
    }
    EnsureShape(&dmlp_emb_, {n, 2 * mlp_dim_});
    RETURN_IF_ERROR(tower_->Backward(dtower_y_, &dmlp_emb_));
    RETURN_IF_ERROR(FieldEmbeddings::Backward(dmlp_emb_, inputs[mlp_table_], mlp_dim_, &(*row_grads)[mlp_table_]));
  }
  internal::ScaleToSummedLoss(n, row_grads);
  return Status::OK();
}

Status NcfModel::Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) {
  RETURN_IF_ERROR(Forward(batch, inputs, rows));
  internal::Probabilities(logits_, batch.size, probabilities);
  return Status::OK();
}

}  // namespace ember::models
