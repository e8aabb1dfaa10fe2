// DIN, BST and YouTube DNN retrieval (models/din.h, models/bst.h,
// models/youtube_dnn.h): tables and option checks, finite-difference
// gradients with and without the history, and training in local mode on
// generated behaviour sequences (data/synthetic_sequences.h) whose next item
// depends on the user's latest one: each sequence model must beat the same
// network without the history, and YouTube DNN the most-popular ranking on
// recall@50 over every item.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "common/logging.h"
#include "data/interactions.h"
#include "data/synthetic_sequences.h"
#include "job/local_job.h"
#include "models/model.h"
#include "tests/util/model_batches.h"
#include "tests/util/model_gradients.h"

namespace ember::models {
namespace {

ModelOptions SequenceOptions(const std::string& name, int max_seq_len) {
  ModelOptions options;
  options.name = name;
  options.embedding_dim = 4;
  options.hidden = {6, 4};
  options.max_seq_len = max_seq_len;
  options.attention_heads = 2;
  options.seed = 5;
  return options;
}

using testing_util::SequenceBatch;

TEST(SequenceModelsTest, TablesAndBadOptions) {
  for (const std::string name : {"din", "bst"}) {
    StatusOr<std::unique_ptr<Model>> model = CreateModel(SequenceOptions(name, 3));
    ASSERT_TRUE(model.ok()) << model.status();
    ASSERT_EQ((*model)->tables().size(), 2u);
    EXPECT_EQ((*model)->tables()[0].name, "items");
    EXPECT_EQ((*model)->tables()[1].name, "users");
    EXPECT_EQ((*model)->tables()[0].dim, 4);
    EXPECT_EQ((*model)->options().num_categorical, 3);
    EXPECT_EQ(HistoryLength((*model)->options()), 3);
    StatusOr<std::unique_ptr<Model>> flat = CreateModel(SequenceOptions(name, 0));
    ASSERT_TRUE(flat.ok()) << flat.status();
    EXPECT_EQ((*flat)->options().num_categorical, 2);
    // A batch without the history it was configured for is refused.
    const data::Batch batch = SequenceBatch(/*with_history=*/false);
    std::vector<SparseInput> inputs;
    std::vector<ops::Tensor> rows(2), grads;
    StepResult result;
    EXPECT_EQ((*model)->TrainStep(batch, inputs, rows, &grads, &result).code(), StatusCode::kInvalidArgument);
  }
  StatusOr<std::unique_ptr<Model>> youtube = CreateModel(SequenceOptions("youtube_retrieval", 3));
  ASSERT_TRUE(youtube.ok()) << youtube.status();
  EXPECT_EQ((*youtube)->tables()[0].name, "items");
  EXPECT_EQ((*youtube)->tables()[1].name, "softmax");
  EXPECT_EQ((*youtube)->tables()[1].dim, 4);  // the user vector's width: hidden.back()
  EXPECT_EQ(CreateModel(SequenceOptions("youtube_retrieval", 0)).status().code(), StatusCode::kInvalidArgument);
  ModelOptions options = SequenceOptions("bst", 3);
  options.attention_heads = 3;
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  options = SequenceOptions("din", -1);
  EXPECT_EQ(CreateModel(options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HistoryLength(SequenceOptions("ncf", 3)), 0);
  // youtube_retrieval trains on whole groups of a positive and negatives.
  data::Batch split = SequenceBatch(true);
  split.labels[4] = 1.f;  // groups 1,0,0 then 1,1,0
  std::vector<SparseInput> inputs;
  (*youtube)->PrepareInputs(split, &inputs);
  std::vector<ops::Tensor> rows, grads;
  for (size_t t = 0; t < inputs.size(); ++t) {
    rows.push_back(ops::Tensor::Zeros({static_cast<int64_t>(inputs[t].unique.keys.size()), 4}));
  }
  StepResult result;
  EXPECT_EQ((*youtube)->TrainStep(split, inputs, rows, &grads, &result).code(), StatusCode::kInvalidArgument);
}

struct GradientCase {
  std::string model;
  int max_seq_len;
};

class SequenceGradientTest : public ::testing::TestWithParam<GradientCase> {};

TEST_P(SequenceGradientTest, RowAndDenseGradientsMatchCentralDifferences) {
  const GradientCase& c = GetParam();
  StatusOr<std::unique_ptr<Model>> model = CreateModel(SequenceOptions(c.model, c.max_seq_len));
  ASSERT_TRUE(model.ok()) << model.status();
  const data::Batch batch = SequenceBatch(c.max_seq_len > 0);
  // youtube_retrieval's loss is the mean over its 2 softmax groups.
  const double summed_scale = c.model == "youtube_retrieval" ? 2.0 : static_cast<double>(batch.size);
  testing_util::ExpectGradientsMatchCentralDifferences(**model, batch, summed_scale);
}

INSTANTIATE_TEST_SUITE_P(Models, SequenceGradientTest,
                         ::testing::Values(GradientCase{"din", 3}, GradientCase{"din", 0}, GradientCase{"bst", 3},
                                           GradientCase{"bst", 0}, GradientCase{"youtube_retrieval", 3}),
                         [](const ::testing::TestParamInfo<GradientCase>& info) {
                           return info.param.model + "_history" + std::to_string(info.param.max_seq_len);
                         });

// Generated sequences: 1500 users, 1000 items in 20 clusters, the next
// item's cluster the successor of the latest one's with probability 0.8.
class SequenceTrainingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    InitLogging("sequence_models_test");
    dir_ = new std::string(::testing::TempDir() + "/ember_sequences_" + std::to_string(::getpid()));
    data::SequenceSyntheticOptions options;
    options.out_dir = *dir_;
    options.num_users = 1500;
    ASSERT_TRUE(data::GenerateSyntheticSequences(options).ok());
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string File() { return *dir_ + "/interactions.txt"; }

  // The last evaluation of `model` with a history of `max_seq_len` items.
  static scheduler::EvalMetrics Train(const std::string& model, int max_seq_len, int eval_negatives = 99,
                                      int ranking_k = 10) {
    job::JobOptions job;
    job.worker.train_files = {File()};
    job.worker.data_format = "interactions";
    job.worker.pipeline.progress_every_steps = 1000;
    job.worker.neg_per_pos = 4;
    job.worker.batch_size = 250;
    job.worker.epochs = 5;
    job.worker.interactions.eval_negatives = eval_negatives;
    job.ranking_k = ranking_k;
    job.worker.gauc_field = 0;  // the user
    job.worker.model.name = model;
    job.worker.model.max_seq_len = max_seq_len;
    job.worker.model.embedding_dim = 16;
    job.worker.model.hidden = {64, 32};
    job.worker.model.deep_optimizer.learning_rate = 0.1f;
    job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
    job.worker.dense_optimizer.learning_rate = 0.002f;
    job.seed = 3;
    StatusOr<scheduler::JobResult> result = job::RunLocalJob(job);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok() || result->evals.empty()) return {};
    const scheduler::EvalMetrics& last = result->evals.back();
    std::cout << model << " max_seq_len " << max_seq_len << ": HR@" << ranking_k << " " << last.hit_rate << " NDCG@"
              << ranking_k << " " << last.ndcg << " GAUC " << last.gauc << " over " << last.ranking_users << " users\n";
    return last;
  }

