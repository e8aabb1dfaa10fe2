// models/model.h: the dense part of a recommendation model and the sparse
// tables it reads, as the worker sees them.
//
// A Model names its sparse tables (created on the servers from the same
// flags in every process), turns a parsed batch into per-table key lists
// (SparseInput), and runs forward and backward on one batch given the rows
// pulled for the batch's unique keys. Its dense parameters live in one
// ParameterSet, so the worker allreduces one flat gradient buffer.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Model> model, CreateModel(options));
//   std::vector<SparseInput> inputs(model->tables().size());
//   model->PrepareInputs(batch, &inputs);            // reader thread: keys + dedup
//   ... pull rows[t] for inputs[t].unique.keys ...
//   RETURN_IF_ERROR(model->TrainStep(batch, inputs, rows, &row_grads, &result));
//
// A Model is owned by one worker thread; nothing in it is thread-safe, but
// PrepareInputs is const and may run on another thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "data/batch.h"
#include "ops/dense_optimizer.h"
#include "ops/parameters.h"
#include "ops/tensor.h"
#include "sparse/dedup.h"
#include "sparse/table_config.h"

namespace ember::models {

// The keys one batch reads from one sparse table, grouped in bags: a bag is
// one field (or one crossed pair of fields) of one sample.
struct SparseInput {
  std::vector<Key> keys;                      // every occurrence, bag group after bag group
  sparse::UniqueKeys unique;                  // unique keys and keys -> unique row
  std::vector<int32_t> group_begin;           // group g's keys start at keys[group_begin[g]]
  std::vector<std::vector<int32_t>> offsets;  // per group: batch+1 offsets relative to group_begin[g]
  void Clear();
};

// What one step produced, for metrics.
struct StepResult {
  double mean_loss = 0;              // mean over the batch
  std::vector<float> probabilities;  // one per sample
};

// A pair of categorical fields whose tokens are crossed (Wide & Deep's
// cross-product transformation): key = HashCross(key_a, key_b).
struct FieldCross {
  int field_a = 0;
  int field_b = 0;
};

struct ModelOptions {
  // "lr", "wide_deep", "deepfm", "dcn", "dlrm", "ncf", "din", "bst",
  // "youtube_retrieval" or "youtube_ranking"
  std::string name = "wide_deep";
  int num_dense = 13;
  int num_categorical = 26;
  int embedding_dim = 16;  // Default: 16
  std::vector<int64_t> hidden = {1024, 512, 256};
  std::vector<FieldCross> wide_crosses;  // Default: none
  uint64_t seed = 1;
  sparse::SparseOptimizerConfig wide_optimizer;  // Default set by CreateModel: FTRL
  sparse::SparseOptimizerConfig deep_optimizer;  // Default set by CreateModel: AdaGrad
  float embedding_init_scale = 0.01f;
  int cross_layers = 3;                       // dcn: cross layers. Default: 3
  std::vector<int64_t> bottom_hidden = {64};  // dlrm: bottom MLP hidden sizes. Default: 64
  std::string ncf_variant = "neumf";          // ncf: "gmf", "mlp" or "neumf". Default: neumf
  int ncf_mlp_embedding_dim = 32;             // ncf: the MLP tower's embeddings. Default: 32
  // din, bst, youtube_retrieval: the latest history items a sample reads
  // (0: no history; the same network without the sequence). Default: 20
  int max_seq_len = 20;
  int attention_heads = 2;  // bst: heads of the self-attention. Default: 2
  // Where the dense parameters live and the dense part computes (--device).
  // Default: the CPU
  ops::Device device = ops::Device::Cpu();
};

// Parses "C1xC2,C3xC14" (1-based Criteo field names) into crosses.
// InvalidArgument naming the bad piece.
StatusOr<std::vector<FieldCross>> ParseFieldCrosses(std::string_view text, int num_categorical);

class Model {
 public:
  virtual ~Model() = default;
  // The sparse tables, with ids 0..n-1 in this order.
  const std::vector<sparse::TableConfig>& tables() const { return tables_; }
  ops::ParameterSet* dense_params() { return &params_; }
  const ModelOptions& options() const { return options_; }
  // Where the dense part computes: every tensor the model allocates is there.
  ops::Device device() const { return options_.device; }

  // Fills inputs[t] (one per table) with the batch's keys and their dedup.
  virtual void PrepareInputs(const data::Batch& batch, std::vector<SparseInput>* inputs) const = 0;

  // Forward and backward on `batch`. rows[t] holds the rows of
  // inputs[t].unique.keys ([unique, dim]) on device(). Writes the gradient
  // of the batch's SUMMED loss with respect to those rows into
  // (*row_grads)[t] (resized here, on device(); per-example updates, as the
  // server optimizers expect) and ACCUMULATES the gradient of the MEAN loss
  // into dense_params(). InvalidArgument on shape or device mismatches;
  // what a failed allocation or CUDA call returns otherwise.
  virtual Status TrainStep(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                           const std::vector<ops::Tensor>& rows, std::vector<ops::Tensor>* row_grads,
                           StepResult* result) = 0;

  // Forward only: probabilities of every sample (rows on device(), the
  // probabilities copied to the host).
  virtual Status Predict(const data::Batch& batch, const std::vector<SparseInput>& inputs,
                         const std::vector<ops::Tensor>& rows, std::vector<float>* probabilities) = 0;

 protected:
  // The layers Add their parameters to params_ (on options.device);
  // CreateModel finalizes it.
  explicit Model(ModelOptions options) : options_(std::move(options)), params_(options_.device) {}
  ModelOptions options_;
  std::vector<sparse::TableConfig> tables_;
  ops::ParameterSet params_;
};

// True for the models that read user-item interactions
// (--data_format=interactions): ncf, din, bst, youtube_retrieval.
bool ReadsInteractions(const std::string& name);

// The history a model reads (data::InteractionReaderOptions::max_seq_len):
// options.max_seq_len for din, bst and youtube_retrieval, 0 for the others.
int HistoryLength(const ModelOptions& options);

// "lr" (logistic regression: FTRL over the categorical keys and crosses, a
// dense linear part), "wide_deep" (Cheng et al. 2016), "deepfm", "dcn"
// (DCN-v2, models/dcn.h), "dlrm", "ncf" (models/ncf.h; options.ncf_variant),
// "din" (models/din.h), "bst" (models/bst.h), "youtube_retrieval" or
// "youtube_ranking" (models/youtube_dnn.h). InvalidArgument for an unknown
// name or bad options. The returned model's ParameterSet is finalized and
// initialised from options.seed on options.device (ResourceExhausted when
// the device cannot hold it).
StatusOr<std::unique_ptr<Model>> CreateModel(const ModelOptions& options);

}  // namespace ember::models
