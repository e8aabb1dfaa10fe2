// tests/util/generated_job.h: generated data in a temporary folder, and the
// small job that the whole-job and model tests train on it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "data/synthetic.h"
#include "job/local_job.h"

namespace ember::testing_util {

// Data from `ember gen-data` in a fresh folder under the test temp dir; the
// folder goes away with the object.
class GeneratedData {
 public:
  GeneratedData(const std::string& name, int64_t train_rows, int64_t test_rows, uint64_t seed)
      : dir_(::testing::TempDir() + "/ember_" + name + "_" + std::to_string(::getpid())) {
    std::filesystem::create_directories(dir_);
    data::SyntheticOptions options;
    options.out_dir = dir_;
    options.train_rows = train_rows;
    options.test_rows = test_rows;
    options.seed = seed;
    status_ = data::GenerateSyntheticCriteo(options, &summary_);
  }
  ~GeneratedData() { std::filesystem::remove_all(dir_); }
  GeneratedData(const GeneratedData&) = delete;
  GeneratedData& operator=(const GeneratedData&) = delete;

  const Status& status() const { return status_; }
  const std::string& dir() const { return dir_; }
  std::string train() const { return dir_ + "/train.tsv"; }
  std::string test() const { return dir_ + "/test.tsv"; }
  // The true model's test metrics and interacting pairs.
  const data::SyntheticSummary& summary() const { return summary_; }

 private:
  std::string dir_;
  data::SyntheticSummary summary_;
  Status status_;
};

// The small job of the tests: `model` with embeddings of 8, an MLP 64-32,
// batches of 512, one epoch; FTRL wide part (alpha 0.1, L1 0.5), AdaGrad
// embeddings (0.02), Adam for the dense part (0.001); one server, one worker.
inline job::JobOptions SmallJob(const GeneratedData& data, const std::string& model) {
  job::JobOptions job;
  job.worker.train_files = {data.train()};
  job.worker.eval_files = {data.test()};
  job.worker.batch_size = 512;
  job.worker.epochs = 1;
  job.worker.pipeline.progress_every_steps = 100;
  job.worker.model.name = model;
  job.worker.model.embedding_dim = 8;
  job.worker.model.hidden = {64, 32};
  job.worker.model.wide_optimizer.type = sparse::SparseOptimizerType::kFtrl;
  job.worker.model.wide_optimizer.ftrl_alpha = 0.1f;
  job.worker.model.wide_optimizer.ftrl_l1 = 0.5f;
  job.worker.model.deep_optimizer.type = sparse::SparseOptimizerType::kAdagrad;
  job.worker.model.deep_optimizer.learning_rate = 0.02f;
  job.worker.dense_optimizer.type = ops::DenseOptimizerType::kAdam;
  job.worker.dense_optimizer.learning_rate = 0.001f;
  job.seed = 3;
  return job;
}

// The quality test of a CTR model: SmallJob(`model`) with `adjust` applied,
// trained on 300k generated rows (seed 7), must reach the true click model's
// test AUC within 0.03 over all 30k test rows. Prints the AUC.
inline void ExpectSmallJobReachesOracleAuc(const std::string& model,
                                           const std::function<void(job::JobOptions*)>& adjust = {}) {
  GeneratedData data(model, 300'000, 30'000, /*seed=*/7);
  ASSERT_TRUE(data.status().ok()) << data.status();
  job::JobOptions job = SmallJob(data, model);
  if (adjust) adjust(&job);
  StatusOr<scheduler::JobResult> result = job::RunLocalJob(job);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->evals.size(), 1u);
  const double auc = result->evals.back().auc, oracle = data.summary().test_auc;
  std::cout << model << " test AUC " << auc << ", oracle " << oracle << "\n";
  EXPECT_GE(auc, oracle - 0.03) << "oracle " << oracle;
  EXPECT_EQ(result->evals.back().examples, 30'000);
  EXPECT_EQ(result->samples, 300'000);
}

}  // namespace ember::testing_util
