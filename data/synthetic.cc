#include "data/synthetic.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <utility>

#include "common/files.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "data/internal/criteo_format.h"

namespace ember::data {
namespace {

// Vocabulary of C1..C26 at vocab_scale 1: most fields small, a long tail of
// larger ones. The first kNumInteractingFields may take part in interactions.
constexpr std::array<int32_t, SyntheticModel::kNumCategorical> kBaseVocabSizes = {
    2,   3,   4,   5,   7,   10,   12,   16,   24,   32,   50,   64,    100,
    128, 200, 300, 500, 800, 1000, 1500, 2000, 3000, 5000, 8000, 12000, 20000};
constexpr int kNumInteractingFields = 21;  // vocab <= 2000
constexpr int kCalibrationRows = 50'000;
constexpr size_t kWriteBufferBytes = size_t{8} << 20;

// Stream tags: the model, the calibration sample, the train and test rows.
enum : uint64_t {
  kModelStream = 0x6d6f64656c,
  kCalibrationStream = 0x63616c6962,
  kTrainStream = 0x747261696e,
  kTestStream = 0x74657374
};
Rng StreamRng(uint64_t seed, uint64_t tag) { return Rng(Mix64(seed ^ Mix64(tag))); }

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// A bijection on 32 bits, so distinct ranks get distinct tokens.
uint32_t MixToken(uint32_t rank, uint32_t salt) {
  uint32_t h = rank ^ salt;
  h *= 0x9E3779B1u;
  h ^= h >> 15;
  h *= 0x85EBCA77u;
  h ^= h >> 13;
  return h;
}

// Walker's alias tables for P(r) ~ weights[r].
void BuildAlias(const std::vector<double>& weights, std::vector<float>* prob, std::vector<int32_t>* alias) {
  const size_t n = weights.size();
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<double> scaled(n);
  for (size_t i = 0; i < n; ++i) scaled[i] = weights[i] * static_cast<double>(n) / total;
  prob->assign(n, 1.0f);
  alias->resize(n);
  std::iota(alias->begin(), alias->end(), 0);
  std::vector<int32_t> small, large;
  for (size_t i = 0; i < n; ++i) (scaled[i] < 1.0 ? small : large).push_back(static_cast<int32_t>(i));
  while (!small.empty() && !large.empty()) {
    const int32_t s = small.back(), l = large.back();
    small.pop_back();
    (*prob)[s] = static_cast<float>(scaled[s]);
    (*alias)[s] = l;
    scaled[l] -= 1.0 - scaled[s];
    if (scaled[l] < 1.0) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Leftovers (rounding) keep probability 1.
}

// The variance factor of a token of 0-based `rank`: 1 up to signal_rank,
// then signal_rank / (rank + 1).
double Shrinkage(const SyntheticOptions& options, int32_t rank) {
  if (options.signal_rank <= 0 || rank < options.signal_rank) return 1.0;
  return static_cast<double>(options.signal_rank) / (rank + 1.0);
}

Status ValidateOptions(const SyntheticOptions& o) {
  auto bad = [](const char* name, auto value, const char* want) {
    return Status::InvalidArgument("SyntheticOptions.", name, " = ", value, ": ", want);
  };
  if (o.train_rows < 0) return bad("train_rows", o.train_rows, "must be >= 0");
  if (o.test_rows < 1) return bad("test_rows", o.test_rows, "must be >= 1");
  if (!(o.target_ctr > 0 && o.target_ctr < 1)) return bad("target_ctr", o.target_ctr, "must be in (0, 1)");
  if (!(o.logit_stddev > 0 && o.logit_stddev < 100)) return bad("logit_stddev", o.logit_stddev, "must be in (0, 100)");
  if (!(o.zipf_exponent >= 0 && o.zipf_exponent <= 10))
    return bad("zipf_exponent", o.zipf_exponent, "must be in [0, 10]");
  if (!(o.vocab_scale > 0 && o.vocab_scale <= 1000)) return bad("vocab_scale", o.vocab_scale, "must be in (0, 1000]");
  if (!(o.missing_rate >= 0 && o.missing_rate < 1)) return bad("missing_rate", o.missing_rate, "must be in [0, 1)");
  if (!(o.dense_missing_rate >= 0 && o.dense_missing_rate < 1)) {
    return bad("dense_missing_rate", o.dense_missing_rate, "must be in [0, 1)");
  }
  constexpr int kMaxPairs = kNumInteractingFields * (kNumInteractingFields - 1) / 2;
  if (o.num_interactions < 0 || o.num_interactions > kMaxPairs) {
    return bad("num_interactions", o.num_interactions, "must be in [0, 210]");
  }
  if (o.signal_rank < 0) return bad("signal_rank", o.signal_rank, "must be >= 0");
  if (o.interaction_rank < 1 || o.interaction_rank > 64) {
    return bad("interaction_rank", o.interaction_rank, "must be in [1, 64]");
  }
  if (!(o.token_weight_stddev >= 0)) return bad("token_weight_stddev", o.token_weight_stddev, "must be >= 0");
  if (!(o.interaction_stddev >= 0)) return bad("interaction_stddev", o.interaction_stddev, "must be >= 0");
  if (!(o.dense_weight_stddev >= 0)) return bad("dense_weight_stddev", o.dense_weight_stddev, "must be >= 0");
  if (o.token_weight_stddev + o.dense_weight_stddev + (o.num_interactions > 0 ? o.interaction_stddev : 0) <= 0) {
    return Status::InvalidArgument(
        "SyntheticOptions: token_weight_stddev, interaction_stddev and "
        "dense_weight_stddev are all 0; the labels would carry no signal");
  }
  return Status::OK();
}

}  // namespace

StatusOr<SyntheticModel> SyntheticModel::Create(const SyntheticOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  SyntheticModel m;
  m.zipf_exponent_ = options.zipf_exponent;
  m.missing_rate_ = options.missing_rate;
  m.dense_missing_rate_ = options.dense_missing_rate;
  m.interaction_rank_ = options.interaction_rank;
  Rng rng = StreamRng(options.seed, kModelStream);

  m.token_weights_.resize(kNumCategorical);
  m.rank_of_key_.resize(kNumCategorical);
  m.alias_prob_.resize(kNumCategorical);
  m.alias_index_.resize(kNumCategorical);
  for (int f = 0; f < kNumCategorical; ++f) {
    const double scaled = std::round(kBaseVocabSizes[f] * options.vocab_scale);
    m.vocab_sizes_[f] = static_cast<int32_t>(std::clamp(scaled, 2.0, double{1 << 24}));
    m.can_be_missing_[f] = f % 4 == 3;
    m.token_salts_[f] = static_cast<uint32_t>(rng.Next());
    const int32_t vocab = m.vocab_sizes_[f];
    std::vector<double> weights(vocab + 1);  // + missing, which is never shrunk
    for (int32_t r = 0; r <= vocab; ++r) {
      weights[r] = rng.Normal(0.0, options.token_weight_stddev) * std::sqrt(Shrinkage(options, r == vocab ? 0 : r));
    }
    m.token_weights_[f] = std::move(weights);
    std::vector<double> zipf(vocab);
    for (int32_t r = 0; r < vocab; ++r) zipf[r] = std::pow(r + 1.0, -options.zipf_exponent);
    BuildAlias(zipf, &m.alias_prob_[f], &m.alias_index_[f]);
    auto& rank_of_key = m.rank_of_key_[f];
    rank_of_key.reserve(vocab + 1);
    for (int32_t r = 0; r <= vocab; ++r) rank_of_key.emplace(internal::CategoricalKey(f, m.Token(f, r)), r);
  }

  // Interacting pairs among C1..C21; entries N(0, s^2) with r * s^4 =
  // interaction_stddev^2, so that each dot product has that variance.
  std::vector<std::pair<int, int>> pairs;
  for (int a = 0; a < kNumInteractingFields; ++a) {
    for (int b = a + 1; b < kNumInteractingFields; ++b) pairs.emplace_back(a, b);
  }
  for (int i = 0; i < options.num_interactions; ++i) {  // partial Fisher-Yates
    std::swap(pairs[i], pairs[i + rng.UniformInt(pairs.size() - i)]);
  }
  const int rank = options.interaction_rank;
  const double entry_stddev = std::pow(options.interaction_stddev * options.interaction_stddev / rank, 0.25);
  for (int i = 0; i < options.num_interactions; ++i) {
    Interaction inter;
    inter.field_a = pairs[i].first;
    inter.field_b = pairs[i].second;
    inter.u.resize(static_cast<size_t>(m.vocab_sizes_[inter.field_a] + 1) * rank);
    inter.v.resize(static_cast<size_t>(m.vocab_sizes_[inter.field_b] + 1) * rank);
    // Each side shrinks by the fourth root, so the product's variance
    // shrinks like a token weight's.
    auto fill = [&](std::vector<float>& vectors, int field) {
      const int32_t vocab = m.vocab_sizes_[field];
      for (int32_t r = 0; r <= vocab; ++r) {
        const double stddev = entry_stddev * std::pow(Shrinkage(options, r == vocab ? 0 : r), 0.25);
        for (int k = 0; k < rank; ++k)
          vectors[static_cast<size_t>(r) * rank + k] = static_cast<float>(rng.Normal(0.0, stddev));
      }
    };
    fill(inter.u, inter.field_a);
    fill(inter.v, inter.field_b);
    m.interactions_.push_back(std::move(inter));
  }

  for (int j = 0; j < kNumDense; ++j) {
    DenseResponse& r = m.dense_[j];
    r.mu = 0.3 + 0.35 * j;
    r.sigma = 0.6 + 0.1 * (j % 5);
    r.kind = j < 8 ? 0 : (j < 11 ? 1 : 2);
    r.center = r.mu + rng.Normal(0.0, 0.25 * r.sigma);
    r.weight = rng.Normal(0.0, options.dense_weight_stddev);
  }

  // Scale the logit to logit_stddev, then solve the bias for target_ctr, on
  // a calibration sample of their own stream.
  Rng sample_rng = StreamRng(options.seed, kCalibrationStream);
  std::vector<double> raw(kCalibrationRows);
  std::array<int32_t, kNumCategorical> ranks;
  std::array<int64_t, kNumDense> raw_dense;
  std::array<float, kNumDense> dense;
  m.bias_ = 0;
  m.scale_ = 1;
  double sum = 0, sum_sq = 0;
  for (double& z : raw) {
    m.SampleFeatures(&sample_rng, ranks, raw_dense);
    for (int j = 0; j < kNumDense; ++j) dense[j] = internal::DenseTransform(raw_dense[j]);
    z = m.Logit(ranks, dense);
    sum += z;
    sum_sq += z * z;
  }
  const double mean = sum / kCalibrationRows;
  const double stddev = std::sqrt(std::max(0.0, sum_sq / kCalibrationRows - mean * mean));
  if (stddev < 1e-9) return Status::InvalidArgument("SyntheticOptions: the model's logit does not vary");
  m.scale_ = options.logit_stddev / stddev;
  double lo = -50, hi = 50;
  for (int it = 0; it < 100; ++it) {
    const double mid = 0.5 * (lo + hi);
    double ctr = 0;
    for (double z : raw) ctr += Sigmoid(mid + m.scale_ * z);
    (ctr / kCalibrationRows < options.target_ctr ? lo : hi) = mid;
  }
  m.bias_ = 0.5 * (lo + hi);
  return m;
}

std::string SyntheticModel::Token(int field, int32_t rank) const {
  if (rank >= vocab_sizes_[field]) return "";
  char text[9];
  std::snprintf(text, sizeof(text), "%08x", MixToken(static_cast<uint32_t>(rank), token_salts_[field]));
  return text;
}

double SyntheticModel::DenseTerm(int j, float d) const {
  const DenseResponse& r = dense_[j];
  const double t = (d - r.center) / r.sigma;
  switch (r.kind) {
    case 0:
      return r.weight * t;
    case 1:
      return r.weight * std::tanh(2.0 * t);
    default:
      return r.weight * std::exp(-t * t);
  }
}

double SyntheticModel::Logit(std::span<const int32_t> ranks, std::span<const float> dense) const {
  double z = 0;
  for (int f = 0; f < kNumCategorical; ++f) z += token_weights_[f][ranks[f]];
  const int rank = interaction_rank_;
  for (const Interaction& inter : interactions_) {
    const float* u = inter.u.data() + static_cast<size_t>(ranks[inter.field_a]) * rank;
    const float* v = inter.v.data() + static_cast<size_t>(ranks[inter.field_b]) * rank;
    double dot = 0;
    for (int k = 0; k < rank; ++k) dot += static_cast<double>(u[k]) * v[k];
    z += dot;
  }
  for (int j = 0; j < kNumDense; ++j) z += DenseTerm(j, dense[j]);
  return bias_ + scale_ * z;
}

void SyntheticModel::SampleFeatures(Rng* rng, std::span<int32_t> ranks, std::span<int64_t> raw_dense) const {
  for (int f = 0; f < kNumCategorical; ++f) {
    const int32_t vocab = vocab_sizes_[f];
    if (can_be_missing_[f] && rng->Uniform() < missing_rate_) {
      ranks[f] = vocab;
      continue;
    }
    const double u = rng->Uniform() * vocab;
    const int32_t i = std::min(static_cast<int32_t>(u), vocab - 1);
    ranks[f] = (u - i) < alias_prob_[f][i] ? i : alias_index_[f][i];
  }
  for (int j = 0; j < kNumDense; ++j) {
    const double z = rng->Normal();
    const bool missing = rng->Uniform() < dense_missing_rate_;
    const double x = std::round(std::exp(dense_[j].mu + dense_[j].sigma * z)) - 1.0;
    raw_dense[j] = missing ? -1 : static_cast<int64_t>(std::clamp(x, 0.0, 1e9));
  }
}

std::string SyntheticModel::InteractionsAsCrosses() const {
  std::string crosses;
  for (const Interaction& inter : interactions_) {
    if (!crosses.empty()) crosses += ',';
    crosses.append("C").append(std::to_string(inter.field_a + 1));
    crosses.append("xC").append(std::to_string(inter.field_b + 1));
  }
  return crosses;
}

StatusOr<double> SyntheticModel::Probability(const Batch& batch, int64_t b) const {
  if (b < 0 || b >= batch.size) return Status::InvalidArgument("sample ", b, " of a batch of ", batch.size);
  if (batch.num_dense != kNumDense || batch.fields.size() != static_cast<size_t>(kNumCategorical)) {
    return Status::InvalidArgument("batch has ", batch.num_dense, " dense features and ", batch.fields.size(),
                                   " fields; the synthetic model needs 13 and 26");
  }
  std::array<int32_t, kNumCategorical> ranks;
  for (int f = 0; f < kNumCategorical; ++f) {
    const SparseField& field = batch.fields[f];
    if (field.NumKeys(b) != 1) {
      return Status::InvalidArgument("sample ", b, " has ", field.NumKeys(b), " keys in field ", f, ", want 1");
    }
    const Key key = field.keys[field.offsets[b]];
    const auto it = rank_of_key_[f].find(key);
    if (it == rank_of_key_[f].end()) {
      return Status::InvalidArgument("key ", key, " of sample ", b, " field ", f, " is no token of this model");
    }
    ranks[f] = it->second;
  }
  return Sigmoid(Logit(ranks, std::span<const float>(batch.DenseRow(b), kNumDense)));
}

namespace {

// Streams rows into `path` through `path.tmp`; keeps the true probabilities
// and labels for the oracle metrics.
class RowWriter {
 public:
  explicit RowWriter(std::string path) : path_(std::move(path)), tmp_path_(path_ + ".tmp") {}
  ~RowWriter() {
    if (file_ != nullptr) {
      std::fclose(file_);
      std::remove(tmp_path_.c_str());
    }
  }
  Status Open() {
    file_ = std::fopen(tmp_path_.c_str(), "wb");
    if (file_ == nullptr) return Status::Internal("cannot create ", tmp_path_, ": ", std::strerror(errno));
    buffer_.reserve(kWriteBufferBytes + 4096);
    return Status::OK();
  }
  std::string& buffer() { return buffer_; }
  Status MaybeFlush(bool force) {
    if (buffer_.size() < kWriteBufferBytes && !force) return Status::OK();
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      return Status::Internal("cannot write ", tmp_path_, ": ", std::strerror(errno));
    }
    buffer_.clear();
    return Status::OK();
  }
  Status Close() {
    RETURN_IF_ERROR(MaybeFlush(true));
    const bool ok = std::fflush(file_) == 0;
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (!ok || !closed) {
      std::remove(tmp_path_.c_str());
      return Status::Internal("cannot write ", tmp_path_, ": ", std::strerror(errno));
    }
    if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
      return Status::Internal("cannot rename ", tmp_path_, " to ", path_, ": ", std::strerror(errno));
    }
    return Status::OK();
  }

