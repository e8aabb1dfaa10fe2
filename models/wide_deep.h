// models/wide_deep.h: logistic regression and Wide & Deep.
//
// Wide & Deep follows Cheng et al., "Wide & Deep Learning for Recommender
// Systems" (DLRS 2016): logit = wide(x) + deep(x).
//  - wide: a linear model over a bias, the raw categorical keys and the
//    crossed pairs of fields named by --wide_crosses, one weight per key in
//    sparse table 0 (dim 1), trained with FTRL-Proximal on the servers;
//  - deep: one embedding per categorical field in sparse table 1 (dim
//    --embedding_dim, AdaGrad on the servers), concatenated with the dense
//    features and fed to an MLP (ReLU) with one output, trained on the
//    worker with the dense optimizer (AdaGrad or Adam).
// LR is the wide part alone plus a linear layer over the dense features.
#pragma once

#include <memory>

#include "models/internal/logistic_model.h"
#include "models/internal/parts.h"
#include "models/model.h"
#include "ops/layers.h"

namespace ember::models {

class WideDeepModel : public internal::LogisticModel {
 public:
  // `with_deep` false gives LR. Finalizes the ParameterSet.
  WideDeepModel(ModelOptions options, bool with_deep);

  void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const override;

 private:
  static constexpr int kWideTable = 0;
  static constexpr int kDeepTable = 1;
  // Computes logits_ for the batch; caches what Backward needs.
  Status Forward(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                 const std::vector<ops::Tensor>& rows) override;
  Status Backward(const data::Batch& batch, std::vector<ops::Tensor>* row_grads) override;

  const bool with_deep_;
  int64_t deep_input_width_ = 0;
  std::unique_ptr<ops::Mlp> deep_;             // wide_deep: the deep MLP
  std::unique_ptr<ops::Linear> dense_linear_;  // lr: the dense features' weights; none without dense features
  internal::WidePart wide_;                    // the wide part (sparse table 0)
  std::vector<internal::TableIndex> index_;    // the step's inputs on device()
  ops::Tensor dense_features_;                 // the batch's dense features on device()
  // Per-step buffers, kept to avoid reallocation.
  ops::Tensor deep_input_;    // [B, fields*dim + dense] or [B, dense]
  ops::Tensor dense_out_;     // [B, 1]
  ops::Tensor d_deep_input_;  // [B, deep_input_width_]
};

}  // namespace ember::models
