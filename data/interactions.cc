#include "data/interactions.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "common/files.h"
#include "common/logging.h"
#include "common/random.h"
#include "data/internal/interaction_format.h"

namespace ember::data {
namespace {

constexpr uint32_t kUserField = 0;
constexpr uint32_t kItemField = 1;
constexpr int kLoggedBadLines = 100;

// Calls fn(line number, line) for every line of the file at `path`
// (numbers from 1, a trailing '\r' removed); stops at fn's first error.
Status ForEachLine(const std::string& path, const std::function<Status(int64_t, std::string_view)>& fn) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  size_t begin = 0;
  int64_t line_number = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    RETURN_IF_ERROR(fn(++line_number, line));
  }
  return Status::OK();
}

struct Event {
  int64_t time;
  int64_t sequence;  // line order over all files
  int32_t item;
};

}  // namespace

StatusOr<std::shared_ptr<const InteractionData>> InteractionData::Load(const InteractionDataOptions& options) {
  if (options.files.empty()) return Status::InvalidArgument("no interaction files");
  auto data = std::make_shared<InteractionData>();
  std::unordered_map<std::string, int32_t> user_index, item_index;
  std::vector<std::vector<Event>> events;
  std::vector<std::string_view> fields;
  int64_t sequence = 0;
  for (const std::string& path : options.files) {
    std::string separator = options.separator;
    RETURN_IF_ERROR(ForEachLine(path, [&](int64_t line_number, std::string_view line) -> Status {
      if (separator.empty()) separator = internal::DetectSeparator(line);
      internal::SplitFields(line, separator, &fields);
      if (line_number == 1 && internal::IsHeader(fields)) return Status::OK();
      std::string reason;
      internal::Interaction interaction;
      if (!internal::ParseInteraction(fields, &interaction, &reason)) {
        ++data->bad_lines_;
        if (data->bad_lines_ <= kLoggedBadLines) LOG(WARNING) << path << ":" << line_number << ": " << reason;
        if (options.max_bad_lines >= 0 && data->bad_lines_ > options.max_bad_lines) {
          return Status::InvalidArgument(path, ":", line_number, ": ", reason, " (", data->bad_lines_,
                                         " malformed lines, more than max_bad_lines ", options.max_bad_lines, ")");
        }
        return Status::OK();
      }
      auto [user_it, new_user] =
          user_index.try_emplace(std::string(interaction.user), static_cast<int32_t>(events.size()));
      if (new_user) {
        events.emplace_back();
        data->users_.emplace_back();
        data->users_.back().key = HashFieldToken(kUserField, interaction.user);
        data->users_.back().token = std::string(interaction.user);
      }
      auto [item_it, new_item] =
          item_index.try_emplace(std::string(interaction.item), static_cast<int32_t>(data->item_keys_.size()));
      if (new_item) {
        data->item_keys_.push_back(HashFieldToken(kItemField, interaction.item));
        data->item_tokens_.emplace_back(interaction.item);
      }
      events[user_it->second].push_back({interaction.time, sequence++, item_it->second});
      return Status::OK();
    }));
  }

  // Leave-one-out split.
  std::vector<char> seen(data->item_keys_.size(), 0);
  for (size_t u = 0; u < events.size(); ++u) {
    std::vector<Event>& user_events = events[u];
    std::sort(user_events.begin(), user_events.end(), [](const Event& a, const Event& b) {
      return a.time != b.time ? a.time < b.time : a.sequence < b.sequence;
    });
    // Keep each item's latest occurrence.
    std::vector<int32_t> items;
    for (auto it = user_events.rbegin(); it != user_events.rend(); ++it) {
      if (!seen[it->item]) {
        seen[it->item] = 1;
        items.push_back(it->item);
      }
    }
    for (int32_t item : items) seen[item] = 0;
    std::reverse(items.begin(), items.end());
    User& user = data->users_[u];
    user.rated = items;
    std::sort(user.rated.begin(), user.rated.end());
    data->num_interactions_ += static_cast<int64_t>(items.size());
    if (items.size() >= (options.holdout_validation ? 3u : 2u)) {
      user.test_item = items.back();
      items.pop_back();
      user.has_validation = options.holdout_validation;
    }
    user.train_items = std::move(items);
  }
  data->train_counts_.assign(data->item_keys_.size(), 0);
  for (const User& user : data->users_) {
    const size_t targets = user.train_items.size() - (user.has_validation ? 1 : 0);
    for (size_t i = 0; i < targets; ++i) ++data->train_counts_[user.train_items[i]];
  }

  const int64_t num_items = static_cast<int64_t>(data->item_keys_.size());
  if (options.eval_negatives_file.empty()) {
    for (User& user : data->users_) {
      if (user.test_item < 0) continue;
      const int64_t unrated = num_items - static_cast<int64_t>(user.rated.size());
      if (options.eval_negatives < 0) {
        for (int32_t i = 0; i < num_items; ++i) {
          if (!std::binary_search(user.rated.begin(), user.rated.end(), i)) {
            user.eval_negatives.push_back(data->item_keys_[i]);
          }
        }
        continue;
      }
      const int64_t count = std::min<int64_t>(options.eval_negatives, unrated);
      Rng rng(Mix64(options.seed ^ Mix64(user.key ^ 0x6e6567617469766cULL)));
      std::unordered_set<int32_t> drawn;
      if (count * 2 > unrated) {
        // Few unrated items: a partial shuffle of all of them.
        std::vector<int32_t> pool;
        for (int32_t i = 0; i < num_items; ++i) {
          if (!std::binary_search(user.rated.begin(), user.rated.end(), i)) pool.push_back(i);
        }
        for (int64_t k = 0; k < count; ++k) {
          std::swap(pool[k], pool[k + rng.UniformInt(pool.size() - k)]);
          user.eval_negatives.push_back(data->item_keys_[pool[k]]);
        }
        continue;
      }
      while (static_cast<int64_t>(user.eval_negatives.size()) < count) {
        const auto item = static_cast<int32_t>(rng.UniformInt(num_items));
        if (std::binary_search(user.rated.begin(), user.rated.end(), item) || !drawn.insert(item).second) continue;
        user.eval_negatives.push_back(data->item_keys_[item]);
      }
    }
  } else {
    // NCF format: (user,item)<TAB>neg1<TAB>neg2...
    std::unordered_map<Key, int32_t> user_by_key;
    for (size_t u = 0; u < data->users_.size(); ++u) {
      user_by_key[data->users_[u].key] = static_cast<int32_t>(u);
    }
    std::vector<char> listed(data->users_.size(), 0);
    const std::string& path = options.eval_negatives_file;
    RETURN_IF_ERROR(ForEachLine(path, [&](int64_t line_number, std::string_view line) -> Status {
      if (line.empty()) return Status::OK();
      std::string_view user_token, item_token;
      if (!internal::ParseNegativesLine(line, &fields, &user_token, &item_token)) {
        return Status::InvalidArgument(path, ":", line_number, ": expected (user,item)<TAB>negatives...");
      }
      auto found = user_by_key.find(HashFieldToken(kUserField, user_token));
      if (found == user_by_key.end()) {
        return Status::InvalidArgument(path, ":", line_number, ": user '", user_token, "' is not in the interactions");
      }
      User& user = data->users_[found->second];
      if (user.test_item < 0 || data->item_keys_[user.test_item] != HashFieldToken(kItemField, item_token)) {
        return Status::InvalidArgument(path, ":", line_number, ": item '", item_token,
                                       "' is not the held-out (latest) item of user '", user_token, "'");
      }
      if (listed[found->second]++) {
        return Status::InvalidArgument(path, ":", line_number, ": user '", user_token, "' listed twice");
      }
      for (size_t i = 1; i < fields.size(); ++i) {
        if (fields[i].empty()) continue;
        user.eval_negatives.push_back(HashFieldToken(kItemField, fields[i]));
      }
      return Status::OK();
    }));
    for (size_t u = 0; u < data->users_.size(); ++u) {
      if (!listed[u]) data->users_[u].test_item = -1;
    }
  }
  LOG(INFO) << "interactions: " << data->users_.size() << " users, " << num_items << " items, "
            << data->num_interactions_ << " distinct interactions, " << data->bad_lines_ << " bad lines";
  return std::shared_ptr<const InteractionData>(std::move(data));
}

