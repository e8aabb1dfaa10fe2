// data/interactions.h: parsing and the leave-one-out split, the training pass
// (negatives never rated, determinism, parts, Seek) and the eval groups
// (sampled or from an NCF negatives file).
#include "data/interactions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "common/random.h"
#include "tests/data/test_util.h"

namespace ember::data {
namespace {

using testing::TempDir;
using Mode = InteractionReaderOptions::Mode;

Key UserKey(const std::string& token) { return HashFieldToken(0, token); }
Key ItemKey(const std::string& token) { return HashFieldToken(1, token); }

// u users; user u rated items (u + 3j) % items for j < per_user, at time
// 1000 - j (so j = 0 is the latest: the test item).
std::string GeneratedRatings(int users, int items, int per_user, const std::string& sep = "::") {
  std::ostringstream out;
  for (int u = 0; u < users; ++u) {
    for (int j = 0; j < per_user; ++j) {
      out << "u" << u << sep << "i" << (u + 3 * j) % items << sep << "4" << sep << 1000 - j << "\n";
    }
  }
  return out.str();
}

// "<prefix><n>" (built by append: GCC 12 warns, wrongly, of overlapping
// copies in `"literal" + std::to_string(n)`).
std::string Token(const char* prefix, int n) { return std::string(prefix).append(std::to_string(n)); }

StatusOr<std::shared_ptr<const InteractionData>> Load(const std::string& file, InteractionDataOptions options = {}) {
  options.files = {file};
  return InteractionData::Load(options);
}

// Every sample of one pass: (user key, item key, label).
struct Sample {
  Key user, item;
  float label;
  bool operator==(const Sample&) const = default;
};
// `fields`: 2, or 3 with a history (which is not part of a Sample).
std::vector<Sample> ReadPass(InteractionReader* reader, std::vector<ReaderPosition>* positions = nullptr,
                             size_t fields = 2) {
  std::vector<Sample> samples;
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_EQ(batch.num_dense, 0);
    EXPECT_EQ(batch.fields.size(), fields);
    for (int64_t b = 0; b < batch.size; ++b) {
      EXPECT_EQ(batch.fields[0].NumKeys(b), 1);
      EXPECT_EQ(batch.fields[1].NumKeys(b), 1);
      samples.push_back({batch.fields[0].keys[b], batch.fields[1].keys[b], batch.labels[b]});
    }
    if (positions != nullptr) positions->push_back(reader->position());
  }
  return samples;
}

TEST(InteractionDataTest, SplitsTheLatestInteractionOffPerUserWithTiesByLineAndDuplicatesOnce) {
  TempDir dir;
  // CSV with a header. u1: items b (t=5), c (t=9), a (t=9, a later line: the
  // test item), b again (t=7: one b, at t=7). u2: one line, not evaluated.
  const std::string file = dir.Write("ratings.csv",
                                     "userId,movieId,rating,timestamp\n"
                                     "u1,b,4,5\nu1,c,3,9\nu2,c,1,1\nu1,a,5,9\nu1,b,2,7\r\n");
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(file);
  ASSERT_TRUE(data.ok()) << data.status();
  const auto& users = (*data)->users();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ((*data)->item_keys().size(), 3u);
  EXPECT_EQ((*data)->num_interactions(), 4);
  const auto& items = (*data)->item_keys();
  EXPECT_EQ(users[0].key, UserKey("u1"));
  ASSERT_GE(users[0].test_item, 0);
  EXPECT_EQ(items[users[0].test_item], ItemKey("a"));
  ASSERT_EQ(users[0].train_items.size(), 2u);
  EXPECT_EQ(items[users[0].train_items[0]], ItemKey("b"));  // t=7
  EXPECT_EQ(items[users[0].train_items[1]], ItemKey("c"));  // t=9, before a's line
  EXPECT_EQ(users[0].rated.size(), 3u);
  EXPECT_EQ(users[1].test_item, -1);
  EXPECT_EQ(users[1].train_items.size(), 1u);
}

TEST(InteractionDataTest, DetectsSeparatorsAndCountsBadLines) {
  TempDir dir;
  for (const std::string sep : {"::", "\t", ",", " "}) {
    StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("r.txt", GeneratedRatings(5, 30, 4, sep)));
    ASSERT_TRUE(data.ok()) << data.status();
    EXPECT_EQ((*data)->users().size(), 5u) << "separator '" << sep << "'";
    EXPECT_EQ((*data)->num_interactions(), 20);
  }
  // Two-field lines (no rating, no timestamp: line order) and a bad timestamp.
  const std::string file = dir.Write("pairs.tsv", "1\t10\n1\t11\n2\t10\n2\t12\t3\tsoon\n2\t13\n\n");
  InteractionDataOptions options;
  options.max_bad_lines = 5;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(file, options);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ((*data)->bad_lines(), 2);  // the bad timestamp and the empty line
  EXPECT_EQ((*data)->item_keys()[(*data)->users()[0].test_item], ItemKey("11"));
  options.max_bad_lines = 1;
  EXPECT_EQ(Load(file, options).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Load(dir.path() + "/missing.dat").status().code(), StatusCode::kNotFound);
}

