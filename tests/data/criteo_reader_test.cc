#include "data/criteo_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
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
  const std::vector<float> want_dense = {0.0f,
                                         static_cast<float>(std::log(2.0)),
                                         0.0f,
                                         0.0f,
                                         static_cast<float>(std::log(1001.0)),
                                         static_cast<float>(std::log(8.0)),
                                         0.0f,
                                         static_cast<float>(std::log(3.0)),
                                         static_cast<float>(std::log(4.0)),
                                         static_cast<float>(std::log(5.0)),
                                         static_cast<float>(std::log(6.0)),
                                         static_cast<float>(std::log(7.0)),
                                         0.0f};
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
  add_bad({""}, "has 1 tab-separated fields");  // an empty line
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
  EXPECT_EQ(CriteoReader({.files = {missing}, .part = 2, .num_parts = 2}).Open().code(), StatusCode::kInvalidArgument);
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

// ---- Positions: position() and Seek(), for checkpoints and resume. ----

// A valid line whose length does not depend on `i`, so that part
// boundaries fall at known lines.
std::string FixedLine(int i) {
  std::vector<std::string> fields = {i % 2 == 0 ? "1" : "0"};
  for (int j = 0; j < kDense; ++j) fields.push_back(std::to_string((i + j) % 10));
  for (int c = 0; c < kCats; ++c) {
    char token[17];
    std::snprintf(token, sizeof(token), "%08x", static_cast<unsigned>(Mix64(i * 31 + c) & 0xffffffffu));
    fields.push_back(token);
  }
  return JoinFields(fields);
}

// Valid lines of varied lengths with malformed ones mixed in: a bad first
// line, runs of two, and single ones.
std::string MixedFile(int first, int count) {
  std::string contents;
  for (int i = first; i < first + count; ++i) {
    if (i % 11 == 0 || i % 17 == 3 || i % 17 == 4) {
      contents += (i % 2 == 0 ? std::string("garbage") : JoinFields({"1", "2"})) + "\n";
      continue;
    }
    std::vector<std::string> fields = ValidFields(i);
    if (i % 4 == 0) {
      for (int c = 0; c < kCats; ++c) fields[1 + kDense + c] = "";
    }
    contents += JoinFields(fields) + "\n";
  }
  return contents;
}

// Files with bad lines, an empty file, a file of only bad lines and a last
// line without '\n'.
std::vector<std::string> WriteMixedFiles(const TempDir& dir) {
  std::string no_newline = MixedFile(300, 30);
  no_newline.pop_back();
  return {dir.Write("a.tsv", MixedFile(0, 150)), dir.Write("b.tsv", MixedFile(150, 4)), dir.Write("empty.tsv", ""),
          dir.Write("only_bad.tsv", "x\ny\n"), dir.Write("c.tsv", no_newline)};
}

// One pass from where the reader stands: its batches, position() before the
// first and after each, the warnings logged and the final counters.
struct Pass {
  std::vector<std::vector<Record>> batches;
  std::vector<ReaderPosition> positions;  // positions[k]: after k batches
  ReaderPosition end;                     // after Next() returned false
  std::vector<std::string> warnings;
  int64_t records = 0;
  int64_t bad_lines = 0;
};

Pass ReadPass(CriteoReader* reader) {
  WarningSink sink;
  Pass pass;
  pass.positions.push_back(reader->position());
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    pass.batches.push_back(ToRecords(batch));
    const ReaderPosition position = reader->position();
    EXPECT_EQ(position.records, reader->records_read());
    EXPECT_EQ(position.bad_lines, reader->bad_lines());
    pass.positions.push_back(position);
  }
  pass.end = reader->position();
  pass.warnings = sink.messages();
  pass.records = reader->records_read();
  pass.bad_lines = reader->bad_lines();
  return pass;
}

