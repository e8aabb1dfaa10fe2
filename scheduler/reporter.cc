#include "scheduler/reporter.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <utility>
#include <vector>

#include "common/files.h"

namespace ember::scheduler {
namespace {

// printf's formatting (the report lines' numbers are printf's, digit for
// digit), into a string.
__attribute__((format(printf, 1, 2))) std::string Format(const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list again;
  va_copy(again, args);
  const int length = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(length > 0 ? static_cast<size_t>(length) : 0, '\0');
  if (length > 0) std::vsnprintf(text.data(), text.size() + 1, format, again);
  va_end(again);
  return text;
}

std::string HexList(const std::vector<uint64_t>& checksums) {
  std::string list;
  for (uint64_t checksum : checksums) {
    if (!list.empty()) list.push_back(',');
    list.append(Format("%016llx", static_cast<unsigned long long>(checksum)));
  }
  return list;
}

// "42 s", "3 min 05 s", "2 h 07 min".
std::string FormatDuration(double seconds) {
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return Format("%lld s", s);
  if (s < 3600) return Format("%lld min %02lld s", s / 60, s % 60);
  return Format("%lld h %02lld min", s / 3600, s % 3600 / 60);
}

}  // namespace

Reporter::Reporter(ReporterOptions options) : options_(std::move(options)) {}

Status Reporter::Open() {
  if (options_.metrics_out.empty()) return Status::OK();
  metrics_.open(options_.metrics_out, std::ios::trunc);
  if (!metrics_) return Status::InvalidArgument("cannot write --metrics_out=", options_.metrics_out);
  return Status::OK();
}

void Reporter::WriteLine(const std::string& line) { *options_.out << line << '\n' << std::flush; }

void Reporter::WriteJson(const std::string& json_line) {
  if (metrics_.is_open()) {
    metrics_ << json_line << '\n';
    metrics_.flush();
  }
}

void Reporter::Progress(int64_t step, int64_t epoch, double samples_per_sec, double loss, double epoch_done,
                        double seconds_left) {
  std::string line =
      Format("step %lld  epoch %lld  %.0f samples/s  loss %.5f  %.0f%% of epoch", static_cast<long long>(step),
             static_cast<long long>(epoch), samples_per_sec, loss, 100 * epoch_done);
  JsonObject json;
  json.Add("event", "progress")
      .Add("step", step)
      .Add("epoch", epoch)
      .Add("samples_per_sec", samples_per_sec)
      .Add("loss", loss)
      .Add("epoch_done", epoch_done);
  if (seconds_left >= 0) {
    line += "  " + FormatDuration(seconds_left) + " left";
    json.Add("eta_seconds", seconds_left);
  }
  WriteLine(line);
  WriteJson(json.ToString());
}

std::string EvalJsonLine(const EvalMetrics& metrics) {
  JsonObject json;
  json.Add("event", "eval")
      .Add("epoch", static_cast<int64_t>(metrics.epoch))
      .Add("examples", metrics.examples)
      .Add("test_auc", metrics.auc)
      .Add("test_logloss", metrics.logloss);
  if (metrics.has_gauc) json.Add("test_gauc", metrics.gauc);
  if (metrics.ranking_k > 0) {
    const std::string k = std::to_string(metrics.ranking_k);
    json.Add("test_users", metrics.ranking_users)
        .Add("test_hr@" + k, metrics.hit_rate)
        .Add("test_ndcg@" + k, metrics.ndcg);
  }
  return json.ToString();
}

void Reporter::Eval(const EvalMetrics& metrics) {
  std::string line = Format("eval  epoch %d  examples %lld  AUC %.5f  logloss %.5f", metrics.epoch,
                            static_cast<long long>(metrics.examples), metrics.auc, metrics.logloss);
  if (metrics.has_gauc) line += Format("  GAUC %.5f", metrics.gauc);
  if (metrics.ranking_k > 0) {
    line += Format("  users %lld  HR@%d %.5f  NDCG@%d %.5f", static_cast<long long>(metrics.ranking_users),
                   metrics.ranking_k, metrics.hit_rate, metrics.ranking_k, metrics.ndcg);
  }
  WriteLine(line);
  WriteJson(EvalJsonLine(metrics));
}

Status Reporter::EvalScores(std::span<const float> probabilities) {
  if (options_.eval_scores_out.empty()) return Status::OK();
  std::string text;
  for (float p : probabilities) text += Format("%.9g\n", p);
  return WriteFileAtomically(options_.eval_scores_out, text);
}

void Reporter::CheckpointWriting(int64_t step, const std::string& tmp_dir) {
  WriteLine(Format("checkpoint step %lld: writing %s", static_cast<long long>(step), tmp_dir.c_str()));
}

void Reporter::CheckpointCommitted(int64_t step, const std::string& dir, int64_t bytes, double seconds) {
  WriteLine(Format("checkpoint step %lld: committed %s (%.1f MB in %.2f s, %.0f MB/s)", static_cast<long long>(step),
                   dir.c_str(), bytes / 1e6, seconds, seconds > 0 ? bytes / 1e6 / seconds : 0.0));
  WriteJson(JsonObject()
                .Add("event", "checkpoint")
                .Add("step", step)
                .Add("path", dir)
                .Add("bytes", bytes)
                .Add("seconds", seconds)
                .ToString());
}

void Reporter::Final(const JobResult& result) {
  JsonObject json;
  json.Add("event", "final").Add("steps", result.steps).Add("samples", result.samples);
  std::string line = Format("final: steps %lld, samples %lld, %.0f samples/s", static_cast<long long>(result.steps),
                            static_cast<long long>(result.samples), result.samples_per_sec);
  if (!result.evals.empty()) {
    const EvalMetrics& last = result.evals.back();
    json.Add("test_auc", last.auc).Add("test_logloss", last.logloss);
    if (!std::isnan(last.gauc)) json.Add("test_gauc", last.gauc);
    line += Format(", test AUC %.5f, test logloss %.5f", last.auc, last.logloss);
    if (last.ranking_k > 0) {
      const std::string k = std::to_string(last.ranking_k);
      json.Add("test_hr@" + k, last.hit_rate).Add("test_ndcg@" + k, last.ndcg);
      line += Format(", test HR@%d %.5f, test NDCG@%d %.5f", last.ranking_k, last.hit_rate, last.ranking_k, last.ndcg);
    }
  }
  json.Add("samples_per_sec", result.samples_per_sec);
  json.Add("dense_checksums", HexList(result.dense_checksums));
  json.Add("sparse_checksums", HexList(result.sparse_checksums));
  json.Add("table_checksums", HexList(result.table_checksums));
  WriteJson(json.ToString());
  WriteLine(line);
}

}  // namespace ember::scheduler