TEST(InteractionReaderTest, TrainPassIsEveryPositiveWithUnratedNegativesAndDeterministic) {
  TempDir dir;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("r.dat", GeneratedRatings(40, 60, 12)));
  ASSERT_TRUE(data.ok()) << data.status();
  std::map<Key, std::set<Key>> rated, train;
  for (const auto& user : (*data)->users()) {
    for (int32_t item : user.rated) rated[user.key].insert((*data)->item_keys()[item]);
    for (int32_t item : user.train_items) train[user.key].insert((*data)->item_keys()[item]);
  }
  InteractionReaderOptions options;
  options.batch_size = 7;
  options.neg_per_pos = 3;
  options.epoch = 2;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(reader.pass_size(), 40 * 11 * 4);
  const std::vector<Sample> pass = ReadPass(&reader);
  ASSERT_EQ(static_cast<int64_t>(pass.size()), reader.pass_size());
  std::map<Key, std::multiset<Key>> positives;
  for (size_t s = 0; s < pass.size(); ++s) {
    const bool positive = s % 4 == 0;
    ASSERT_EQ(pass[s].label, positive ? 1.f : 0.f) << s;
    if (positive) {
      positives[pass[s].user].insert(pass[s].item);
    } else {
      EXPECT_EQ(pass[s].user, pass[s - s % 4].user);
      EXPECT_FALSE(rated[pass[s].user].count(pass[s].item)) << "negative " << s << " was rated";
    }
  }
  for (const auto& [user, items] : train) {
    EXPECT_EQ(positives[user], std::multiset<Key>(items.begin(), items.end()));
  }
  // Same epoch: the same pass; Rewind gives it again; another epoch differs.
  InteractionReader again(*data, options);
  ASSERT_TRUE(again.Open().ok());
  EXPECT_EQ(ReadPass(&again), pass);
  ASSERT_TRUE(again.Rewind().ok());
  EXPECT_EQ(ReadPass(&again), pass);
  options.epoch = 3;
  InteractionReader other(*data, options);
  ASSERT_TRUE(other.Open().ok());
  EXPECT_NE(ReadPass(&other), pass);
}

