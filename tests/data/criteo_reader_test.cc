#include "data/criteo_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/hash.h"
#include "common/random.h"
#include "tests/data/test_util.h"

namespace ember::data {
namespace {

using testing::TempDir;
using testing::WarningSink;

constexpr int kDense = CriteoReader::kNumDense;
constexpr int kCats = CriteoReader::kNumCategorical;

// A line from its 40 fields.
std::string JoinFields(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line += '\t';
    line += fields[i];
  }
  return line;
}

// The 40 fields of a valid record that differs for every `i` (with empty
// and negative values sprinkled in).
std::vector<std::string> ValidFields(int i) {
  std::vector<std::string> fields;
  fields.push_back(i % 3 == 0 ? "1" : "0");
  for (int j = 0; j < kDense; ++j) {
    const int v = (i * 7 + j * 13) % 50 - 5;
    fields.push_back((i + j) % 11 == 0 ? "" : std::to_string(v));
  }
  for (int c = 0; c < kCats; ++c) {
    char token[17];
    std::snprintf(token, sizeof(token), "%08x", static_cast<unsigned>(Mix64(i * 31 + c) & 0xffffffffu));
    fields.push_back((i + c) % 9 == 0 ? "" : std::string(token));
  }
  return fields;
}
std::string ValidLine(int i) { return JoinFields(ValidFields(i)); }

// A record as a comparable value: label, dense, keys.
struct Record {
  float label;
  std::vector<float> dense;
  std::vector<Key> keys;
  auto operator<=>(const Record&) const = default;
};

std::vector<Record> ToRecords(const Batch& batch) {
  std::vector<Record> records;
  for (int64_t b = 0; b < batch.size; ++b) {
    Record r{batch.labels[b], std::vector<float>(batch.DenseRow(b), batch.DenseRow(b) + kDense), {}};
    for (const SparseField& field : batch.fields) {
      EXPECT_EQ(field.NumKeys(b), 1);
      r.keys.push_back(field.keys[field.offsets[b]]);
    }
    records.push_back(std::move(r));
  }
  return records;
}

// Reads the rest of the pass; fails the test on an error.
std::vector<Record> ReadAll(CriteoReader* reader) {
  std::vector<Record> records;
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_GT(batch.size, 0);
    EXPECT_LE(batch.size, reader->options().batch_size);
    for (Record& r : ToRecords(batch)) records.push_back(std::move(r));
  }
  EXPECT_EQ(batch.size, 0);
  return records;
}

// The record that the reader must make of ValidFields(i).
Record Expected(int i) {
  const std::vector<std::string> fields = ValidFields(i);
  Record r{fields[0] == "1" ? 1.0f : 0.0f, {}, {}};
  for (int j = 0; j < kDense; ++j) {
    const long v = fields[1 + j].empty() ? 0 : std::stol(fields[1 + j]);
    r.dense.push_back(v > 0 ? static_cast<float>(std::log1p(static_cast<double>(v))) : 0.0f);
  }
  for (int c = 0; c < kCats; ++c) r.keys.push_back(HashFieldToken(c, fields[1 + kDense + c]));
  return r;
}