RankingMetrics MostPopularRanking(const InteractionData& data, int k) {
  std::unordered_map<Key, int64_t> count_of;
  for (size_t i = 0; i < data.item_keys().size(); ++i) count_of[data.item_keys()[i]] = data.train_counts()[i];
  std::vector<float> scores, labels;
  for (const InteractionData::User& user : data.users()) {
    if (user.test_item < 0) continue;
    scores.push_back(static_cast<float>(data.train_counts()[user.test_item]));
    labels.push_back(1.f);
    for (Key negative : user.eval_negatives) {
      auto found = count_of.find(negative);
      scores.push_back(found == count_of.end() ? 0.f : static_cast<float>(found->second));
      labels.push_back(0.f);
    }
  }
  return ComputeGroupedLeaveOneOut(scores, labels, k);
}

InteractionReader::InteractionReader(std::shared_ptr<const InteractionData> interactions,
                                     InteractionReaderOptions options)
    : data_(std::move(interactions)), options_(options) {}

Status InteractionReader::Open() {
  if (data_ == nullptr) return Status::InvalidArgument("no interaction data");
  if (options_.batch_size <= 0) {
    return Status::InvalidArgument("batch_size must be positive; got ", options_.batch_size);
  }
  if (options_.neg_per_pos < 0) return Status::InvalidArgument("neg_per_pos must be >= 0; got ", options_.neg_per_pos);
  if (options_.mode == InteractionReaderOptions::Mode::kTrain && options_.batch_size < 1 + options_.neg_per_pos) {
    return Status::InvalidArgument("batch_size ", options_.batch_size, " cannot hold a positive and its ",
                                   options_.neg_per_pos, " negatives");
  }
  if (options_.max_seq_len < 0) return Status::InvalidArgument("max_seq_len must be >= 0; got ", options_.max_seq_len);
  if (options_.num_parts <= 0 || options_.part < 0 || options_.part >= options_.num_parts) {
    return Status::InvalidArgument("part ", options_.part, " of ", options_.num_parts, " is out of range");
  }
  const auto& users = data_->users();
  const auto num_items = static_cast<int64_t>(data_->item_keys().size());
  positives_.clear();
  groups_.clear();
  pass_size_ = 0;
  for (size_t u = 0; u < users.size(); ++u) {
    const InteractionData::User& user = users[u];
    if (Mix64(user.key) % static_cast<uint64_t>(options_.num_parts) != static_cast<uint64_t>(options_.part)) continue;
    if (options_.mode == InteractionReaderOptions::Mode::kTrain) {
      if (options_.neg_per_pos > 0 && !user.train_items.empty() &&
          static_cast<int64_t>(user.rated.size()) >= num_items) {
        return Status::InvalidArgument("a user rated every one of the ", num_items,
                                       " items: no negatives to sample (--neg_per_pos=", options_.neg_per_pos, ")");
      }
      const size_t targets = user.train_items.size() - (user.has_validation ? 1 : 0);
      for (size_t i = 0; i < targets; ++i) positives_.emplace_back(static_cast<int32_t>(u), static_cast<int32_t>(i));
    } else if (options_.mode == InteractionReaderOptions::Mode::kRecommend) {
      const int64_t unrated = num_items - static_cast<int64_t>(user.rated.size());
      if (unrated > 0) {
        groups_.emplace_back(static_cast<int32_t>(u), pass_size_);
        pass_size_ += unrated;
      }
    } else if (user.test_item >= 0) {
      groups_.emplace_back(static_cast<int32_t>(u), pass_size_);
      pass_size_ += 1 + static_cast<int64_t>(user.eval_negatives.size());
    }
  }
  if (options_.mode == InteractionReaderOptions::Mode::kTrain) {
    Rng rng(Mix64(options_.seed ^ Mix64(static_cast<uint64_t>(options_.epoch) + 0x7368756666ULL)));
    for (size_t i = positives_.size(); i > 1; --i) std::swap(positives_[i - 1], positives_[rng.UniformInt(i)]);
    pass_size_ = static_cast<int64_t>(positives_.size()) * (1 + options_.neg_per_pos);
  }
  open_ = true;
  next_ = 0;
  cached_positive_ = -1;
  cached_group_ = -1;
  return Status::OK();
}