TEST(InteractionReaderTest, PartsSplitUsersAndSeekContinuesExactly) {
  TempDir dir;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("r.dat", GeneratedRatings(50, 40, 6)));
  ASSERT_TRUE(data.ok()) << data.status();
  for (Mode mode : {Mode::kTrain, Mode::kEval, Mode::kRecommend}) {
    std::set<Key> seen_users;
    int64_t total = 0;
    for (int part = 0; part < 3; ++part) {
      InteractionReaderOptions options;
      options.mode = mode;
      options.batch_size = 16;
      options.part = part;
      options.num_parts = 3;
      InteractionReader reader(*data, options);
      ASSERT_TRUE(reader.Open().ok());
      std::vector<ReaderPosition> positions;
      const std::vector<Sample> pass = ReadPass(&reader, &positions);
      total += static_cast<int64_t>(pass.size());
      std::set<Key> users;
      for (const Sample& s : pass) users.insert(s.user);
      for (Key user : users) EXPECT_TRUE(seen_users.insert(user).second) << "a user in two parts";
      // From every batch boundary, a fresh reader continues exactly.
      for (size_t k = 0; k < positions.size(); ++k) {
        InteractionReader resumed(*data, options);
        ASSERT_TRUE(resumed.Open().ok());
        ASSERT_TRUE(resumed.Seek(positions[k]).ok());
        EXPECT_EQ(resumed.position(), positions[k]);
        const std::vector<Sample> rest = ReadPass(&resumed);
        ASSERT_EQ(rest.size(), pass.size() - positions[k].records);
        EXPECT_TRUE(std::equal(rest.begin(), rest.end(), pass.begin() + positions[k].records));
      }
      ReaderPosition bad;
      bad.records = reader.pass_size() + 1;
      EXPECT_EQ(reader.Seek(bad).code(), StatusCode::kInvalidArgument);
    }
    EXPECT_EQ(seen_users.size(), 50u);
    // Eval: the test item and the 40 - 6 unrated ones; recommend: these 34.
    EXPECT_EQ(total, mode == Mode::kTrain ? 50 * 5 * 5 : mode == Mode::kEval ? 50 * (1 + 34) : 50 * 34);
  }
}

TEST(InteractionReaderTest, EvalGroupsAreTheTestItemThenDistinctUnratedNegatives) {
  TempDir dir;
  InteractionDataOptions data_options;
  data_options.eval_negatives = 20;
  StatusOr<std::shared_ptr<const InteractionData>> data =
      Load(dir.Write("r.dat", GeneratedRatings(30, 30, 5)), data_options);
  ASSERT_TRUE(data.ok()) << data.status();
  InteractionReaderOptions options;
  options.mode = Mode::kEval;
  options.batch_size = 13;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  const std::vector<Sample> pass = ReadPass(&reader);
  ASSERT_EQ(pass.size(), 30u * 21);
  for (int u = 0; u < 30; ++u) {
    const Sample& positive = pass[u * 21];
    EXPECT_EQ(positive.label, 1.f);
    EXPECT_EQ(positive.user, UserKey(Token("u", u)));
    EXPECT_EQ(positive.item, ItemKey(Token("i", u % 30)));  // j = 0: the latest
    std::set<Key> negatives;
    for (int j = 1; j <= 20; ++j) {
      const Sample& s = pass[u * 21 + j];
      EXPECT_EQ(s.label, 0.f);
      EXPECT_EQ(s.user, positive.user);
      negatives.insert(s.item);
      for (int r = 0; r < 5; ++r) EXPECT_NE(s.item, ItemKey(Token("i", (u + 3 * r) % 30)));
    }
    EXPECT_EQ(negatives.size(), 20u);
  }
  // A user with fewer unrated items than asked gets all of them.
  data_options.eval_negatives = 99;
  data = Load(dir.Write("r2.dat", GeneratedRatings(30, 30, 5)), data_options);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ((*data)->users()[0].eval_negatives.size(), 25u);
}

