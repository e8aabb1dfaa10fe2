// models/internal/parts.h: the pieces the models share. Private to models/.
//
//  - WidePart: a linear model over sparse keys with one weight per key in a
//    dim-1 table (Wide & Deep's wide part, DeepFM's first-order part): a
//    bias key, the raw categorical keys and optional crossed pairs.
//  - FieldEmbeddings: one embedding per categorical field, sum-pooled into
//    the leading columns of a [B, fields*dim + ...] matrix, and back.
//  - small helpers over the worker's plain vectors.
// Each piece is owned by one model (one thread); the static functions are
// thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "models/model.h"
#include "ops/tensor.h"
#include "sparse/table_config.h"

namespace ember::models::internal {

// A shape-checked int32 view of v[begin, begin + count) (to the end by default).
ops::IndexTensor IndexView(const std::vector<int32_t>& v, size_t begin = 0, size_t count = SIZE_MAX);

// Resizes *t to `shape` unless it already has it.
void EnsureShape(ops::Tensor* t, std::vector<int64_t> shape);

float Sigmoid(float z);

// InvalidArgument unless inputs and rows hold one entry per table and the
// batch has the model's dense and categorical field counts.
Status CheckStepInputs(const ModelOptions& options, size_t num_tables, const data::Batch& batch,
                       const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows);

// dst[b, dst_col + k] = src[b, src_col + k] for k < width, every row b (both
// [B, *] on the CPU).
void CopyColumns(const ops::Tensor& src, int64_t src_col, int64_t width, ops::Tensor* dst, int64_t dst_col);

// Copies the batch's dense features into columns [col, col + num_dense) of *x.
void CopyDenseFeatures(const data::Batch& batch, int64_t col, ops::Tensor* x);

// Multiplies every row gradient by the batch size: sparse rows get the
// gradient of the batch's SUMMED loss, as FTRL and AdaGrad are defined for
// per-example (online) updates. With the mean loss a row seen once in a batch
// of B would move B times less, and FTRL's L1 would hold nearly every weight
// at zero.
void ScaleToSummedLoss(int64_t batch_size, std::vector<ops::Tensor>* row_grads);

// The mean binary cross-entropy of `logits` [B,1] against the batch's
// labels, each sample's loss times its batch.weights entry when the batch has
// weights (sum / B, ops/loss.h): fills result (loss, probabilities) and
// *dlogits (resized here) with the gradient of the mean loss,
// w * (sigmoid(z) - y) / B. InvalidArgument when weights has neither 0 nor B
// entries.
Status LogisticLoss(const data::Batch& batch, const ops::Tensor& logits, ops::Tensor* dlogits, StepResult* result);

// sigmoid(logits) into *probabilities (resized here).
void Probabilities(const ops::Tensor& logits, int64_t batch_size, std::vector<float>* probabilities);

class WidePart {
 public:
  // The dim-1 table `name` with id `id`, zero init, options.wide_optimizer.
  static sparse::TableConfig Table(int id, const char* name, const ModelOptions& options);
  // Fills *input with the bias group, one group per categorical field and
  // one per cross, and dedups the keys.
  static void PrepareInputs(const data::Batch& batch, int num_categorical, const std::vector<FieldCross>& crosses,
                            SparseInput* input);
  // (*logits)[b] += the sum of sample b's weights. logits [B, 1].
  Status AddLogits(const SparseInput& input, const ops::Tensor& rows, ops::Tensor* logits);
  // *grads = d loss / d row for every unique key (resized, zeroed first),
  // given dlogits [B, 1] (d logit / d weight = 1).
  Status Backward(const ops::Tensor& dlogits, const SparseInput& input, ops::Tensor* grads);

 private:
  ops::Tensor pooled_;   // [B, groups]
  ops::Tensor dpooled_;  // [B, groups]
};

struct FieldEmbeddings {
  // The table `name` of dim options.embedding_dim with id `id`, normal init,
  // options.deep_optimizer.
  static sparse::TableConfig Table(int id, const char* name, const ModelOptions& options);
  // Fills *input with one group per categorical field and dedups the keys.
  static void PrepareInputs(const data::Batch& batch, int num_categorical, SparseInput* input);
  // Sum-pools field f into columns [f*dim, (f+1)*dim) of *out ([B, C]).
  static Status Forward(const SparseInput& input, const ops::Tensor& rows, int64_t dim, ops::Tensor* out);
  // *grads ([unique, dim], resized and zeroed) from columns [0, fields*dim) of dout.
  static Status Backward(const ops::Tensor& dout, const SparseInput& input, int64_t dim, ops::Tensor* grads);
};

}  // namespace ember::models::internal