void InteractionReader::Sample(int64_t s, Key* user, Key* item, float* label, int32_t* user_index,
                               int32_t* history_end) {
  const auto& users = data_->users();
  const auto& item_keys = data_->item_keys();
  if (options_.mode == InteractionReaderOptions::Mode::kRecommend) {
    auto it = std::upper_bound(groups_.begin(), groups_.end(), s,
                               [](int64_t value, const std::pair<int32_t, int64_t>& g) { return value < g.second; });
    const auto& [u, first] = *(it - 1);
    const InteractionData::User& of = users[u];
    if (cached_group_ != it - groups_.begin()) {  // the user's unrated items, in item order
      negatives_.clear();
      for (int32_t i = 0, r = 0; i < static_cast<int32_t>(item_keys.size()); ++i) {
        while (r < static_cast<int32_t>(of.rated.size()) && of.rated[r] < i) ++r;
        if (r == static_cast<int32_t>(of.rated.size()) || of.rated[r] != i) negatives_.push_back(i);
      }
      cached_group_ = it - groups_.begin();
    }
    *user = of.key;
    *user_index = u;
    // The whole history: the train items, then the held-out one.
    *history_end = static_cast<int32_t>(of.train_items.size()) + (of.test_item >= 0 ? 1 : 0);
    *item = item_keys[negatives_[s - first]];
    *label = 0.f;
    return;
  }
  if (options_.mode == InteractionReaderOptions::Mode::kEval) {
    auto it = std::upper_bound(groups_.begin(), groups_.end(), s,
                               [](int64_t value, const std::pair<int32_t, int64_t>& g) { return value < g.second; });
    const auto& [u, first] = *(it - 1);
    *user = users[u].key;
    *user_index = u;
    *history_end = static_cast<int32_t>(users[u].train_items.size());
    const int64_t j = s - first;
    *item = j == 0 ? item_keys[users[u].test_item] : users[u].eval_negatives[j - 1];
    *label = j == 0 ? 1.f : 0.f;
    return;
  }
  const int64_t group = 1 + options_.neg_per_pos;
  const int64_t p = s / group, j = s % group;
  const auto [u, position] = positives_[p];
  *user = users[u].key;
  *user_index = u;
  *history_end = position;
  if (j == 0) {
    *item = item_keys[users[u].train_items[position]];
    *label = 1.f;
    return;
  }
  if (cached_positive_ != p) {
    const std::vector<int32_t>& rated = users[u].rated;
    Rng rng(Mix64(Mix64(options_.seed + static_cast<uint64_t>(options_.epoch) * 0x9e3779b97f4a7c15ULL) ^
                  static_cast<uint64_t>(p)));
    negatives_.clear();
    while (static_cast<int64_t>(negatives_.size()) < options_.neg_per_pos) {
      const auto candidate = static_cast<int32_t>(rng.UniformInt(item_keys.size()));
      if (!std::binary_search(rated.begin(), rated.end(), candidate)) negatives_.push_back(candidate);
    }
    cached_positive_ = p;
  }
  *item = item_keys[negatives_[j - 1]];
  *label = 0.f;
}

