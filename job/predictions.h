// job/predictions.h: what `ember predict` writes from the scores its job's
// scheduler wrote (one per evaluated row, in worker-rank order): each
// record's score beside its id, or the top-K items per user of a job on
// interaction data.
//
// WriteScoresWithIds: the records of the input files, read again in order
// by the job's text reader with the id column kept (data::
// SchemaReaderOptions::id_column), are the scores' rows in order.
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
//   RETURN_IF_ERROR(WriteScoresWithIds(options, "scores.txt", /*id_column=*/0, "scores.tsv"));
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

// Writes `out_path` (atomically): a line `id<TAB>score` per record of
// options.worker.eval_files (a schema format), id the text of its column
// `id_column` (0-based), in input order. DataLoss naming scores_path when
// its count of scores is not the records'; the reader's errors.
Status WriteScoresWithIds(const JobOptions& options, const std::string& scores_path, int id_column,
                          const std::string& out_path);

}  // namespace ember::job
