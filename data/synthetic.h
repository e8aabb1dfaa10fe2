// data/synthetic.h: `ember gen-data`, Criteo-format train and test files
// drawn from a KNOWN ground-truth click model, so that a trained model's AUC
// can be compared with the best achievable one (the "oracle").
//
// The true model (details and defaults in docs/data_formats.md):
//   tokens   26 categorical fields, vocabularies of 2..20000 tokens (most
//            small), Zipf-distributed ranks; some fields are sometimes empty,
//            and "missing" is a value with its own weight.
//   dense    13 integer features x = round(exp(mu_j + sigma_j * z)) - 1 >= 0,
//            occasionally empty; the model sees d_j = log(1+x) (the reader's
//            transform) through a linear (8 features), tanh (3) or bump (2)
//            response.
//   logit    bias + scale * (sum_f w_f[t_f] + sum_{(a,b)} <u_ab[t_a], v_ab[t_b]>
//            + sum_j g_j(d_j)), where the pairwise terms are rank-4 dot
//            products over a few field pairs; `scale` makes the logit's
//            standard deviation `logit_stddev`, and `bias` makes the mean
//            click probability `target_ctr`.
//   label    Bernoulli(sigmoid(logit)).
//
// Everything is deterministic from `seed`: the model, the train rows and the
// test rows each come from their own stream, so the test file does not
// depend on train_rows. Single-threaded; 1M rows take 3-5 seconds.
//
//   SyntheticOptions options;
//   options.out_dir = "/tmp/synth";
//   SyntheticSummary summary;
//   RETURN_IF_ERROR(GenerateSyntheticCriteo(options, &summary));
//   LOG(INFO) << "oracle test AUC " << summary.test_auc;
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/random.h"
#include "common/status.h"
#include "data/batch.h"

namespace ember::data {

struct SyntheticOptions {
  std::string out_dir;             // REQUIRED; created if needed
  int64_t train_rows = 1'000'000;  // >= 0. Default: 1M
  int64_t test_rows = 100'000;     // >= 1. Default: 100k
  uint64_t seed = 1;               // Default: 1

  // Mean click probability (the bias is solved for it). Default: 0.25
  double target_ctr = 0.25;
  // Standard deviation of the logit before the bias; sets how predictable
  // clicks are (the oracle AUC). Default: 1.5
  double logit_stddev = 1.5;
  // Token ranks are drawn with P(r) ~ 1/(r+1)^zipf_exponent. Default: 1.1
  double zipf_exponent = 1.1;
  // Multiplies every field's vocabulary size (min 2). Default: 1
  double vocab_scale = 1.0;
  // Probability that a field of the "sometimes missing" kind (C4, C8, ...,
  // every 4th) is empty. Default: 0.1
  double missing_rate = 0.1;
  // Probability that a dense value is written empty. Default: 0.05
  double dense_missing_rate = 0.05;
  // Number of interacting field pairs, drawn among the fields with at most
  // 2000 tokens, each a rank-`interaction_rank` dot product. Default: 8 and 4
  int num_interactions = 8;
  int interaction_rank = 4;
  // Tokens ranked past this in their field (0-based rank >= signal_rank)
  // carry less signal: their weight and interaction vectors shrink so that
  // the variance of their terms falls as signal_rank / (rank + 1). Rare
  // tokens are then not where the signal hides, which keeps the oracle
  // within reach of a model trained on ~1M rows. 0 disables. Default: 100
  int32_t signal_rank = 100;
  // Relative weights of the three parts of the logit before it is scaled to
  // logit_stddev: the standard deviation of one token weight, of one pair's
  // dot product, and of one dense response's weight. Defaults: 1, 0.5, 1
  double token_weight_stddev = 1.0;
  double interaction_stddev = 0.5;
  double dense_weight_stddev = 1.0;
};

struct SyntheticSummary {
  double test_auc = 0;       // oracle: AUC of the true probabilities on the test file
  double test_logloss = 0;   // oracle: logloss of the true probabilities on the test file
  double train_ctr = 0;      // fraction of positive labels in the train file
  double test_ctr = 0;       // fraction of positive labels in the test file
  double train_auc = 0;      // oracle AUC on the train file (NaN if it has one class)
  double train_logloss = 0;  // oracle logloss on the train file (NaN if empty)
  std::string interactions;  // the true interacting pairs, as --wide_crosses spells them
};

// Writes out_dir/train.tsv, out_dir/test.tsv and out_dir/oracle.json =
// {"test_auc", "test_logloss", "train_ctr", "test_ctr", "train_auc",
// "train_logloss", "train_rows", "test_rows", "seed", "bias", "scale",
// "logit_stddev", "target_ctr"} (each file through a .tmp and a rename).
// InvalidArgument for bad options (naming the option); Internal with the
// path when a file cannot be written. `summary` may be null.
Status GenerateSyntheticCriteo(const SyntheticOptions& options, SyntheticSummary* summary);

// The true click model that GenerateSyntheticCriteo draws from, rebuilt from
// the same options (only the seed and the model knobs matter). Immutable
// once built; thread-safe to share.
class SyntheticModel {
 public:
  static constexpr int kNumDense = 13;
  static constexpr int kNumCategorical = 26;