// `ember predict`: per user every item never interacted with, in item
// order, with the whole history (the held-out item last).
TEST(InteractionReaderTest, RecommendRowsAreEveryUnratedItemWithTheWholeHistory) {
  TempDir dir;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("r.dat", GeneratedRatings(10, 12, 4)));
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ((*data)->users()[3].token, "u3");
  EXPECT_EQ((*data)->item_tokens()[0], "i0");
  InteractionReaderOptions options;
  options.mode = Mode::kRecommend;
  options.batch_size = 7;
  options.max_seq_len = 3;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(reader.fraction_done(), 0);
  std::vector<Sample> pass;
  std::vector<std::vector<Key>> histories;
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    for (int64_t b = 0; b < batch.size; ++b) {
      pass.push_back({batch.fields[0].keys[b], batch.fields[1].keys[b], batch.labels[b]});
      const SparseField& history = batch.fields[2];
      histories.emplace_back(history.keys.begin() + history.offsets[b], history.keys.begin() + history.offsets[b + 1]);
    }
  }
  EXPECT_EQ(reader.fraction_done(), 1);
  ASSERT_EQ(pass.size(), 10u * (12 - 4));
  for (int u = 0; u < 10; ++u) {
    // User u had (u + 3j) % 12 for j < 4, at times 1000 - j: oldest j = 3.
    const std::vector<Key> history = {ItemKey(Token("i", (u + 6) % 12)), ItemKey(Token("i", (u + 3) % 12)),
                                      ItemKey(Token("i", u % 12))};
    std::set<Key> items;
    for (int j = 0; j < 8; ++j) {
      const Sample& s = pass[u * 8 + j];
      EXPECT_EQ(s.user, UserKey(Token("u", u)));
      EXPECT_EQ(s.label, 0.f);
      for (int r = 0; r < 4; ++r) EXPECT_NE(s.item, ItemKey(Token("i", (u + 3 * r) % 12)));
      items.insert(s.item);
      EXPECT_EQ(histories[u * 8 + j], history) << "the latest 3 of the user's items, the held-out one included";
    }
    EXPECT_EQ(items.size(), 8u);
  }
}

TEST(InteractionReaderTest, EvalNegativesFileGivesTheGroups) {
  TempDir dir;
  const std::string ratings = dir.Write("r.dat", GeneratedRatings(3, 30, 5));
  InteractionDataOptions data_options;
  data_options.eval_negatives_file =
      dir.Write("test.negative", "(u0,i0)\ti1\ti2\ti4\n(u2,i2)\ti7\ti8\n");  // u1 is not evaluated
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(ratings, data_options);
  ASSERT_TRUE(data.ok()) << data.status();
  InteractionReaderOptions options;
  options.mode = Mode::kEval;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  const std::vector<Sample> pass = ReadPass(&reader);
  const std::vector<Sample> expected = {{UserKey("u0"), ItemKey("i0"), 1.f}, {UserKey("u0"), ItemKey("i1"), 0.f},
                                        {UserKey("u0"), ItemKey("i2"), 0.f}, {UserKey("u0"), ItemKey("i4"), 0.f},
                                        {UserKey("u2"), ItemKey("i2"), 1.f}, {UserKey("u2"), ItemKey("i7"), 0.f},
                                        {UserKey("u2"), ItemKey("i8"), 0.f}};
  EXPECT_EQ(pass, expected);
  // The pair must be the user's held-out item.
  data_options.eval_negatives_file = dir.Write("wrong.negative", "(u0,i3)\ti1\n");
  EXPECT_EQ(Load(ratings, data_options).status().code(), StatusCode::kInvalidArgument);
  data_options.eval_negatives_file = dir.Write("bad.negative", "u0,i0\ti1\n");
  EXPECT_EQ(Load(ratings, data_options).status().code(), StatusCode::kInvalidArgument);
}

// A user's lines in time order (no timestamps): u<u> rates i<u*10 + t> at
// step t, t < length.
std::string Sequences(const std::vector<int>& lengths) {
  std::ostringstream out;
  for (size_t u = 0; u < lengths.size(); ++u) {
    for (int t = 0; t < lengths[u]; ++t) out << "u" << u << " i" << u * 10 + t << "\n";
  }
  return out.str();
}

