// scheduler/reporter.h: what the scheduler tells the user about a job, in
// one place.
//
// Three outputs: one line per event on the report stream (stdout in the
// ember binary; tests and scripts read these lines, so their format is a
// contract), one JSON object per event in the metrics file
// (--metrics_out, JSON lines), and the last evaluation's scores
// (--eval_scores_out). Lines on the report stream, each flushed as written:
//
//   step N  epoch E  X samples/s  loss L  P% of epoch[  T left]
//   eval  epoch E  examples N  AUC A  logloss L[  GAUC G][  users U  HR@K H  NDCG@K D]
//   checkpoint step N: writing DIR
//   checkpoint step N: committed DIR (X MB in Y s, Z MB/s)
//   final: steps N, samples S, X samples/s[, test AUC A, test logloss L[, test HR@K H, test NDCG@K D]]
//
// The JSON lines: {"event": "progress" | "eval" | "checkpoint" | "final", ...}
// (the fields: docs/architecture.md, "The scheduler", and --metrics_out's help).
//
//   Reporter reporter({.out = &std::cout, .metrics_out = "m.jsonl"});
//   RETURN_IF_ERROR(reporter.Open());
//   reporter.Progress(/*step=*/20, /*epoch=*/0, /*samples_per_sec=*/5e4, /*loss=*/0.45, /*epoch_done=*/0.2,
//                     /*seconds_left=*/31);
//
// Not thread-safe: one thread (the scheduler's) reports.
#pragma once

#include <cstdint>
#include <fstream>
#include <iostream>
#include <ostream>
#include <span>
#include <string>

#include "common/status.h"
#include "scheduler/job_result.h"

namespace ember::scheduler {

struct ReporterOptions {
  std::ostream* out = &std::cout;  // the report lines; not owned. Default: std::cout
  std::string metrics_out;         // Default: none. The JSON lines file, truncated by Open
  std::string eval_scores_out;     // Default: none. Rewritten by each EvalScores
};

class Reporter {
 public:
  explicit Reporter(ReporterOptions options);
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  // Opens (truncates) the metrics file, if any. InvalidArgument naming
  // --metrics_out when it cannot be written.
  Status Open();

  // A progress window: the newest step, the epoch, its rate and mean loss.
  // `epoch_done` in [0, 1]; `seconds_left` < 0 when not known yet.
  void Progress(int64_t step, int64_t epoch, double samples_per_sec, double loss, double epoch_done,
                double seconds_left);
  // An epoch's evaluation (GAUC when not NaN, HR/NDCG when ranking_k > 0).
  void Eval(const EvalMetrics& metrics);
  // Writes the scores to eval_scores_out, one "%.9g" a line, replacing the
  // file atomically (WriteFileAtomically's error); OK without the option.
  Status EvalScores(std::span<const float> probabilities);
  // A checkpoint round's phases: the folder being written, then committed
  // (`bytes` in its files, `seconds` since the workers' first READY).
  void CheckpointWriting(int64_t step, const std::string& tmp_dir);
  void CheckpointCommitted(int64_t step, const std::string& dir, int64_t bytes, double seconds);
  // The job's end: steps, samples, rate, the last evaluation and the
  // checksums (JSON only).
  void Final(const JobResult& result);

 private:
  void WriteLine(const std::string& line);
  void WriteJson(const std::string& json_line);

  ReporterOptions options_;
  std::ofstream metrics_;
};

// The metrics-file line of an evaluation ({"event":"eval",...}), which
// Reporter::Eval writes and `ember eval --checkpoint` prints.
std::string EvalJsonLine(const EvalMetrics& metrics);

}  // namespace ember::scheduler