  static std::string* dir_;
};
std::string* SequenceTrainingTest::dir_ = nullptr;

// DIN pools its history without order, and the truth follows the latest
// item, so it reads the 2 latest.
TEST_F(SequenceTrainingTest, DinBeatsTheSameNetworkWithoutTheSequence) {
  const scheduler::EvalMetrics with = Train("din", 2);
  const scheduler::EvalMetrics without = Train("din", 0);
  EXPECT_EQ(with.ranking_users, 1500);
  EXPECT_GT(with.hit_rate, without.hit_rate + 0.1);
  EXPECT_GT(with.ndcg, without.ndcg + 0.1);
  // GAUC over the users' groups (the test item and its 99 negatives).
  EXPECT_GT(with.gauc, without.gauc);
  EXPECT_GT(without.gauc, 0.5);
}

TEST_F(SequenceTrainingTest, BstBeatsTheSameNetworkWithoutTheSequence) {
  const scheduler::EvalMetrics with = Train("bst", 4);
  const scheduler::EvalMetrics without = Train("bst", 0);
  EXPECT_GT(with.hit_rate, without.hit_rate + 0.1);
  EXPECT_GT(with.ndcg, without.ndcg + 0.1);
}

// Recall@50 over every item the user never touched (one held-out item per
// user: recall@50 is HR@50), against ranking by train popularity.
TEST_F(SequenceTrainingTest, YouTubeRetrievalBeatsMostPopularOnRecallAt50) {
  data::InteractionDataOptions options;
  options.files = {File()};
  options.eval_negatives = -1;
  StatusOr<std::shared_ptr<const data::InteractionData>> data = data::InteractionData::Load(options);
  ASSERT_TRUE(data.ok()) << data.status();
  const RankingMetrics popular = data::MostPopularRanking(**data, 50);
  const scheduler::EvalMetrics youtube = Train("youtube_retrieval", 3, /*eval_negatives=*/-1, /*ranking_k=*/50);
  std::cout << "most popular: recall@50 " << popular.hit_rate << " over " << popular.users << " users\n";
  EXPECT_EQ(youtube.ranking_users, popular.users);
  EXPECT_GT(youtube.hit_rate, popular.hit_rate + 0.1);
}

}  // namespace
}  // namespace ember::models