 private:
  std::string path_, tmp_path_;
  FILE* file_ = nullptr;
  std::string buffer_;
};

struct FileMetrics {
  double auc = 0, logloss = 0, ctr = 0;
};

Status WriteRows(const SyntheticModel& model, Rng rng, int64_t rows, const std::string& path,
                 const std::vector<std::vector<std::array<char, 8>>>& tokens, FileMetrics* metrics) {
  RowWriter writer(path);
  RETURN_IF_ERROR(writer.Open());
  std::vector<float> probabilities, labels;
  probabilities.reserve(rows);
  labels.reserve(rows);
  std::array<int32_t, SyntheticModel::kNumCategorical> ranks;
  std::array<int64_t, SyntheticModel::kNumDense> raw_dense;
  std::array<float, SyntheticModel::kNumDense> dense;
  double positives = 0;
  char number[24];
  for (int64_t i = 0; i < rows; ++i) {
    model.SampleFeatures(&rng, ranks, raw_dense);
    for (int j = 0; j < SyntheticModel::kNumDense; ++j) dense[j] = internal::DenseTransform(raw_dense[j]);
    const double p = 1.0 / (1.0 + std::exp(-model.Logit(ranks, dense)));
    const bool click = rng.Uniform() < p;
    positives += click;
    probabilities.push_back(static_cast<float>(p));
    labels.push_back(click ? 1.0f : 0.0f);

    std::string& out = writer.buffer();
    out.push_back(click ? '1' : '0');
    for (int j = 0; j < SyntheticModel::kNumDense; ++j) {
      out.push_back('\t');
      if (raw_dense[j] >= 0) {
        const auto result = std::to_chars(number, number + sizeof(number), raw_dense[j]);
        out.append(number, result.ptr);
      }
    }
    for (int f = 0; f < SyntheticModel::kNumCategorical; ++f) {
      out.push_back('\t');
      if (ranks[f] < model.vocab_size(f)) out.append(tokens[f][ranks[f]].data(), 8);
    }
    out.push_back('\n');
    RETURN_IF_ERROR(writer.MaybeFlush(false));
  }
  RETURN_IF_ERROR(writer.Close());
  metrics->ctr = rows > 0 ? positives / static_cast<double>(rows) : 0.0;
  metrics->auc = ComputeAuc(probabilities, labels);
  metrics->logloss = ComputeLogloss(probabilities, labels);
  return Status::OK();
}

}  // namespace