TEST(InteractionReaderTest, HistoryIsTheLatestItemsBeforeTheTargetAndBatchesHoldWholeGroups) {
  TempDir dir;
  // 60 unrelated filler items so that every user has unrated negatives.
  std::string text = Sequences({7, 3, 2});
  for (int i = 0; i < 60; ++i) text += Token("filler", i) + Token(" f", i) + "\n";
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("seq.txt", text));
  ASSERT_TRUE(data.ok()) << data.status();
  const Key item_of_user0[] = {ItemKey("i0"), ItemKey("i1"), ItemKey("i2"), ItemKey("i3"),
                               ItemKey("i4"), ItemKey("i5"), ItemKey("i6")};
  InteractionReaderOptions options;
  options.batch_size = 8;  // rounded down to 6: two whole groups of 1 + 2
  options.neg_per_pos = 2;
  options.max_seq_len = 3;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  int64_t samples = 0, checked = 0;
  while (true) {
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    ASSERT_EQ(batch.fields.size(), 3u);
    EXPECT_EQ(batch.size % 3, 0) << "a batch splits a group";
    EXPECT_LE(batch.size, 6);
    samples += batch.size;
    for (int64_t b = 0; b < batch.size; ++b) {
      const SparseField& history = batch.fields[2];
      const std::vector<Key> keys(history.keys.begin() + history.offsets[b],
                                  history.keys.begin() + history.offsets[b + 1]);
      if (b % 3 != 0) {  // a negative shares its positive's history
        const int64_t p = b - b % 3;
        EXPECT_EQ(keys, std::vector<Key>(history.keys.begin() + history.offsets[p],
                                         history.keys.begin() + history.offsets[p + 1]));
        continue;
      }
      if (batch.fields[0].keys[b] != UserKey("u0")) continue;
      // u0's train items are i0..i5 (i6 is its test item): the target i<t>
      // has i<t-3>..i<t-1> before it, oldest first.
      const Key* at = std::find(item_of_user0, item_of_user0 + 6, batch.fields[1].keys[b]);
      ASSERT_NE(at, item_of_user0 + 6);
      const auto t = static_cast<int>(at - item_of_user0);
      EXPECT_EQ(keys, std::vector<Key>(item_of_user0 + std::max(0, t - 3), item_of_user0 + t)) << "target i" << t;
      ++checked;
    }
  }
  EXPECT_EQ(samples, reader.pass_size());
  EXPECT_EQ(checked, 6);
  // Seek must land on a group boundary in a train pass.
  EXPECT_EQ(reader.Seek({.records = 4}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(reader.Seek({.records = 3}).ok());
  options.batch_size = 2;
  InteractionReader small(*data, options);
  EXPECT_EQ(small.Open().code(), StatusCode::kInvalidArgument);

  // Eval: every row of u0's group has the six latest... cut to 3: i3 i4 i5.
  options.mode = Mode::kEval;
  options.batch_size = 1000;
  InteractionReader eval(*data, options);
  ASSERT_TRUE(eval.Open().ok());
  ASSERT_TRUE(*eval.Next(&batch));
  for (int64_t b = 0; b < batch.size; ++b) {
    if (batch.fields[0].keys[b] != UserKey("u0")) continue;
    const SparseField& history = batch.fields[2];
    EXPECT_EQ(
        std::vector<Key>(history.keys.begin() + history.offsets[b], history.keys.begin() + history.offsets[b + 1]),
        std::vector<Key>(item_of_user0 + 3, item_of_user0 + 6));
  }
}

TEST(InteractionDataTest, HoldoutValidationKeepsTheSecondLatestOutOfTrainingButInTheHistory) {
  TempDir dir;
  std::string text = Sequences({5, 2, 3});
  for (int i = 0; i < 30; ++i) text += Token("filler", i) + Token(" f", i) + "\n";
  InteractionDataOptions data_options;
  data_options.holdout_validation = true;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("seq.txt", text), data_options);
  ASSERT_TRUE(data.ok()) << data.status();
  const auto& users = (*data)->users();
  // u0: i0..i2 train targets, i3 validation, i4 test; u1 (2 items): not
  // evaluated, both trained on; u2 (3): i20 train, i21 validation, i22 test.
  EXPECT_EQ((*data)->item_keys()[users[0].test_item], ItemKey("i4"));
  EXPECT_TRUE(users[0].has_validation);
  EXPECT_EQ(users[1].test_item, -1);
  EXPECT_FALSE(users[1].has_validation);
  EXPECT_EQ((*data)->item_keys()[users[2].test_item], ItemKey("i22"));
  InteractionReaderOptions options;
  options.neg_per_pos = 0;
  options.max_seq_len = 10;
  InteractionReader reader(*data, options);
  ASSERT_TRUE(reader.Open().ok());
  std::set<Key> targets;
  for (const Sample& s : ReadPass(&reader, nullptr, /*fields=*/3)) targets.insert(s.item);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(targets.erase(ItemKey(Token("f", i))), 1u);
  EXPECT_EQ(targets, (std::set<Key>{ItemKey("i0"), ItemKey("i1"), ItemKey("i2"), ItemKey("i10"), ItemKey("i11"),
                                    ItemKey("i20")}));
  options.mode = Mode::kEval;
  options.batch_size = 1000;
  InteractionReader eval(*data, options);
  ASSERT_TRUE(eval.Open().ok());
  Batch batch;
  ASSERT_TRUE(*eval.Next(&batch));
  ASSERT_EQ(batch.labels[0], 1.f);
  EXPECT_EQ(batch.fields[1].keys[0], ItemKey("i4"));
  const SparseField& history = batch.fields[2];
  EXPECT_EQ(std::vector<Key>(history.keys.begin(), history.keys.begin() + history.offsets[1]),
            (std::vector<Key>{ItemKey("i0"), ItemKey("i1"), ItemKey("i2"), ItemKey("i3")}));
}

