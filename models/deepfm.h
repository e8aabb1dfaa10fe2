// models/deepfm.h: DeepFM.
//
// Follows Guo et al., "DeepFM: A Factorization-Machine based Neural Network
// for CTR Prediction" (IJCAI 2017): logit = first-order(x) + FM(x) + MLP(x),
// where the FM and the MLP share one embedding per categorical field.
//  - first order: one weight per categorical key plus a bias key in sparse
//    table 0 `wide` (dim 1, zero init, the wide optimizer: FTRL), the same
//    code as Wide & Deep's wide part without crosses;
//  - FM second order: sum over pairs of fields of the dot product of their
//    embeddings (ops::FmInteractionForward), embeddings in sparse table 1
//    `deep` (dim --embedding_dim, normal init, the deep optimizer: AdaGrad);
//  - deep: an MLP (--hidden, ReLU, one output) over [the same embeddings |
//    the dense features], trained on the worker with the dense optimizer.
// --wide_crosses is ignored: the FM learns the pairwise interactions.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/embedding_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/layers.h"

namespace ember::models {

class DeepFmModel : public internal::EmbeddingModel {
 public:
  // Finalizes the ParameterSet. options.embedding_dim and hidden must be
  // positive (CreateModel checks them).
  explicit DeepFmModel(ModelOptions options);

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  int64_t input_width_ = 0;  // fields * dim + dense
  std::unique_ptr<ops::Mlp> deep_;
  // Per-step buffers, kept to avoid reallocation.
  ops::Tensor input_;    // [B, fields*dim + dense]: embeddings | dense features
  ops::Tensor mlp_out_;  // [B, 1]
  ops::Tensor fm_out_;   // [B, 1]
  ops::Tensor dinput_;   // [B, input_width_]
};

}  // namespace ember::models
