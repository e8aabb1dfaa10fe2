// NCF (models/ncf.h): tables per variant, finite-difference gradients of the
// sparse rows and the dense parameters, and training in local mode on a
// generated interaction file from a low-rank truth (HR@10 far above chance).
#include "models/ncf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "common/logging.h"
#include "common/random.h"
#include "job/local_job.h"
#include "tests/util/model_gradients.h"

namespace ember::models {
namespace {

ModelOptions NcfOptions(const std::string& variant) {
  ModelOptions options;
  options.name = "ncf";
  options.ncf_variant = variant;
  options.embedding_dim = 3;
  options.ncf_mlp_embedding_dim = 4;
  options.hidden = {6, 5};
  options.seed = 5;
  return options;
}

TEST(NcfModelTest, TablesPerVariantAndBadOptions) {
  for (const auto& [variant, names] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"gmf", {"gmf"}}, {"mlp", {"mlp"}}, {"neumf", {"gmf", "mlp"}}}) {
    StatusOr<std::unique_ptr<Model>> model = CreateModel(NcfOptions(variant));
    ASSERT_TRUE(model.ok()) << model.status();
    const auto& tables = (*model)->tables();
    ASSERT_EQ(tables.size(), names.size()) << variant;
    for (size_t t = 0; t < tables.size(); ++t) {
      EXPECT_EQ(tables[t].id, static_cast<int>(t));
      EXPECT_EQ(tables[t].name, names[t]);
      EXPECT_EQ(tables[t].dim, names[t] == "gmf" ? 3 : 4);
    }
    EXPECT_EQ((*model)->options().num_dense, 0);
    EXPECT_EQ((*model)->options().num_categorical, 2);
  }
  ModelOptions options = NcfOptions("wide");
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  options = NcfOptions("neumf");
  options.hidden = {};
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  options = NcfOptions("neumf");
  options.ncf_mlp_embedding_dim = 0;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
}

// A batch of (user, item) pairs with a repeated user and item, so that row
// gradients must accumulate.
data::Batch PairBatch() {
  data::Batch batch;
  batch.num_dense = 0;
  batch.fields.resize(2);
  batch.Clear();
  const std::vector<std::pair<int, int>> pairs = {{1, 10}, {1, 11}, {2, 10}, {3, 12}, {2, 13}};
  const std::vector<float> labels = {1, 0, 0, 1, 1};
  for (size_t b = 0; b < pairs.size(); ++b) {
    batch.fields[0].keys.push_back(HashFieldToken(0, std::to_string(pairs[b].first)));
    batch.fields[1].keys.push_back(HashFieldToken(1, std::to_string(pairs[b].second)));
    batch.fields[0].offsets.push_back(static_cast<int32_t>(b + 1));
    batch.fields[1].offsets.push_back(static_cast<int32_t>(b + 1));
    batch.labels.push_back(labels[b]);
  }
  batch.size = static_cast<int64_t>(pairs.size());
  return batch;
}

class NcfGradientTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NcfGradientTest, RowAndDenseGradientsMatchCentralDifferences) {
  StatusOr<std::unique_ptr<Model>> created = CreateModel(NcfOptions(GetParam()));
  ASSERT_TRUE(created.ok()) << created.status();
  const data::Batch batch = PairBatch();
  testing_util::ExpectGradientsMatchCentralDifferences(**created, batch, static_cast<double>(batch.size));
}

INSTANTIATE_TEST_SUITE_P(Variants, NcfGradientTest, ::testing::Values("gmf", "mlp", "neumf"));

// Users and items with rank-4 latent vectors; each user interacts with 24
// items drawn (without replacement) with probability ~ exp(3 <u, v>), at
// random times.
std::string WriteLowRankInteractions(const std::string& dir, int users, int items) {
  Rng rng(17);
  const int rank = 4;
  std::vector<double> u(users * rank), v(items * rank);
  for (double& x : u) x = rng.Normal(0, 0.7);
  for (double& x : v) x = rng.Normal(0, 0.7);
  const std::string path = dir + "/ratings.dat";
  std::ofstream out(path);
  for (int a = 0; a < users; ++a) {
    std::vector<double> weight(items);
    for (int i = 0; i < items; ++i) {
      double dot = 0;
      for (int r = 0; r < rank; ++r) dot += u[a * rank + r] * v[i * rank + r];
      weight[i] = std::exp(3 * dot);
    }
    for (int n = 0; n < 24; ++n) {
      double total = 0;
      for (double w : weight) total += w;
      double pick = rng.Uniform() * total;
      int i = 0;
      while (i + 1 < items && (pick -= weight[i]) > 0) ++i;
      weight[i] = 0;
      out << a << "::" << i << "::5::" << rng.UniformInt(1'000'000) << "\n";
    }
  }
  return path;
}