TEST(InteractionDataTest, FullRankingAndTheMostPopularBaseline) {
  TempDir dir;
  // Items p0 (rated by all 6 users), p1 (by 3), p2 (by 1); each user's test
  // item is its own t<u>, which no one else rated.
  std::ostringstream out;
  for (int u = 0; u < 6; ++u) {
    out << Token("u", u) << " p0\n";
    if (u < 3) out << Token("u", u) << " p1\n";
    if (u == 0) out << Token("u", u) << " p2\n";
    out << Token("u", u) << " " << Token("t", u) << "\n";
  }
  InteractionDataOptions data_options;
  data_options.eval_negatives = -1;
  StatusOr<std::shared_ptr<const InteractionData>> data = Load(dir.Write("pop.txt", out.str()), data_options);
  ASSERT_TRUE(data.ok()) << data.status();
  const int64_t items = static_cast<int64_t>((*data)->item_keys().size());
  ASSERT_EQ(items, 3 + 6);
  for (const auto& user : (*data)->users()) {
    EXPECT_EQ(static_cast<int64_t>(user.eval_negatives.size()), items - static_cast<int64_t>(user.rated.size()));
  }
  EXPECT_EQ((*data)->train_counts()[0], 6);
  // Every test item has count 0 and ties with the other users' test items
  // (count 0) and any unrated p1/p2: the baseline never ranks it first.
  const RankingMetrics top1 = MostPopularRanking(**data, 1);
  EXPECT_EQ(top1.users, 6);
  EXPECT_EQ(top1.hit_rate, 0.0);
  // Users 3..5 have p1 and p2 unrated (counts 3 and 1, above 0) plus 5 other
  // test items tied at 0: rank 7. Users 0..2 have fewer above it.
  const RankingMetrics top8 = MostPopularRanking(**data, 8);
  EXPECT_EQ(top8.hit_rate, 1.0);
  EXPECT_LT(MostPopularRanking(**data, 7).hit_rate, 1.0);
}

}  // namespace
}  // namespace ember::data