StatusOr<bool> InteractionReader::Next(Batch* batch) {
  if (!open_) return Status::FailedPrecondition("InteractionReader::Next before Open");
  const bool history = options_.max_seq_len > 0;
  batch->num_dense = 0;
  batch->fields.resize(history ? 3 : 2);
  batch->Clear();
  int64_t n = options_.batch_size;
  if (options_.mode == InteractionReaderOptions::Mode::kTrain) n -= n % (1 + options_.neg_per_pos);
  n = std::min<int64_t>(n, pass_size_ - next_);
  if (n <= 0) return false;
  batch->labels.resize(n);
  for (int f = 0; f < 2; ++f) {
    SparseField& field = batch->fields[f];
    field.keys.resize(n);
    field.offsets.resize(n + 1);
    std::iota(field.offsets.begin(), field.offsets.end(), 0);
  }
  const auto& users = data_->users();
  const auto& item_keys = data_->item_keys();
  for (int64_t b = 0; b < n; ++b) {
    int32_t u = 0, end = 0;
    Sample(next_ + b, &batch->fields[0].keys[b], &batch->fields[1].keys[b], &batch->labels[b], &u, &end);
    if (!history) continue;
    SparseField& field = batch->fields[2];
    const InteractionData::User& of = users[u];
    const auto train = static_cast<int32_t>(of.train_items.size());
    for (int32_t i = std::max(0, end - options_.max_seq_len); i < end; ++i) {
      field.keys.push_back(item_keys[i < train ? of.train_items[i] : of.test_item]);
    }
    field.offsets.push_back(static_cast<int32_t>(field.keys.size()));
  }
  batch->size = n;
  next_ += n;
  return true;
}

Status InteractionReader::Rewind() {
  if (!open_) return Status::FailedPrecondition("InteractionReader::Rewind before Open");
  next_ = 0;
  return Status::OK();
}

double InteractionReader::fraction_done() const {
  return pass_size_ > 0 ? static_cast<double>(next_) / static_cast<double>(pass_size_) : 1.0;
}

ReaderPosition InteractionReader::position() const {
  ReaderPosition position;
  position.records = next_;
  return position;
}

Status InteractionReader::Seek(const ReaderPosition& position) {
  if (!open_) return Status::FailedPrecondition("InteractionReader::Seek before Open");
  if (position.file_index != 0 || position.offset != 0 || position.line != 0 || position.bad_lines != 0 ||
      position.records < 0 || position.records > pass_size_ ||
      (options_.mode == InteractionReaderOptions::Mode::kTrain && position.records != pass_size_ &&
       position.records % (1 + options_.neg_per_pos) != 0)) {
    return Status::InvalidArgument("position {file ", position.file_index, ", offset ", position.offset, ", records ",
                                   position.records, "} is not in this interaction pass of ", pass_size_, " samples");
  }
  next_ = position.records;
  return Status::OK();
}

}  // namespace ember::data