  // InvalidArgument naming the option when the options are out of range.
  static StatusOr<SyntheticModel> Create(const SyntheticOptions& options);

  // Tokens per field, excluding "missing".
  int32_t vocab_size(int field) const { return vocab_sizes_[field]; }
  double bias() const { return bias_; }
  double scale() const { return scale_; }
  // The interacting field pairs as --wide_crosses spells them: "C3xC7,C1xC12".
  std::string InteractionsAsCrosses() const;

  // The raw token text of `rank` in `field` (8 lowercase hex digits), or ""
  // for rank == vocab_size(field), the "missing" value.
  std::string Token(int field, int32_t rank) const;

  // The true logit of a record given its 26 token ranks (vocab_size = missing)
  // and its 13 dense features as the reader computes them (log(1+x) or 0).
  double Logit(std::span<const int32_t> ranks, std::span<const float> dense) const;

  // Draws one record's features from `rng`: 26 token ranks (vocab_size =
  // missing) and 13 raw dense integers (-1 = written empty).
  void SampleFeatures(Rng* rng, std::span<int32_t> ranks, std::span<int64_t> raw_dense) const;

  // The true click probability of sample `b` of a batch that CriteoReader
  // read from a file this model generated. InvalidArgument when the batch
  // does not have 26 fields with one key each and 13 dense features, or a
  // key is not one of this model's tokens.
  StatusOr<double> Probability(const Batch& batch, int64_t b) const;

 private:
  struct Interaction {
    int field_a = 0, field_b = 0;
    std::vector<float> u;  // (vocab_a + 1) x rank
    std::vector<float> v;  // (vocab_b + 1) x rank
  };
  struct DenseResponse {
    double mu = 0, sigma = 1;  // x = round(exp(mu + sigma z)) - 1
    int kind = 0;              // 0 linear, 1 tanh, 2 bump
    double weight = 0, center = 0;
  };
  SyntheticModel() = default;
  double DenseTerm(int j, float d) const;

  std::array<int32_t, kNumCategorical> vocab_sizes_{};
  std::array<bool, kNumCategorical> can_be_missing_{};
  std::array<uint32_t, kNumCategorical> token_salts_{};
  std::vector<std::vector<double>> token_weights_;  // [field][rank], rank vocab = missing
  std::vector<Interaction> interactions_;
  int interaction_rank_ = 0;
  std::array<DenseResponse, kNumDense> dense_{};
  double bias_ = 0, scale_ = 1;
  double zipf_exponent_ = 1, missing_rate_ = 0, dense_missing_rate_ = 0;
  std::vector<std::unordered_map<Key, int32_t>> rank_of_key_;  // [field]
  // Zipf samplers (Walker's alias method), one per field.
  std::vector<std::vector<float>> alias_prob_;
  std::vector<std::vector<int32_t>> alias_index_;
};

}  // namespace ember::data
