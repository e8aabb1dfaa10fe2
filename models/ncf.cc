#include "models/ncf.h"

#include "ops/combine.h"

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

NcfModel::NcfModel(ModelOptions options, Variant variant)
    : LogisticModel(NcfLayout(std::move(options))), variant_(variant) {
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
  RETURN_IF_ERROR(internal::UploadInputs(inputs, device(), &index_));
  const int64_t n = batch.size;
  RETURN_IF_ERROR(EnsureShape(&concat_, {n, gmf_dim_ + tower_out_}, device()));
  if (has_gmf()) {
    // GMF: p_u * q_i into columns [0, gmf_dim) of the predictor's input.
    RETURN_IF_ERROR(EnsureShape(&gmf_emb_, {n, 2 * gmf_dim_}, device()));
    RETURN_IF_ERROR(FieldEmbeddings::Forward(index_[gmf_table_], rows[gmf_table_], gmf_dim_, &gmf_emb_));
    for (ops::Tensor* t : {&gmf_user_, &gmf_item_, &gmf_product_}) {
      RETURN_IF_ERROR(EnsureShape(t, {n, gmf_dim_}, device()));
    }
    RETURN_IF_ERROR(ops::CopyColumns(gmf_emb_, 0, gmf_dim_, &gmf_user_, 0));
    RETURN_IF_ERROR(ops::CopyColumns(gmf_emb_, gmf_dim_, gmf_dim_, &gmf_item_, 0));
    RETURN_IF_ERROR(ops::Multiply(gmf_user_, gmf_item_, &gmf_product_));
    RETURN_IF_ERROR(ops::CopyColumns(gmf_product_, 0, gmf_dim_, &concat_, 0));
  }
  if (has_mlp()) {
    RETURN_IF_ERROR(EnsureShape(&mlp_emb_, {n, 2 * mlp_dim_}, device()));
    RETURN_IF_ERROR(FieldEmbeddings::Forward(index_[mlp_table_], rows[mlp_table_], mlp_dim_, &mlp_emb_));
    RETURN_IF_ERROR(tower_->Forward(mlp_emb_, &tower_y_));
    RETURN_IF_ERROR(ops::CopyColumns(tower_y_, 0, tower_out_, &concat_, gmf_dim_));
  }
  return predict_->Forward(concat_, &logits_);
}

Status NcfModel::Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) {
  const int64_t n = batch.size;
  RETURN_IF_ERROR(predict_->Backward(dlogits_, &dconcat_));
  if (has_gmf()) {
    for (ops::Tensor* t : {&dgmf_product_, &dgmf_user_, &dgmf_item_}) {
      RETURN_IF_ERROR(EnsureShape(t, {n, gmf_dim_}, device()));
    }
    RETURN_IF_ERROR(ops::CopyColumns(dconcat_, 0, gmf_dim_, &dgmf_product_, 0));
    RETURN_IF_ERROR(ops::MultiplyBackward(gmf_user_, gmf_item_, dgmf_product_, &dgmf_user_, &dgmf_item_));
    RETURN_IF_ERROR(EnsureShape(&dgmf_emb_, {n, 2 * gmf_dim_}, device()));
    RETURN_IF_ERROR(ops::CopyColumns(dgmf_user_, 0, gmf_dim_, &dgmf_emb_, 0));
    RETURN_IF_ERROR(ops::CopyColumns(dgmf_item_, 0, gmf_dim_, &dgmf_emb_, gmf_dim_));
    RETURN_IF_ERROR(FieldEmbeddings::Backward(dgmf_emb_, index_[gmf_table_], gmf_dim_, &(*row_grads)[gmf_table_]));
  }
  if (has_mlp()) {
    RETURN_IF_ERROR(EnsureShape(&dtower_y_, {n, tower_out_}, device()));
    RETURN_IF_ERROR(ops::CopyColumns(dconcat_, gmf_dim_, tower_out_, &dtower_y_, 0));
    RETURN_IF_ERROR(EnsureShape(&dmlp_emb_, {n, 2 * mlp_dim_}, device()));
    RETURN_IF_ERROR(tower_->Backward(dtower_y_, &dmlp_emb_));
    RETURN_IF_ERROR(FieldEmbeddings::Backward(dmlp_emb_, index_[mlp_table_], mlp_dim_, &(*row_grads)[mlp_table_]));
  }
  return Status::OK();
}

}  // namespace ember::models