TEST(CriteoReaderPositionTest, SeekFromEveryBatchBoundaryContinuesExactlyAsTheUninterruptedReader) {
  TempDir dir;
  const std::vector<std::string> files = WriteMixedFiles(dir);
  for (int num_parts : {1, 3}) {
    for (int part = 0; part < num_parts; ++part) {
      for (int batch_size : {1, 5, 64}) {
        SCOPED_TRACE("part " + std::to_string(part) + " of " + std::to_string(num_parts) + ", batch_size " +
                     std::to_string(batch_size));
        const CriteoReaderOptions options{
            .files = files, .batch_size = batch_size, .part = part, .num_parts = num_parts};
        CriteoReader reader(options);
        ASSERT_TRUE(reader.Open().ok());
        const Pass whole = ReadPass(&reader);
        ASSERT_GT(whole.records, 20);
        ASSERT_GT(whole.bad_lines, 3);
        ASSERT_LT(whole.bad_lines, 100);  // every bad line is logged
        ASSERT_EQ(whole.warnings.size(), static_cast<size_t>(whole.bad_lines));
        EXPECT_EQ(whole.end.file_index, static_cast<int64_t>(files.size()));
        EXPECT_EQ(whole.end.records, whole.records);
        EXPECT_EQ(whole.end.bad_lines, whole.bad_lines);
        if (part == 0) {  // line numbers are known from the start of a file
          for (const ReaderPosition& p : whole.positions) {
            if (p.file_index < static_cast<int64_t>(files.size())) {
              EXPECT_GT(p.line, 0);
            }
          }
        }
        // Resume from every position, the end of the pass included.
        for (size_t k = 0; k < whole.positions.size(); ++k) {
          const ReaderPosition& at = whole.positions[k];
          CriteoReader resumed(options);
          ASSERT_TRUE(resumed.Open().ok());
          const Status seek = resumed.Seek(at);
          ASSERT_TRUE(seek.ok()) << "batch " << k << ": " << seek;
          EXPECT_EQ(resumed.position(), at);
          EXPECT_EQ(resumed.records_read(), at.records);
          EXPECT_EQ(resumed.bad_lines(), at.bad_lines);
          const Pass rest = ReadPass(&resumed);
          ASSERT_EQ(rest.batches.size(), whole.batches.size() - k) << "from batch " << k;
          for (size_t j = 0; j < rest.batches.size(); ++j) {
            ASSERT_EQ(rest.batches[j], whole.batches[k + j]) << "batch " << k + j << " resumed from " << k;
          }
          for (size_t j = 0; j < rest.positions.size(); ++j) {
            EXPECT_EQ(rest.positions[j].file_index, whole.positions[k + j].file_index);
            EXPECT_EQ(rest.positions[j].offset, whole.positions[k + j].offset);
            EXPECT_EQ(rest.positions[j].records, whole.positions[k + j].records);
            EXPECT_EQ(rest.positions[j].bad_lines, whole.positions[k + j].bad_lines);
          }
          EXPECT_EQ(rest.end, whole.end);
          EXPECT_EQ(rest.records, whole.records) << "from batch " << k;
          EXPECT_EQ(rest.bad_lines, whole.bad_lines) << "from batch " << k;
          // The same warnings, with the same file:line, as from that point on.
          const std::vector<std::string> want(whole.warnings.begin() + at.bad_lines, whole.warnings.end());
          EXPECT_EQ(rest.warnings, want) << "from batch " << k;
        }
      }
    }
  }
}

