// models/ncf.h: Neural Collaborative Filtering (GMF, MLP and NeuMF).
//
// Follows He et al., "Neural Collaborative Filtering" (WWW 2017). The input
// is a (user, item) pair: a Batch of two categorical fields (0: user key,
// 1: item key; data/interactions.h) and no dense features.
//  - GMF: user and item embeddings p_u, q_i in sparse table `gmf` (dim
//    --embedding_dim); phi_GMF = p_u ⊙ q_i.
//  - MLP: separate user and item embeddings in sparse table `mlp` (dim
//    --ncf_mlp_embedding_dim), concatenated, through an ops::Mlp "mlp" with
//    ReLU on every layer (--hidden; the last size is the tower's output).
//  - NeuMF: logit = h^T [phi_GMF | phi_MLP] + b (ops::Linear "predict");
//    GMF alone and MLP alone use the same output layer over their own part.
// Loss: BCE with logits over sampled negatives (pointwise log loss, as the
// paper). Tables: neumf has `gmf` (id 0) and `mlp` (id 1); gmf and mlp one
// table each (id 0); normal init (--embedding_init_scale, the paper's
// N(0, 0.01)), the deep optimizer on the servers (the paper uses Adam).
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/logistic_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/layers.h"

namespace ember::models {

class NcfModel : public internal::LogisticModel {
 public:
  enum class Variant { kGmf, kMlp, kNeuMf };
  // The input layout is fixed: num_dense = 0 and num_categorical = 2 whatever
  // `options` says. Sizes must be positive (CreateModel checks them).
  NcfModel(ModelOptions options, Variant variant);

  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const override;

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;
  bool has_gmf() const { return variant_ != Variant::kMlp; }
  bool has_mlp() const { return variant_ != Variant::kGmf; }

  Variant variant_;
  int gmf_table_ = -1, mlp_table_ = -1;
  int64_t gmf_dim_ = 0, mlp_dim_ = 0, tower_out_ = 0;
  std::unique_ptr<ops::Mlp> tower_;
  std::unique_ptr<ops::Linear> predict_;
  // Per-step buffers.
  std::vector<internal::TableIndex> index_;        // the step's inputs on device()
  ops::Tensor gmf_emb_;                            // [B, 2*gmf_dim]: p_u | q_i
  ops::Tensor gmf_user_, gmf_item_, gmf_product_;  // [B, gmf_dim] each: p_u, q_i, p_u * q_i
  ops::Tensor mlp_emb_;                            // [B, 2*mlp_dim]
  ops::Tensor tower_y_;                            // [B, tower_out]
  ops::Tensor concat_;                             // [B, gmf_dim + tower_out]
  ops::Tensor dconcat_, dgmf_emb_, dtower_y_, dmlp_emb_;
  ops::Tensor dgmf_product_, dgmf_user_, dgmf_item_;
};

// "gmf", "mlp" or "neumf"; InvalidArgument otherwise.
StatusOr<NcfModel::Variant> ParseNcfVariant(std::string_view name);

}  // namespace ember::models
