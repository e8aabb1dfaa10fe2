// models/internal/parts.h: the pieces the models share. Private to models/.
//
//  - WidePart: a linear model over sparse keys with one weight per key in a
//    dim-1 table (Wide & Deep's wide part, DeepFM's first-order part): a
//    bias key, the raw categorical keys and optional crossed pairs.
//  - FieldEmbeddings: one embedding per categorical field, sum-pooled into
//    the leading columns of a [B, fields*dim + ...] matrix, and back.
//  - TableIndex: a table's SparseInput on the model's device;
//  - helpers that move the batch's host values (dense features, labels,
//    weights) to the device and the probabilities back.
// Every tensor lives on the model's device and is touched only through ops.
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

// One bag group of a table's input on the model's device: the rows of its
// keys (into the unique keys) and its batch+1 offsets.
struct GroupIndex {
  ops::IndexTensor ids;
  ops::IndexTensor offsets;
};

// The index tensors of one table's SparseInput on the model's device. On
// the CPU they are views of the SparseInput's vectors (no copy); on a CUDA
// device the inverse index and all groups' offsets go over in two copies.
struct TableIndex {
  std::vector<GroupIndex> groups;
  int64_t num_unique = 0;  // rows of the table's pulled rows and gradients
  // Builds the index of `input` on `device`; fails as the copies do.
  Status Upload(const SparseInput& input, ops::Device device);

 private:
  ops::IndexTensor inverse_;           // on the device (CUDA only)
  ops::IndexTensor offsets_;           // every group's offsets, one after the other (CUDA only)
  std::vector<int32_t> host_offsets_;  // their staging copy
};

// TableIndex::Upload of every table's input into *index (resized).
Status UploadInputs(const std::vector<SparseInput>& inputs, ops::Device device, std::vector<TableIndex>* index);

// The values of a host vector as a tensor of `shape` on `device`: a view
// of the vector on the CPU, a copy into *t on a CUDA device.
Status HostValues(const std::vector<float>& values, std::vector<int64_t> shape, ops::Device device, ops::Tensor* t);
// The same for int32 values (class indices, lengths).
Status HostIndex(const std::vector<int32_t>& values, ops::Device device, ops::IndexTensor* t);

// Makes *t a tensor of `shape` on `device` unless it already is one (its
// values are then undefined). Fails as ops::Tensor::Allocate does.
Status EnsureShape(ops::Tensor* t, std::vector<int64_t> shape, ops::Device device);

// InvalidArgument unless inputs and rows hold one entry per table and the
// batch has the model's dense and categorical field counts.
Status CheckStepInputs(const ModelOptions& options, size_t num_tables, const data::Batch& batch,
                       const std::vector<SparseInput>& inputs, const std::vector<ops::Tensor>& rows);

// Copies the batch's dense features into columns [col, col + num_dense) of
// *x (on x's device; `scratch` holds their copy there).
Status CopyDenseFeatures(const data::Batch& batch, int64_t col, ops::Tensor* scratch, ops::Tensor* x);

// Multiplies every row gradient by the batch size: sparse rows get the
// gradient of the batch's SUMMED loss, as FTRL and AdaGrad are defined for
// per-example (online) updates. With the mean loss a row seen once in a batch
// of B would move B times less, and FTRL's L1 would hold nearly every weight
// at zero.
Status ScaleToSummedLoss(int64_t batch_size, std::vector<ops::Tensor>* row_grads);

// The labels, weights and probabilities of a CTR batch on the model's
// device, and the binary cross-entropy over them.
class LogisticLoss {
 public:
  // The mean binary cross-entropy of `logits` [B,1] against the batch's
  // labels, each sample's loss times its batch.weights entry when the batch
  // has weights (sum / B, ops/loss.h): fills result (loss, probabilities)
  // and *dlogits (resized here) with the gradient of the mean loss,
  // w * (sigmoid(z) - y) / B. InvalidArgument when weights has neither 0 nor
  // B entries.
  Status Compute(const data::Batch& batch, const ops::Tensor& logits, ops::Tensor* dlogits, StepResult* result);

 private:
  ops::Tensor labels_, weights_;
};

// sigmoid(logits) into *probabilities (resized here; copied to the host).
Status Probabilities(const ops::Tensor& logits, std::vector<float>* probabilities);

class WidePart {
 public:
  // The dim-1 table `name` with id `id`, zero init, options.wide_optimizer.
  static sparse::TableConfig Table(int id, const char* name, const ModelOptions& options);
  // Fills *input with the bias group, one group per categorical field and
  // one per cross, and dedups the keys.
  static void PrepareInputs(const data::Batch& batch, int num_categorical, const std::vector<FieldCross>& crosses,
                            SparseInput* input);
  // (*logits)[b] += the sum of sample b's weights. logits [B, 1].
  Status AddLogits(const TableIndex& index, const ops::Tensor& rows, ops::Tensor* logits);
  // *grads = d loss / d row for every unique key (resized, zeroed first),
  // given dlogits [B, 1] (d logit / d weight = 1).
  Status Backward(const ops::Tensor& dlogits, const TableIndex& index, ops::Tensor* grads);

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
  static Status Forward(const TableIndex& index, const ops::Tensor& rows, int64_t dim, ops::Tensor* out);
  // *grads ([unique, dim], allocated on dout's device and zeroed) from
  // columns [0, fields*dim) of dout.
  static Status Backward(const ops::Tensor& dout, const TableIndex& index, int64_t dim, ops::Tensor* grads);
};

}  // namespace ember::models::internal