// NeuMF of GMF and MLP embeddings of `dim` (tower 2*dim-dim) over an
// interaction file, Adam everywhere, 2 workers.
job::JobOptions SmallNeuMfJob(const std::string& file, int dim) {
  job::JobOptions job;
  job.worker.train_files = {file};
  job.worker.data_format = "interactions";
  job.worker.pipeline.progress_every_steps = 1000;
  job.worker.model.name = "ncf";
  job.worker.model.ncf_variant = "neumf";
  job.worker.model.embedding_dim = dim;
  job.worker.model.ncf_mlp_embedding_dim = dim;
  job.worker.model.hidden = {2 * dim, dim};
  job.worker.model.deep_optimizer.type = sparse::SparseOptimizerType::kAdam;
  job.worker.model.deep_optimizer.learning_rate = 0.01f;
  job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
  job.worker.dense_optimizer.learning_rate = 0.005f;
  job.num_workers = 2;
  return job;
}

TEST(NcfTrainingTest, NeuMfLearnsALowRankTasteFarAboveChance) {
  InitLogging("ncf_test");
  const std::string dir = ::testing::TempDir() + "/ember_ncf_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  job::JobOptions job = SmallNeuMfJob(WriteLowRankInteractions(dir, 600, 300), /*dim=*/8);
  job.worker.neg_per_pos = 4;
  job.worker.batch_size = 128;
  job.worker.epochs = 6;
  job.seed = 3;
  StatusOr<scheduler::JobResult> result = job::RunLocalJob(job);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 6u);
  const scheduler::EvalMetrics& last = result->evals.back();
  EXPECT_EQ(last.ranking_k, 10);
  EXPECT_EQ(last.ranking_users, 600);
  EXPECT_EQ(last.examples, 600 * 100);
  std::cout << "ncf neumf HR@10 " << last.hit_rate << " NDCG@10 " << last.ndcg << " (chance 0.10)\n";
  EXPECT_GE(last.hit_rate, 0.35);
  EXPECT_GT(last.ndcg, 0.15);
  EXPECT_GT(last.hit_rate, result->evals.front().hit_rate);
}

// A deterministic job stopped at a step inside an epoch and resumed from its
// checkpoint (the interaction reader's position) ends with the same bits as
// the uninterrupted job.
TEST(NcfTrainingTest, ResumeFromAMidEpochCheckpointIsExact) {
  InitLogging("ncf_test");
  const std::string dir = ::testing::TempDir() + "/ember_ncf_resume_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  job::JobOptions job = SmallNeuMfJob(WriteLowRankInteractions(dir, 200, 100), /*dim=*/4);
  job.worker.batch_size = 64;
  job.worker.epochs = 2;
  job.sync = job.deterministic = true;
  job.compute_threads = 1;
  job.seed = 9;
  // Each worker holds about 100 users * 23 positives * 5 samples / 64: ~180
  // steps an epoch; stop at 100 (epoch 0) and go on to 250 (epoch 1).
  job::JobOptions whole = job;
  whole.checkpoint_dir = dir + "/whole";
  whole.worker.pipeline.max_steps = 250;
  StatusOr<scheduler::JobResult> whole_result = job::RunLocalJob(whole);
  ASSERT_TRUE(whole_result.ok()) << whole_result.status();
  job::JobOptions first = job;
  first.checkpoint_dir = dir + "/broken";
  first.worker.pipeline.max_steps = 100;
  StatusOr<scheduler::JobResult> first_result = job::RunLocalJob(first);
  ASSERT_TRUE(first_result.ok()) << first_result.status();
  ASSERT_EQ(first_result->steps, 100);
  job::JobOptions resumed = first;
  resumed.worker.pipeline.max_steps = 250;
  resumed.resume = "auto";
  StatusOr<scheduler::JobResult> resumed_result = job::RunLocalJob(resumed);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(resumed_result.ok()) << resumed_result.status();
  EXPECT_EQ(resumed_result->dense_checksums, whole_result->dense_checksums);
  EXPECT_EQ(resumed_result->table_checksums, whole_result->table_checksums);
  ASSERT_FALSE(resumed_result->evals.empty());
  EXPECT_EQ(resumed_result->evals.back().hit_rate, whole_result->evals.back().hit_rate);
}

}  // namespace
}  // namespace ember::models
