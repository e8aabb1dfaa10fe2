// data/interactions.h: user-item interaction files (MovieLens and the like)
// for implicit-feedback models such as NCF, with leave-one-out evaluation.
//
// File: one interaction per line, `user SEP item [SEP rating [SEP timestamp
// [SEP side features...]]]`. SEP is `::` (MovieLens .dat), a tab, a comma or
// whitespace: given, or detected from the first line. A file's first line
// is a header, and skipped, when its rating or timestamp is not a number
// (`userId,movieId,rating,timestamp`) or, with two fields, when neither has
// a digit (`user,item`). Ratings and side features are read past and not used: every
// line is a positive (implicit feedback, as NCF). Tokens are hashed: user
// key = HashFieldToken(0, user), item key = HashFieldToken(1, item).
//
// Split (leave-one-out, He et al. 2017): each user's latest interaction (by
// timestamp, ties and files without timestamps by line order: the last
// line wins) is held out as its test item; the rest are its train items. A
// (user, item) pair seen twice counts once, at its latest time. A user with
// a single interaction keeps it for training and is not evaluated. With
// holdout_validation (the SASRec protocol, Kang and McAuley 2018) the
// second latest is the user's validation item: it stays in the user's
// history but is never a training target, and only users with at least 3
// interactions are evaluated.
//
// Passes, as Batches of num_dense = 0 and two categorical fields (0: the
// user key, 1: the item key), one key each, and with max_seq_len > 0 a third
// (2: the history): the item keys of the user's interactions before the
// sample's target item, in time order (oldest first), at most the latest
// max_seq_len of them. History keys are item keys, so a model reads them
// from the table of the target items.
//  - train (InteractionReaderOptions::mode = kTrain): this part's train
//    positives (label 1) in a shuffled order fixed by (seed, epoch), each
//    followed by neg_per_pos items (label 0) drawn uniformly from the items
//    the user never interacted with (train or test), from an Rng seeded by
//    (seed, epoch, the positive's index in the pass). A positive's history is
//    the user's train items before it; its negatives share it. A batch holds
//    whole groups (a positive and its negatives; batch_size rounded down to
//    a multiple of 1 + neg_per_pos), which sampled-softmax models rely on;
//  - eval (kEval): per user of this part, in file order of first
//    appearance, one group of consecutive rows: the test item (label 1),
//    then its negatives (label 0): eval_negatives distinct unrated items
//    drawn from an Rng seeded by (seed, user), or the negatives of the
//    user's line in eval_negatives_file (NCF's format:
//    `(user,item)<TAB>neg1<TAB>neg2...`; the pair must be the user's held-out
//    item; users without a line are not evaluated), or with eval_negatives
//    < 0 every item the user never interacted with (full ranking: HR@K is
//    then recall@K over the whole catalogue). Every row of a group has the
//    user's history before the test item (all train items, the validation
//    item included). A group starts at each label-1 row, which is how the
//    scheduler finds them;
//  - recommend (kRecommend, `ember predict`): per user of this part, in file
//    order of first appearance, one row (label 0) per item the user never
//    interacted with, in item order (of first appearance in the files),
//    each with the user's whole history (the held-out item too: nothing is
//    held out when recommending). A user who interacted with every item
//    has no rows.
// Parts: a user belongs to part Mix64(user key) % num_parts.
//
// InteractionData::Load parses the files once (a whole-file parse, kept in
// memory: about 50 bytes per interaction); readers share it read-only (it is
// immutable, so thread-safe) and each holds its own cursor.
//
//   ASSIGN_OR_RETURN(auto interactions, InteractionData::Load({.files = {"ratings.dat"}}));
//   InteractionReader reader(interactions, {.batch_size = 256, .epoch = e, .part = rank, .num_parts = workers});
//   RETURN_IF_ERROR(reader.Open());
//   ... reader.Next(&batch) ...
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/metrics.h"
#include "common/status.h"
#include "data/batch.h"
#include "data/reader.h"

namespace ember::data {

struct InteractionDataOptions {
  std::vector<std::string> files;  // read in this order, as one file. REQUIRED, non-empty.
  // Field separator: "" detects it from the first line (`::`, tab, comma, or
  // whitespace, in that order of preference); else "::", a one-character
  // string, or "\t". Default: ""
  std::string separator;
  // Malformed lines (fewer than 2 fields, an empty token, a timestamp that is
  // not an integer) are counted, logged and skipped; past this many Load fails
  // with InvalidArgument naming the last. Negative: no limit. Default: 1000
  int64_t max_bad_lines = 1000;
  // Sampled eval negatives per user (when eval_negatives_file is empty),
  // fewer when the user has not that many unrated items; < 0: every item
  // the user never interacted with. Default: 99
  int eval_negatives = 99;
  // The SASRec split: hold out each user's second latest item as a
  // validation item (see the file comment). Default: false
  bool holdout_validation = false;
  // NCF-format file of the eval groups, instead of sampling. Default: none
  std::string eval_negatives_file;
  uint64_t seed = 1;  // of the eval negatives. Default: 1
};

class InteractionData {
 public:
  struct User {
    Key key = 0;
    std::string token;  // as the file spells it
    // Item indices of every interaction before the test item, in time order
    // (the validation item, if any, last).
    std::vector<int32_t> train_items;
    bool has_validation = false;      // the last train item is held out from training
    int32_t test_item = -1;           // -1: not evaluated
    std::vector<int32_t> rated;       // every item the user interacted with, sorted
    std::vector<Key> eval_negatives;  // item keys of the eval group's negatives
  };

