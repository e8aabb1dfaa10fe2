// models/dlrm.h: DLRM.
//
// Follows Naumov et al., "Deep Learning Recommendation Model for
// Personalization and Recommendation Systems" (2019):
//  - bottom MLP over the dense features: hidden sizes --bottom_hidden, then
//    --embedding_dim outputs, ReLU after EVERY layer including the last, as
//    the paper's reference implementation (dlrm_s_pytorch.py) does;
//  - one embedding per categorical field in sparse table 1 `deep` (dim
//    --embedding_dim, normal init, the deep optimizer: AdaGrad);
//  - the dot interaction (ops::DotInteractionForward) of the T = F + 1
//    vectors [bottom output, e_1, ..., e_F]: T*(T-1)/2 pairwise dot products;
//  - a top MLP (--hidden, ReLU, one output) over [bottom output | the dot
//    products];
//  - data without dense features (Avazu): no bottom MLP, the interaction
//    of the T = F field embeddings, the top MLP over the dot products alone
//    (F >= 2);
//  - plus the first-order part of Wide & Deep: a bias key and one weight per
//    categorical key in sparse table 0 `wide` (dim 1, zero init, FTRL).
// logit = first_order(x) + top(...). The bottom and top MLPs are trained on
// the worker with the dense optimizer. --wide_crosses is ignored: the dot
// interaction learns the field pairs.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/embedding_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/layers.h"

namespace ember::models {

class DlrmModel : public internal::EmbeddingModel {
 public:
  // Finalizes the ParameterSet. options.embedding_dim, hidden and, with
  // dense features, bottom_hidden must be positive (CreateModel checks them).
  explicit DlrmModel(ModelOptions options);

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  int64_t dim_ = 0;                   // embedding_dim: the width of every vector
  int64_t bottom_width_ = 0;          // dim_ with dense features (the bottom output), else 0
  int64_t num_vectors_ = 0;           // T = fields + 1 (fields without dense features)
  int64_t num_pairs_ = 0;             // T*(T-1)/2
  std::unique_ptr<ops::Mlp> bottom_;  // null without dense features
  std::unique_ptr<ops::Mlp> top_;
  // Per-step buffers, kept to avoid reallocation.
  ops::Tensor dense_;        // [B, dense]: the bottom MLP's input
  ops::Tensor bottom_out_;   // [B, D]
  ops::Tensor embeddings_;   // [B, F*D]
  ops::Tensor vectors_;      // [B, T*D]: bottom output | embeddings
  ops::Tensor pairs_;        // [B, pairs]: the dot products
  ops::Tensor top_input_;    // [B, bottom_width + pairs]: bottom output | dot products
  ops::Tensor top_out_;      // [B, 1]
  ops::Tensor dtop_input_;   // [B, bottom_width + pairs]
  ops::Tensor dpairs_;       // [B, pairs]
  ops::Tensor dvectors_;     // [B, T*D]
  ops::Tensor dembeddings_;  // [B, F*D]
  ops::Tensor dbottom_out_;  // [B, D]
};

}  // namespace ember::models
