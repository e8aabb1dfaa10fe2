#include "data/synthetic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "common/files.h"
#include "common/metrics.h"
#include "data/criteo_reader.h"
#include "tests/data/test_util.h"

namespace ember::data {
namespace {

using testing::TempDir;

SyntheticOptions SmallOptions(const std::string& out_dir, uint64_t seed = 7) {
  SyntheticOptions options;
  options.out_dir = out_dir;
  options.train_rows = 3000;
  options.test_rows = 2000;
  options.seed = seed;
  return options;
}

std::string Contents(const std::string& path) {
  StatusOr<std::string> contents = ReadFileToString(path);
  EXPECT_TRUE(contents.ok()) << contents.status();
  return contents.ok() ? *contents : "";
}

// Reads every record of `path`, expecting no bad line.
std::vector<Batch> ReadBatches(const std::string& path, int64_t* records) {
  CriteoReader reader({.files = {path}, .batch_size = 4096, .max_bad_lines = 0});
  EXPECT_TRUE(reader.Open().ok());
  std::vector<Batch> batches;
  while (true) {
    Batch batch;
    StatusOr<bool> more = reader.Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    batches.push_back(std::move(batch));
  }
  EXPECT_EQ(reader.bad_lines(), 0);
  *records = reader.records_read();
  return batches;
}

TEST(SyntheticTest, DeterministicForASeed) {
  TempDir a, b, c;
  SyntheticSummary summary_a, summary_b;
  ASSERT_TRUE(GenerateSyntheticCriteo(SmallOptions(a.path() + "/out"), &summary_a).ok());
  ASSERT_TRUE(GenerateSyntheticCriteo(SmallOptions(b.path() + "/out"), &summary_b).ok());
  ASSERT_TRUE(GenerateSyntheticCriteo(SmallOptions(c.path(), /*seed=*/8), nullptr).ok());
  for (const char* name : {"/train.tsv", "/test.tsv", "/oracle.json"}) {
    const std::string first = Contents(a.path() + "/out" + name);
    EXPECT_FALSE(first.empty()) << name;
    EXPECT_EQ(first, Contents(b.path() + "/out" + name)) << name;
    EXPECT_NE(first, Contents(c.path() + name)) << name;
  }
  EXPECT_EQ(summary_a.test_auc, summary_b.test_auc);
  EXPECT_FALSE(std::filesystem::exists(a.path() + "/out/train.tsv.tmp"));

  // The test file does not depend on the number of train rows.
  SyntheticOptions more_train = SmallOptions(c.path() + "/more");
  more_train.train_rows = 5000;
  ASSERT_TRUE(GenerateSyntheticCriteo(more_train, nullptr).ok());
  EXPECT_EQ(Contents(a.path() + "/out/test.tsv"), Contents(c.path() + "/more/test.tsv"));
}

// Every line parses, and oracle.json holds the metrics of the true
// probabilities recomputed from the files through the reader.
TEST(SyntheticTest, FilesParseAndOracleMatchesRecomputation) {
  TempDir dir;
  const SyntheticOptions options = SmallOptions(dir.path());
  SyntheticSummary summary;
  ASSERT_TRUE(GenerateSyntheticCriteo(options, &summary).ok());
  StatusOr<SyntheticModel> model = SyntheticModel::Create(options);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::string json = Contents(dir.path() + "/oracle.json");

  for (const char* split : {"train", "test"}) {
    int64_t records = 0;
    const std::vector<Batch> batches = ReadBatches(dir.path() + "/" + split + ".tsv", &records);
    EXPECT_EQ(records, std::string(split) == "train" ? options.train_rows : options.test_rows);
    std::vector<float> probabilities, labels;
    for (const Batch& batch : batches) {
      for (int64_t b = 0; b < batch.size; ++b) {
        StatusOr<double> p = model->Probability(batch, b);
        ASSERT_TRUE(p.ok()) << p.status();
        probabilities.push_back(static_cast<float>(*p));
        labels.push_back(batch.labels[b]);
      }
    }
    double positives = 0;
    for (float y : labels) positives += y;
    const std::string prefix = split;
    StatusOr<double> auc = JsonNumberField(json, prefix + "_auc");
    StatusOr<double> logloss = JsonNumberField(json, prefix + "_logloss");
    StatusOr<double> ctr = JsonNumberField(json, prefix + "_ctr");
    ASSERT_TRUE(auc.ok() && logloss.ok() && ctr.ok()) << json;
    EXPECT_NEAR(*auc, ComputeAuc(probabilities, labels), 1e-12) << split;
    EXPECT_NEAR(*logloss, ComputeLogloss(probabilities, labels), 1e-12) << split;
    EXPECT_NEAR(*ctr, positives / static_cast<double>(labels.size()), 1e-12) << split;
  }
  EXPECT_NEAR(*JsonNumberField(json, "test_auc"), summary.test_auc, 1e-12);
  EXPECT_NEAR(*JsonNumberField(json, "test_logloss"), summary.test_logloss, 1e-12);
  EXPECT_NEAR(*JsonNumberField(json, "train_ctr"), summary.train_ctr, 1e-12);
  EXPECT_NEAR(*JsonNumberField(json, "test_ctr"), summary.test_ctr, 1e-12);
  EXPECT_EQ(*JsonNumberField(json, "train_rows"), 3000);
  EXPECT_NEAR(*JsonNumberField(json, "bias"), model->bias(), 1e-12);
}

TEST(SyntheticTest, ModelTokensAreHexAndUnknownKeysAreRejected) {
  StatusOr<SyntheticModel> model = SyntheticModel::Create(SmallOptions("unused"));
  ASSERT_TRUE(model.ok());
  for (int f = 0; f < SyntheticModel::kNumCategorical; ++f) {
    EXPECT_GE(model->vocab_size(f), 2);
    EXPECT_EQ(model->Token(f, model->vocab_size(f)), "");
    const std::string token = model->Token(f, 0);
    EXPECT_EQ(token.size(), 8u);
    EXPECT_EQ(token.find_first_not_of("0123456789abcdef"), std::string::npos) << token;
  }
  EXPECT_EQ(model->vocab_size(25), 20000);
  Batch batch;
  batch.num_dense = 13;
  batch.size = 1;
  batch.dense.assign(13, 0.0f);
  batch.labels = {0};
  batch.fields.resize(26);
  for (int f = 0; f < 26; ++f) batch.fields[f] = {{HashFieldToken(f, model->Token(f, 0))}, {0, 1}};
  StatusOr<double> p = model->Probability(batch, 0);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_GT(*p, 0.0);
  EXPECT_LT(*p, 1.0);
  batch.fields[3].keys[0] = HashFieldToken(3, "deadbeef0");
  EXPECT_EQ(model->Probability(batch, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(SyntheticTest, RejectsBadOptions) {
  auto code = [](auto edit) {
    SyntheticOptions options = SmallOptions("/tmp/unused");
    edit(options);
    return GenerateSyntheticCriteo(options, nullptr).code();
  };
  EXPECT_EQ(code([](SyntheticOptions& o) { o.out_dir = ""; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.train_rows = -1; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.test_rows = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.target_ctr = 1.0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.logit_stddev = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.num_interactions = 1000; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.interaction_rank = 0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.missing_rate = 1.0; }), StatusCode::kInvalidArgument);
  EXPECT_EQ(code([](SyntheticOptions& o) { o.token_weight_stddev = o.interaction_stddev = o.dense_weight_stddev = 0; }),
            StatusCode::kInvalidArgument);
  Status status = GenerateSyntheticCriteo(SmallOptions("/proc/no/such/dir"), nullptr);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("/proc/no/such/dir"), std::string::npos) << status;
}

// The default model's headline figures, on a sample of its own size.
TEST(SyntheticTest, DefaultsGiveAModerateCtrAndOracleAuc) {
  TempDir dir;
  SyntheticOptions options;
  options.out_dir = dir.path();
  options.train_rows = 0;
  options.test_rows = 50'000;
  SyntheticSummary summary;
  ASSERT_TRUE(GenerateSyntheticCriteo(options, &summary).ok());
  EXPECT_GT(summary.test_ctr, 0.22);
  EXPECT_LT(summary.test_ctr, 0.28);
  EXPECT_GT(summary.test_auc, 0.75);
  EXPECT_LT(summary.test_auc, 0.85);
  EXPECT_GT(summary.test_logloss, 0.3);
  EXPECT_LT(summary.test_logloss, 0.6);
}

// Learnability: logistic regression trained by plain SGD over the keys (and
// the dense values) comes close to the oracle on a small generated set. LR
// cannot represent the pairwise and non-linear dense terms, and 200k rows
// leave the tails of the vocabularies barely seen, so it stays below (seen:
// oracle 0.815, LR 0.787; with 1M rows, AdaGrad and bucketized dense values
// LR reaches 0.804 of 0.816).
TEST(SyntheticTest, LogisticRegressionBySgdApproachesTheOracle) {
  TempDir dir;
  SyntheticOptions options;
  options.out_dir = dir.path();
  options.train_rows = 200'000;
  options.test_rows = 50'000;
  SyntheticSummary summary;
  ASSERT_TRUE(GenerateSyntheticCriteo(options, &summary).ok());
  int64_t train_records = 0, test_records = 0;
  const std::vector<Batch> train = ReadBatches(dir.path() + "/train.tsv", &train_records);
  const std::vector<Batch> test = ReadBatches(dir.path() + "/test.tsv", &test_records);

  constexpr size_t kBuckets = size_t{1} << 20;  // hashed key weights
  std::vector<float> key_weight(kBuckets, 0.0f);
  std::vector<float> dense_weight(13, 0.0f);
  float bias = 0.0f;
  auto logit = [&](const Batch& batch, int64_t b) {
    float z = bias;
    for (const SparseField& field : batch.fields) z += key_weight[field.keys[field.offsets[b]] & (kBuckets - 1)];
    const float* dense = batch.DenseRow(b);
    for (int j = 0; j < 13; ++j) z += dense_weight[j] * dense[j];
    return z;
  };
  {  // one epoch
    const float lr = 0.01f;
    for (const Batch& batch : train) {
      for (int64_t b = 0; b < batch.size; ++b) {
        const float g = 1.0f / (1.0f + std::exp(-logit(batch, b))) - batch.labels[b];
        bias -= lr * g;
        for (const SparseField& field : batch.fields)
          key_weight[field.keys[field.offsets[b]] & (kBuckets - 1)] -= lr * g;
        const float* dense = batch.DenseRow(b);
        for (int j = 0; j < 13; ++j) dense_weight[j] -= 0.2f * lr * g * dense[j];
      }
    }
  }
  std::vector<float> scores, labels;
  for (const Batch& batch : test) {
    for (int64_t b = 0; b < batch.size; ++b) {
      scores.push_back(1.0f / (1.0f + std::exp(-logit(batch, b))));
      labels.push_back(batch.labels[b]);
    }
  }
  const double auc = ComputeAuc(scores, labels);
  std::printf("oracle test AUC %.4f logloss %.4f; LR by SGD test AUC %.4f logloss %.4f\n", summary.test_auc,
              summary.test_logloss, auc, ComputeLogloss(scores, labels));
  EXPECT_GT(auc, summary.test_auc - 0.05);
  EXPECT_LT(auc, summary.test_auc + 0.01);
}

}  // namespace
}  // namespace ember::data