TEST(CriteoReaderTest, ParsesValidLineDenseTransformKeysAndEmptyFields) {
  TempDir dir;
  std::vector<std::string> fields = {"1", "0", "1", "-5", "", "1000", "7", "", "2", "3", "4", "5", "6", "-1"};
  for (int c = 0; c < kCats; ++c) fields.push_back(c == 2 || c == 25 ? "" : (c == 3 ? "ABCdef0123456789" : "68fd1e64"));
  const std::string file = dir.Write("one.tsv", JoinFields(fields) + "\n");
  CriteoReader reader({.files = {file}});
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  StatusOr<bool> more = reader.Next(&batch);
  ASSERT_TRUE(more.ok()) << more.status();
  ASSERT_TRUE(*more);
  ASSERT_EQ(batch.size, 1);
  EXPECT_EQ(batch.num_dense, kDense);
  ASSERT_EQ(batch.fields.size(), static_cast<size_t>(kCats));
  EXPECT_EQ(batch.labels, std::vector<float>{1.0f});
  const std::vector<float> want_dense = {0.0f, static_cast<float>(std::log(2.0)), 0.0f, 0.0f,
                                         static_cast<float>(std::log(1001.0)), static_cast<float>(std::log(8.0)),
                                         0.0f, static_cast<float>(std::log(3.0)), static_cast<float>(std::log(4.0)),
                                         static_cast<float>(std::log(5.0)), static_cast<float>(std::log(6.0)),
                                         static_cast<float>(std::log(7.0)), 0.0f};
  ASSERT_EQ(batch.dense.size(), want_dense.size());
  for (int j = 0; j < kDense; ++j) EXPECT_FLOAT_EQ(batch.dense[j], want_dense[j]) << "I" << j + 1;
  for (int c = 0; c < kCats; ++c) {
    const SparseField& field = batch.fields[c];
    EXPECT_EQ(field.offsets, (std::vector<int32_t>{0, 1})) << "C" << c + 1;
    ASSERT_EQ(field.keys.size(), 1u);
    EXPECT_EQ(field.keys[0], HashFieldToken(c, fields[1 + kDense + c])) << "C" << c + 1;
  }
  // The empty C3 is the "missing" token of its own field.
  EXPECT_EQ(batch.fields[2].keys[0], HashFieldToken(2, ""));
  EXPECT_NE(batch.fields[2].keys[0], batch.fields[25].keys[0]);
  EXPECT_EQ(reader.records_read(), 1);
  EXPECT_EQ(reader.bad_lines(), 0);
  more = reader.Next(&batch);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(batch.size, 0);
}

TEST(CriteoReaderTest, BatchesAreFilledInFileOrder) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 10; ++i) contents += ValidLine(i) + "\n";
  CriteoReader reader({.files = {dir.Write("ten.tsv", contents)}, .batch_size = 4});
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  std::vector<int64_t> sizes;
  std::vector<Record> records;
  while (true) {
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    sizes.push_back(batch.size);
    EXPECT_EQ(batch.fields[0].offsets.size(), static_cast<size_t>(batch.size + 1));
    for (Record& r : ToRecords(batch)) records.push_back(std::move(r));
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{4, 4, 2}));
  ASSERT_EQ(records.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(records[i], Expected(i)) << "record " << i;
}

// Every kind of malformed line is counted, logged with file:line, skipped.
TEST(CriteoReaderTest, SkipsAndLogsEachKindOfMalformedLine) {
  TempDir dir;
  std::vector<std::string> lines;
  std::map<int, std::string> bad_reasons;  // 1-based line -> expected words in the message
  auto add_bad = [&](std::vector<std::string> fields, const std::string& words) {
    lines.push_back(JoinFields(fields));
    bad_reasons[static_cast<int>(lines.size())] = words;
  };
  auto with = [](int i, int index, std::string value) {
    std::vector<std::string> f = ValidFields(i);
    f[index] = std::move(value);
    return f;
  };
  lines.push_back(ValidLine(0));
  {
    std::vector<std::string> f = ValidFields(1);
    f.pop_back();
    add_bad(f, "has 39 tab-separated fields");
  }
  {
    std::vector<std::string> f = ValidFields(2);
    f.push_back("abc");
    add_bad(f, "has 41 tab-separated fields");
  }
  add_bad({""}, "has 1 tab-separated fields");         // an empty line
  add_bad(with(3, 2, "1.5"), "dense field I2 is not an integer: '1.5'");
  add_bad(with(4, 13, "12x"), "dense field I13 is not an integer");
  add_bad(with(5, 1, "abc"), "dense field I1 is not an integer");
  add_bad(with(5, 1, "99999999999999999999999"), "dense field I1 is not an integer");
  add_bad(with(6, 0, "2"), "label is not 0 or 1");
  add_bad(with(7, 14, "68fd1e6g"), "categorical field C1 is not a hex token");
  add_bad(with(8, 39, "0123456789abcdef0"), "categorical field C26 is not a hex token");  // 17 digits
  add_bad(with(9, 20, "a b"), "categorical field C7 is not a hex token");
  lines.push_back(ValidLine(10));
  lines.push_back(ValidLine(11) + "\r");  // CRLF is fine
  lines.push_back(ValidLine(12));         // the last line, without '\n'
  std::string contents;
  for (size_t i = 0; i < lines.size(); ++i) contents += lines[i] + (i + 1 < lines.size() ? "\n" : "");
  const std::string file = dir.Write("bad.tsv", contents);

  WarningSink sink;
  CriteoReader reader({.files = {file}, .batch_size = 3});
  ASSERT_TRUE(reader.Open().ok());
  const std::vector<Record> records = ReadAll(&reader);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], Expected(0));
  EXPECT_EQ(records[1], Expected(10));
  EXPECT_EQ(records[2], Expected(11));
  EXPECT_EQ(records[3], Expected(12));
  EXPECT_EQ(reader.records_read(), 4);
  EXPECT_EQ(reader.bad_lines(), static_cast<int64_t>(bad_reasons.size()));

  const std::vector<std::string> messages = sink.messages();
  ASSERT_EQ(messages.size(), bad_reasons.size());
  size_t m = 0;
  for (const auto& [line, words] : bad_reasons) {
    const std::string where = file + ":" + std::to_string(line) + ": ";
    EXPECT_NE(messages[m].find(where), std::string::npos) << messages[m] << "\nwant " << where;
    EXPECT_NE(messages[m].find(words), std::string::npos) << messages[m] << "\nwant " << words;
    ++m;
  }
}