TEST(CriteoReaderPositionTest, PositionAtTheStartAndTheEndOfAPart) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 30; ++i) contents += FixedLine(i) + "\n";
  const std::string file = dir.Write("thirty.tsv", contents);
  CriteoReaderOptions options{.files = {file, file}, .batch_size = 10, .part = 1, .num_parts = 2};
  EXPECT_EQ(CriteoReader(options).position(), ReaderPosition{});  // before Open
  CriteoReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  const int64_t half = static_cast<int64_t>(contents.size()) / 2;
  EXPECT_EQ(reader.position(), (ReaderPosition{.file_index = 0, .offset = half, .line = 0}));

  // 15 records of this part in each copy: batches of 10, 10, 10 (the last
  // one spans both files), then false.
  Batch batch;
  for (int i = 0; i < 3; ++i) {
    StatusOr<bool> more = reader.Next(&batch);
    ASSERT_TRUE(more.ok() && *more) << more.status();
    EXPECT_EQ(batch.size, 10);
  }
  // After the last record of the part, before Next() says so: the end of
  // the last line, past the range end.
  const ReaderPosition last = reader.position();
  EXPECT_EQ(last.file_index, 1);
  EXPECT_EQ(last.offset, static_cast<int64_t>(contents.size()));
  EXPECT_EQ(last.records, 30);
  StatusOr<bool> more = reader.Next(&batch);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  const ReaderPosition end = reader.position();
  EXPECT_EQ(end, (ReaderPosition{.file_index = 2, .offset = 0, .line = 0, .records = 30, .bad_lines = 0}));

  for (const ReaderPosition& at : {last, end}) {
    CriteoReader resumed(options);
    ASSERT_TRUE(resumed.Open().ok());
    ASSERT_TRUE(resumed.Seek(at).ok());
    more = resumed.Next(&batch);
    ASSERT_TRUE(more.ok());
    EXPECT_FALSE(*more);
    EXPECT_EQ(resumed.records_read(), 30);
    EXPECT_EQ(resumed.position(), end);
  }

  // Rewind goes back to the start; so does a Seek to it.
  ASSERT_TRUE(reader.Rewind().ok());
  EXPECT_EQ(reader.position(), (ReaderPosition{.file_index = 0, .offset = half}));
  ASSERT_TRUE(reader.Seek(last).ok());
  ASSERT_TRUE(reader.Seek(ReaderPosition{.file_index = 0, .offset = half}).ok());
  EXPECT_EQ(ReadAll(&reader).size(), 30u);
}

TEST(CriteoReaderPositionTest, SeekRefusesPositionsNotOfThisPart) {
  TempDir dir;
  std::string contents;
  std::vector<int64_t> line_starts;
  for (int i = 0; i < 30; ++i) {
    line_starts.push_back(static_cast<int64_t>(contents.size()));
    contents += FixedLine(i) + "\n";
  }
  const int64_t size = static_cast<int64_t>(contents.size());
  const std::string file = dir.Write("thirty.tsv", contents);
  auto expect_refused = [&](CriteoReader& reader, const ReaderPosition& at, const std::string& words) {
    const ReaderPosition before = reader.position();
    const Status status = reader.Seek(at);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find(words), std::string::npos) << status << "\nwant " << words;
    EXPECT_EQ(reader.position(), before);  // unchanged
  };

  EXPECT_EQ(CriteoReader({.files = {file}}).Seek({}).code(), StatusCode::kFailedPrecondition);

  CriteoReader whole({.files = {file}, .batch_size = 4});
  ASSERT_TRUE(whole.Open().ok());
  expect_refused(whole, {.file_index = 2}, "file_index 2 is not in [0, 1]");
  expect_refused(whole, {.file_index = -1}, "file_index -1");
  expect_refused(whole, {.file_index = 1, .offset = 3}, "end-of-pass position");
  expect_refused(whole, {.offset = line_starts[2] + 5},
                 "byte " + std::to_string(line_starts[2] + 5) + " of " + file + " is not at a line start");
  expect_refused(whole, {.offset = size + 1}, file + " is outside this part's range");
  expect_refused(whole, {.offset = -1}, file);
  expect_refused(whole, {.offset = line_starts[2], .records = -1}, "negative records");
  CriteoReader strict({.files = {file}, .max_bad_lines = 2});
  ASSERT_TRUE(strict.Open().ok());
  expect_refused(strict, {.offset = line_starts[2], .bad_lines = 3}, "max_bad_lines=2");
  ASSERT_TRUE(whole.Seek({.offset = line_starts[2], .line = 3, .records = 2}).ok());
  ASSERT_TRUE(whole.Seek({.offset = size, .records = 30}).ok());  // the end of the file is a line start

  // Part 1 of 3 holds the lines starting in [size / 3, 2 * size / 3).
  CriteoReader middle({.files = {file}, .part = 1, .num_parts = 3});
  ASSERT_TRUE(middle.Open().ok());
  const int64_t range_begin = size / 3, range_end = 2 * size / 3;
  const auto first = std::lower_bound(line_starts.begin(), line_starts.end(), range_begin);
  const auto next_part = std::lower_bound(line_starts.begin(), line_starts.end(), range_end);
  ASSERT_TRUE(first != line_starts.end() && next_part + 1 < line_starts.end());
  expect_refused(middle, {.offset = 0}, "byte 0 of " + file + " is outside this part's range (part 1 of 3");
  expect_refused(middle, {.offset = *(first - 1)}, "is outside this part's range");
  expect_refused(middle, {.offset = *(next_part + 1)}, "is in the next part's range");
  expect_refused(middle, {.offset = size}, "is in the next part's range");
  EXPECT_TRUE(middle.Seek({.offset = *first}).ok());
  EXPECT_TRUE(middle.Seek({.offset = *next_part}).ok());   // just after this part's last line
  EXPECT_TRUE(middle.Seek({.offset = range_begin}).ok());  // the part's start, not a line start

  // A file gone since Open is NotFound.
  std::filesystem::remove(file);
  EXPECT_EQ(whole.Seek({.offset = line_starts[1], .records = 1}).code(), StatusCode::kNotFound);
}