  // Parses the files, splits, and draws (or reads) the eval negatives.
  // NotFound / InvalidArgument naming the file and line.
  static StatusOr<std::shared_ptr<const InteractionData>> Load(const InteractionDataOptions& options);

  const std::vector<User>& users() const { return users_; }         // in order of first appearance
  const std::vector<Key>& item_keys() const { return item_keys_; }  // by item index
  const std::vector<std::string>& item_tokens() const {
    return item_tokens_;
  }                                                               // by item index, as the file spells them
  int64_t num_interactions() const { return num_interactions_; }  // distinct (user, item) pairs
  // Per item index: in how many users' training targets it appears.
  const std::vector<int64_t>& train_counts() const { return train_counts_; }
  int64_t bad_lines() const { return bad_lines_; }

 private:
  std::vector<User> users_;
  std::vector<Key> item_keys_;
  std::vector<std::string> item_tokens_;
  std::vector<int64_t> train_counts_;
  int64_t num_interactions_ = 0;
  int64_t bad_lines_ = 0;
};

// The most-popular baseline of the eval groups: each candidate scored by
// train_counts() (ties count against the held-out item, as in
// ComputeGroupedLeaveOneOut), HR@k and NDCG@k over the evaluated users.
RankingMetrics MostPopularRanking(const InteractionData& data, int k);

struct InteractionReaderOptions {
  enum class Mode { kTrain, kEval, kRecommend };
  Mode mode = Mode::kTrain;  // Default: train
  int batch_size = 256;      // samples per batch, >= 1 + neg_per_pos. Default: 256
  int neg_per_pos = 4;       // train: sampled negatives per positive, >= 0. Default: 4
  int max_seq_len = 0;       // > 0: the history field (see the file comment), >= 0. Default: 0
  int epoch = 0;             // train: which pass (the shuffle and negatives depend on it)
  uint64_t seed = 1;         // train: of the shuffle and the negatives
  int part = 0;              // users of part `part` of num_parts. Default: 0 of 1
  int num_parts = 1;
};

class InteractionReader : public Reader {
 public:
  InteractionReader(std::shared_ptr<const InteractionData> interactions, InteractionReaderOptions options);

  // InvalidArgument for a bad option, or (train, neg_per_pos > 0) when a user
  // of this part rated every item so that no negative exists.
  Status Open() override;
  // Up to batch_size samples (see the file comment); false at the end of
  // the pass. FailedPrecondition before Open().
  StatusOr<bool> Next(Batch* batch) override;
  Status Rewind() override;
  // {file_index 0, offset 0, line 0, records = samples returned, bad_lines 0}.
  ReaderPosition position() const override;
  double fraction_done() const override;
  // InvalidArgument unless position.records is in [0, samples of the pass]
  // and the other fields are 0. FailedPrecondition before Open().
  Status Seek(const ReaderPosition& position) override;

  // Samples in this pass over this part.
  int64_t pass_size() const { return pass_size_; }

 private:
  // Writes sample `s` of the pass: its user key, item key and label, and
  // sets *user_index / *history_end to the user and the end (exclusive) of
  // its history in the user's train_items.
  void Sample(int64_t s, Key* user, Key* item, float* label, int32_t* user_index, int32_t* history_end);

  std::shared_ptr<const InteractionData> data_;
  InteractionReaderOptions options_;
  bool open_ = false;
  int64_t next_ = 0;  // next sample of the pass
  int64_t pass_size_ = 0;
  // train: (user index, position in its train_items) of the pass's
  // positives, shuffled.
  std::vector<std::pair<int32_t, int32_t>> positives_;
  int64_t cached_positive_ = -1;    // train: whose negatives negatives_ holds
  int64_t cached_group_ = -1;       // recommend: whose unrated items negatives_ holds
  std::vector<int32_t> negatives_;  // item indices
  // eval, recommend: (user index, offset of its group's first row) per user.
  std::vector<std::pair<int32_t, int64_t>> groups_;
};

}  // namespace ember::data