TEST(CriteoReaderTest, LastLineWithoutTrailingNewlineIsRead) {
  TempDir dir;
  const std::string file = dir.Write("no_newline.tsv", ValidLine(0) + "\n" + ValidLine(1));
  CriteoReader reader({.files = {file}});
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(ReadAll(&reader), (std::vector<Record>{Expected(0), Expected(1)}));
  EXPECT_EQ(reader.bad_lines(), 0);
}

TEST(CriteoReaderTest, EmptyFileHasNoRecordsAndNoBadLines) {
  TempDir dir;
  const std::string empty = dir.Write("empty.tsv", "");
  const std::string one = dir.Write("one.tsv", ValidLine(3) + "\n");
  {
    CriteoReader reader({.files = {empty}});
    ASSERT_TRUE(reader.Open().ok());
    Batch batch;
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
    EXPECT_EQ(batch.size, 0);
    EXPECT_EQ(reader.bad_lines(), 0);
  }
  CriteoReader reader({.files = {empty, one, empty}, .num_parts = 1});
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(ReadAll(&reader), std::vector<Record>{Expected(3)});
  EXPECT_EQ(reader.bad_lines(), 0);
}

TEST(CriteoReaderTest, OverlongLineIsMalformedAndTheNextLineIsRead) {
  TempDir dir;
  const std::string file =
      dir.Write("long.tsv", ValidLine(0) + "\n" + std::string(3 << 20, 'a') + "\n" + ValidLine(1) + "\n");
  WarningSink sink;
  CriteoReader reader({.files = {file}});
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(ReadAll(&reader), (std::vector<Record>{Expected(0), Expected(1)}));
  EXPECT_EQ(reader.bad_lines(), 1);
  ASSERT_EQ(sink.messages().size(), 1u);
  EXPECT_NE(sink.messages()[0].find(file + ":2: line longer than"), std::string::npos) << sink.messages()[0];
}