TEST(CriteoReaderPositionTest, BadLineWarningAfterSeekNamesTheFileAndLine) {
  TempDir dir;
  std::string contents;
  for (int i = 0; i < 100; ++i)
    contents +=
        (i == 59 || i == 89 ? std::string("junk") + std::string(FixedLine(i).size() - 4, ' ') : FixedLine(i)) + "\n";
  const std::string file = dir.Write("late_bad.tsv", contents);
  for (int part : {0, 1}) {
    SCOPED_TRACE("part " + std::to_string(part));
    const CriteoReaderOptions options{.files = {file}, .batch_size = 5, .part = part, .num_parts = 2};
    CriteoReader reader(options);
    ASSERT_TRUE(reader.Open().ok());
    Batch batch;
    // Part 0: lines 1-50; part 1: lines 51-100 (the lines are equally long).
    // Part 1 stops past the bad line 60.
    const int batches = part == 0 ? 4 : 3;
    for (int i = 0; i < batches; ++i) ASSERT_TRUE(reader.Next(&batch).ok());
    ReaderPosition at = reader.position();
    if (part == 0) {
      EXPECT_EQ(at.line, 21);
    } else {
      EXPECT_EQ(at.bad_lines, 1);
      EXPECT_EQ(at.line, 67);  // known once the bad line 60 made the reader count
    }
    std::vector<ReaderPosition> starts = {at};
    at.line = 0;  // not known: the resumed reader counts it
    starts.push_back(at);
    for (const ReaderPosition& start : starts) {
      WarningSink sink;
      CriteoReader resumed(options);
      ASSERT_TRUE(resumed.Open().ok());
      ASSERT_TRUE(resumed.Seek(start).ok());
      ReadAll(&resumed);
      if (part == 0) {
        EXPECT_EQ(resumed.bad_lines(), 0);
        EXPECT_TRUE(sink.messages().empty());
        continue;
      }
      EXPECT_EQ(resumed.bad_lines(), 2);
      ASSERT_EQ(sink.messages().size(), 1u);
      EXPECT_NE(sink.messages()[0].find(file + ":90: "), std::string::npos) << sink.messages()[0];
    }
  }
}

}  // namespace
}  // namespace ember::data
