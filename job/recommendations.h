// job/recommendations.h: the top-K items per user of an `ember predict` job
// on interaction data, from the scores its scheduler wrote.
//
// Such a job (JobOptions::evaluate_only with worker.recommend) scores, for
// every user, each item the user never interacted with: the rows of the
// kRecommend passes of data::InteractionReader over every worker's part,
// written in worker-rank order (scheduler::SchedulerOptions::
// eval_scores_out). WriteTopItems reads those passes again, without a
// model, to know which (user, item) each score belongs to, and keeps each
// user's k best.
//
//   ASSIGN_OR_RETURN(int64_t users, WriteTopItems(options, workers, "scores.txt", 10, "top.tsv"));
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "job/local_job.h"

namespace ember::job {

// Writes `out_path` (atomically): a header line `user<TAB>rank<TAB>item<TAB>
// score`, then per user (in the data's order of first appearance, for any
// number of workers) its min(k, candidates) best items, rank 1 first, as
// the files spell the user and the item; ties in score keep the items'
// order. `num_workers`: the job's. Returns the users
// written. DataLoss naming scores_path when it holds fewer or more scores
// than the passes have rows, or a line that is not a number.
StatusOr<int64_t> WriteTopItems(const JobOptions& options, int num_workers, const std::string& scores_path, int k,
                                const std::string& out_path);

}  // namespace ember::job
