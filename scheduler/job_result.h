// scheduler/job_result.h: what a job's run returns (Scheduler::Run), and
// the metrics of one epoch's evaluation (EvalAggregator). Plain values.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ember::scheduler {

struct EvalMetrics {
  int epoch = 0;
  int64_t examples = 0;
  double auc = 0;
  double logloss = 0;
  // GAUC over the users the workers sent (WorkerOptions::gauc_field); NaN
  // when they sent none.
  double gauc = std::numeric_limits<double>::quiet_NaN();
  // Every sample came with its user, so `gauc` was computed (it is still NaN
  // when no user has both a positive and a negative).
  bool has_gauc = false;
  // With SchedulerOptions::ranking_k > 0: HR@K and NDCG@K over the groups
  // (users); NaN otherwise.
  int ranking_k = 0;
  int64_t ranking_users = 0;
  double hit_rate = std::numeric_limits<double>::quiet_NaN();
  double ndcg = std::numeric_limits<double>::quiet_NaN();
};

struct JobResult {
  int64_t steps = 0;
  int64_t samples = 0;
  double samples_per_sec = 0;
  std::vector<EvalMetrics> evals;         // one per epoch when there are eval files
  std::vector<int64_t> rows_per_server;   // rows of all tables held by each server at the end
  std::vector<uint64_t> dense_checksums;  // per worker rank: worker::DenseChecksum of its final dense parameters
  // Per server rank: its tables' SparseTable::Checksum, chained in table
  // order (h = Mix64(h ^ checksum)). Bitwise-equal rows give equal values.
  std::vector<uint64_t> sparse_checksums;
  // Per table (in table order): the sum over servers of SparseTable::Checksum,
  // which does not depend on how keys are sharded (a job of 2 servers and
  // one of 3 with the same rows give the same values).
  std::vector<uint64_t> table_checksums;
  std::vector<std::string> checkpoints;  // committed by this run, oldest first
};

}  // namespace ember::scheduler