TEST(CriteoReaderTest, FailsWithInvalidArgumentPastMaxBadLines) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 20; ++i) contents += (i % 5 == 4 ? std::string("garbage") : ValidLine(i)) + "\n";
  const std::string file = dir.Write("four_bad.tsv", contents);  // bad lines 5, 10, 15, 20
  {
    CriteoReader reader({.files = {file}, .batch_size = 100, .max_bad_lines = 4});
    ASSERT_TRUE(reader.Open().ok());
    EXPECT_EQ(ReadAll(&reader).size(), 16u);
    EXPECT_EQ(reader.bad_lines(), 4);
  }
  CriteoReader reader({.files = {file}, .batch_size = 5, .max_bad_lines = 2});
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  for (int i = 0; i < 2; ++i) {  // lines 1-6 (the 5th is bad), then lines 7-12 (the 10th)
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    EXPECT_EQ(batch.size, 5);
  }
  StatusOr<bool> more = reader.Next(&batch);  // the 15th is the third bad line
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(more.status().message().find("max_bad_lines=2"), std::string::npos) << more.status();
  EXPECT_NE(more.status().message().find(file + ":15:"), std::string::npos) << more.status();
  EXPECT_EQ(batch.size, 0);
  // The error sticks until Rewind.
  more = reader.Next(&batch);
  EXPECT_EQ(more.status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(reader.Rewind().ok());
  EXPECT_EQ(reader.bad_lines(), 0);
  more = reader.Next(&batch);
  ASSERT_TRUE(more.ok()) << more.status();
  EXPECT_EQ(batch.size, 5);
  EXPECT_EQ(reader.bad_lines(), 1);
}

TEST(CriteoReaderTest, OpenReportsMissingFilesAndBadOptions) {
  TempDir dir;
  const std::string missing = dir.path() + "/missing.tsv";
  CriteoReader reader({.files = {dir.Write("ok.tsv", ValidLine(0)), missing}});
  Status status = reader.Open();
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_NE(status.message().find(missing), std::string::npos) << status;

  CriteoReader not_opened({.files = {missing}});
  Batch batch;
  EXPECT_EQ(not_opened.Next(&batch).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(not_opened.Rewind().code(), StatusCode::kFailedPrecondition);

  EXPECT_EQ(CriteoReader({}).Open().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CriteoReader({.files = {missing}, .batch_size = 0}).Open().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CriteoReader({.files = {missing}, .part = 2, .num_parts = 2}).Open().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CriteoReader({.files = {dir.path()}}).Open().code(), StatusCode::kInvalidArgument);
}

// Lines of very different lengths, so that part boundaries fall anywhere.
std::string VariedFile(int first, int count, std::vector<Record>* expected) {
  std::string contents;
  for (int i = first; i < first + count; ++i) {
    std::vector<std::string> fields = ValidFields(i);
    if (i % 4 == 0) {
      for (int c = 0; c < kCats; ++c) fields[1 + kDense + c] = "";
    }
    contents += JoinFields(fields) + "\n";
    expected->push_back(Expected(i));
    if (i % 4 == 0) {
      for (int c = 0; c < kCats; ++c) expected->back().keys[c] = HashFieldToken(c, "");
    }
  }
  return contents;
}

TEST(CriteoReaderTest, PartsCoverEveryRecordExactlyOnce) {
  TempDir dir;
  std::vector<Record> expected;
  const std::string a = dir.Write("a.tsv", VariedFile(0, 500, &expected));
  const std::string b = dir.Write("b.tsv", VariedFile(500, 3, &expected));
  std::string tail;
  const std::string c = dir.Write("c.tsv", (tail = VariedFile(503, 40, &expected)).substr(0, tail.size() - 1));
  const std::string d = dir.Write("d.tsv", "");
  std::multiset<Record> want(expected.begin(), expected.end());
  ASSERT_EQ(want.size(), expected.size());
  for (int num_parts : {1, 2, 3, 7, 64}) {
    std::multiset<Record> got;
    for (int part = 0; part < num_parts; ++part) {
      CriteoReader reader({.files = {a, b, c, d}, .batch_size = 17, .part = part, .num_parts = num_parts});
      ASSERT_TRUE(reader.Open().ok());
      const std::vector<Record> records = ReadAll(&reader);
      EXPECT_EQ(reader.bad_lines(), 0);
      if (num_parts <= 3) {
        EXPECT_GT(records.size(), 100u) << "part " << part << " of " << num_parts;
      }
      got.insert(records.begin(), records.end());
    }
    EXPECT_EQ(got.size(), want.size()) << num_parts << " parts";
    EXPECT_TRUE(got == want) << num_parts << " parts";
  }
}

TEST(CriteoReaderTest, PartsCutExactlyAtLineStarts) {
  // With one part per byte, part p holds exactly the line that starts at
  // byte p, if any: a line belongs to the range in which it starts.
  TempDir dir;
  std::vector<Record> expected;
  const std::string contents = VariedFile(0, 3, &expected);
  const std::string file = dir.Write("three.tsv", contents);
  const int num_parts = static_cast<int>(contents.size());
  int line = 0;
  for (int part = 0; part < num_parts; ++part) {
    CriteoReader reader({.files = {file}, .part = part, .num_parts = num_parts});
    ASSERT_TRUE(reader.Open().ok());
    const std::vector<Record> records = ReadAll(&reader);
    if (part == 0 || contents[part - 1] == '\n') {
      ASSERT_EQ(records.size(), 1u) << "part " << part;
      EXPECT_EQ(records[0], expected[line++]);
    } else {
      EXPECT_TRUE(records.empty()) << "part " << part;
    }
  }
  EXPECT_EQ(line, 3);
}

TEST(CriteoReaderTest, BadLineNumbersInALaterPartCountTheWholeFile) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 100; ++i) contents += (i == 89 ? std::string("junk") : ValidLine(i)) + "\n";
  const std::string file = dir.Write("late_bad.tsv", contents);
  WarningSink sink;
  CriteoReader reader({.files = {file}, .part = 1, .num_parts = 2});
  ASSERT_TRUE(reader.Open().ok());
  ReadAll(&reader);
  EXPECT_EQ(reader.bad_lines(), 1);
  ASSERT_EQ(sink.messages().size(), 1u);
  EXPECT_NE(sink.messages()[0].find(file + ":90: "), std::string::npos) << sink.messages()[0];
}