Status GenerateSyntheticCriteo(const SyntheticOptions& options, SyntheticSummary* summary) {
  if (options.out_dir.empty()) return Status::InvalidArgument("SyntheticOptions.out_dir is empty");
  ASSIGN_OR_RETURN(SyntheticModel model, SyntheticModel::Create(options));
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Status::Internal("cannot create directory ", options.out_dir, ": ", ec.message());

  std::vector<std::vector<std::array<char, 8>>> tokens(SyntheticModel::kNumCategorical);
  for (int f = 0; f < SyntheticModel::kNumCategorical; ++f) {
    tokens[f].resize(model.vocab_size(f));
    for (int32_t r = 0; r < model.vocab_size(f); ++r) std::memcpy(tokens[f][r].data(), model.Token(f, r).data(), 8);
  }
  const std::string dir = options.out_dir + "/";
  FileMetrics train, test;
  RETURN_IF_ERROR(
      WriteRows(model, StreamRng(options.seed, kTrainStream), options.train_rows, dir + "train.tsv", tokens, &train));
  RETURN_IF_ERROR(
      WriteRows(model, StreamRng(options.seed, kTestStream), options.test_rows, dir + "test.tsv", tokens, &test));
  JsonObject json;
  json.Add("test_auc", test.auc)
      .Add("test_logloss", test.logloss)
      .Add("train_ctr", train.ctr)
      .Add("test_ctr", test.ctr)
      .Add("train_auc", train.auc)
      .Add("train_logloss", train.logloss)
      .Add("train_rows", options.train_rows)
      .Add("test_rows", options.test_rows)
      .Add("seed", static_cast<int64_t>(options.seed))
      .Add("bias", model.bias())
      .Add("scale", model.scale())
      .Add("logit_stddev", options.logit_stddev)
      .Add("target_ctr", options.target_ctr)
      .Add("interactions", model.InteractionsAsCrosses());
  RETURN_IF_ERROR(WriteFileAtomically(dir + "oracle.json", json.ToString() + "\n"));
  LOG(INFO) << "gen-data: wrote " << options.train_rows << " train and " << options.test_rows << " test rows to "
            << options.out_dir << "; oracle test AUC " << test.auc << ", logloss " << test.logloss << ", CTR "
            << test.ctr;
  if (summary != nullptr) {
    summary->test_auc = test.auc;
    summary->test_logloss = test.logloss;
    summary->train_ctr = train.ctr;
    summary->test_ctr = test.ctr;
    summary->train_auc = train.auc;
    summary->train_logloss = train.logloss;
    summary->interactions = model.InteractionsAsCrosses();
  }
  return Status::OK();
}

}  // namespace ember::data
