// models/dcn.h: DCN-v2, the stacked structure.
//
// Follows Wang et al., "DCN V2: Improved Deep & Cross Network and Practical
// Lessons for Web-scale Learning to Rank Systems" (WWW 2021), stacked
// structure (cross network, then deep network):
//  - x0 = [one embedding per categorical field | the dense features], the
//    embeddings in sparse table 1 `deep` (dim --embedding_dim, normal init,
//    the deep optimizer: AdaGrad), the same input as Wide & Deep's deep part;
//  - --cross_layers cross layers x_{l+1} = x0 ⊙ (x_l W_l + b_l) + x_l with
//    full-rank W_l [d, d] (ops::CrossNetwork, d = fields*dim + dense);
//  - an MLP (--hidden, ReLU) with one output over the cross network's output;
//  - plus the first-order part of Wide & Deep: a bias key and one weight per
//    categorical key in sparse table 0 `wide` (dim 1, zero init, FTRL).
// logit = first_order(x) + mlp(cross(x0)). The cross network and the MLP are
// trained on the worker with the dense optimizer. --wide_crosses is ignored:
// the cross network learns the feature crosses.
// Not thread-safe (see models/model.h).
#pragma once

#include <memory>

#include "models/internal/embedding_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/cross_layer.h"
#include "ops/layers.h"

namespace ember::models {

class DcnModel : public internal::EmbeddingModel {
 public:
  // Finalizes the ParameterSet. options.embedding_dim, hidden and
  // cross_layers must be positive (CreateModel checks them).
  explicit DcnModel(ModelOptions options);

 private:
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  int64_t input_width_ = 0;  // fields * dim + dense
  std::unique_ptr<ops::CrossNetwork> cross_;
  std::unique_ptr<ops::Mlp> deep_;
  // Per-step buffers, kept to avoid reallocation.
  ops::Tensor input_;       // [B, input_width_]: x0 = embeddings | dense features
  ops::Tensor cross_out_;   // [B, input_width_]
  ops::Tensor mlp_out_;     // [B, 1]
  ops::Tensor dcross_out_;  // [B, input_width_]
  ops::Tensor dinput_;      // [B, input_width_]
};

}  // namespace ember::models