TEST(CriteoReaderTest, RewindReadsTheSameRecordsAgain) {
  TempDir dir;
  std::vector<Record> expected;
  const std::string file = dir.Write("r.tsv", VariedFile(0, 300, &expected));
  for (int part = 0; part < 2; ++part) {
    CriteoReader reader({.files = {file, file}, .batch_size = 64, .part = part, .num_parts = 2});
    ASSERT_TRUE(reader.Open().ok());
    const std::vector<Record> first = ReadAll(&reader);
    EXPECT_EQ(reader.records_read(), static_cast<int64_t>(first.size()));
    ASSERT_TRUE(reader.Rewind().ok());
    EXPECT_EQ(reader.records_read(), 0);
    EXPECT_EQ(ReadAll(&reader), first);
    // Rewind in the middle of a pass, too.
    ASSERT_TRUE(reader.Rewind().ok());
    Batch batch;
    ASSERT_TRUE(reader.Next(&batch).ok());
    ASSERT_TRUE(reader.Rewind().ok());
    EXPECT_EQ(ReadAll(&reader), first);
  }
}

TEST(CriteoReaderTest, ReadsTheCriteoSampleWithoutBadLines) {
  const char* source_dir = std::getenv("EMBER_SOURCE_DIR");
  const std::string dir = std::string(source_dir != nullptr ? source_dir : ".") + "/../shared/data/criteo_head8k";
  if (!std::filesystem::exists(dir + "/train.tsv")) GTEST_SKIP() << "no Criteo sample at " << dir;
  CriteoReader reader({.files = {dir + "/train.tsv"}, .batch_size = 1000});
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  int64_t positives = 0;
  while (true) {
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok()) << more.status();
    if (!*more) break;
    for (float label : batch.labels) positives += label > 0.5f;
    for (float d : batch.dense) ASSERT_TRUE(std::isfinite(d) && d >= 0.0f);
  }
  EXPECT_EQ(reader.records_read(), 7200);
  EXPECT_EQ(reader.bad_lines(), 0);
  EXPECT_GT(positives, 0);
  EXPECT_LT(positives, 7200);
}

}  // namespace
}  // namespace ember::data
