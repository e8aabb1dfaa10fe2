#include "job/predictions.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/files.h"
#include "data/interactions.h"
#include "data/text_reader.h"
#include "worker/worker.h"

namespace ember::job {
namespace {

// The scores file, one float per line, read in order.
class ScoreStream {
 public:
  explicit ScoreStream(const std::string& path) : path_(path), in_(path) {}
  bool opened() const { return static_cast<bool>(in_); }
  StatusOr<float> Next() {
    std::string line;
    if (!std::getline(in_, line)) {
      return Status::DataLoss(path_, " ends after ", line_, " scores; the job's data has more rows");
    }
    ++line_;
    char* end = nullptr;
    const float value = std::strtof(line.c_str(), &end);
    if (end == line.c_str() || *end != '\0') {
      return Status::DataLoss(path_, ":", line_, ": not a score: '", line, "'");
    }
    return value;
  }
  Status CheckAtEnd() {
    std::string line;
    if (std::getline(in_, line)) {
      return Status::DataLoss(path_, " holds more than the ", line_, " scores of the job's data");
    }
    return Status::OK();
  }

 private:
  const std::string path_;
  std::ifstream in_;
  int64_t line_ = 0;
};

}  // namespace

StatusOr<int64_t> WriteTopItems(const JobOptions& options, int num_workers, const std::string& scores_path, int k,
                                const std::string& out_path) {
  if (k < 1) return Status::InvalidArgument("top-K needs k >= 1; got ", k);
  ASSIGN_OR_RETURN(std::shared_ptr<const data::InteractionData> data,
                   data::InteractionData::Load(worker::InteractionDataOptionsFor(options.worker)));
  std::unordered_map<Key, int32_t> item_of_key, user_of_key;
  for (size_t i = 0; i < data->item_keys().size(); ++i)
    item_of_key.emplace(data->item_keys()[i], static_cast<int32_t>(i));
  for (size_t u = 0; u < data->users().size(); ++u) user_of_key.emplace(data->users()[u].key, static_cast<int32_t>(u));
  ScoreStream scores(scores_path);
  if (!scores.opened()) return Status::NotFound("cannot read the job's scores ", scores_path);

  std::vector<std::string> lines_of_user(data->users().size());  // by user index
  int64_t users_written = 0;
  std::vector<std::pair<float, int32_t>> candidates;  // (score, item) of the current user
  int32_t current_user = -1;
  auto flush = [&] {
    if (current_user < 0) return;
    const size_t keep = std::min<size_t>(static_cast<size_t>(k), candidates.size());
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string& text = lines_of_user[current_user];
    for (size_t r = 0; r < keep; ++r) {
      char score[32];
      std::snprintf(score, sizeof(score), "%.9g", candidates[r].first);
      text += data->users()[current_user].token + "\t" + std::to_string(r + 1) + "\t" +
              data->item_tokens()[candidates[r].second] + "\t" + score + "\n";
    }
    ++users_written;
    candidates.clear();
  };
  for (int rank = 0; rank < num_workers; ++rank) {
    worker::WorkerOptions part = options.worker;
    part.rank = rank;
    part.num_workers = num_workers;
    part.recommend = true;
    data::InteractionReader reader(data, worker::InteractionReaderOptionsFor(part, /*epoch=*/0, /*eval=*/true));
    RETURN_IF_ERROR(reader.Open());
    data::Batch batch;
    while (true) {
      ASSIGN_OR_RETURN(const bool more, reader.Next(&batch));
      if (!more) break;
      for (int64_t b = 0; b < batch.size; ++b) {
        const int32_t user = user_of_key.at(batch.fields[0].keys[b]);
        if (user != current_user) {
          flush();
          current_user = user;
        }
        ASSIGN_OR_RETURN(const float score, scores.Next());
        candidates.emplace_back(score, item_of_key.at(batch.fields[1].keys[b]));
      }
    }
  }
  flush();
  RETURN_IF_ERROR(scores.CheckAtEnd());
  std::string text = "user\trank\titem\tscore\n";
  for (const std::string& lines : lines_of_user) text += lines;
  RETURN_IF_ERROR(WriteFileAtomically(out_path, text));
  return users_written;
}

Status WriteScoresWithIds(const JobOptions& options, const std::string& scores_path, int id_column,
                          const std::string& out_path) {
  worker::WorkerOptions whole = options.worker;  // one part: every record, in order
  whole.rank = 0;
  whole.num_workers = 1;
  data::TextReaderOptions reader_options = worker::TextReaderOptionsFor(whole, /*eval=*/true);
  reader_options.id_column = id_column;
  ASSIGN_OR_RETURN(std::unique_ptr<data::Reader> reader, data::MakeTextReader(std::move(reader_options)));
  RETURN_IF_ERROR(reader->Open());
  ScoreStream scores(scores_path);
  if (!scores.opened()) return Status::NotFound("cannot read the job's scores ", scores_path);
  std::string text = "id\tscore\n";
  data::Batch batch;
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&batch));
    if (!more) break;
    for (int64_t b = 0; b < batch.size; ++b) {
      ASSIGN_OR_RETURN(const float score, scores.Next());
      char number[32];
      std::snprintf(number, sizeof(number), "%.9g", score);
      text += batch.ids[b] + "\t" + number + "\n";
    }
  }
  RETURN_IF_ERROR(scores.CheckAtEnd());
  return WriteFileAtomically(out_path, text);
}

}  // namespace ember::job
