// data/schema_reader.h: delimited text files read through a schema: every
// column type decoded exactly, headers, parts, bad lines, positions.
#include "data/schema_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "common/hash.h"
#include "data/criteo_reader.h"
#include "tests/data/test_util.h"

namespace ember::data {
namespace {

using testing::TempDir;
using testing::WarningSink;

// A record as a comparable value.
struct Record {
  float label = 0;
  float weight = 1;
  std::vector<float> dense;
  std::vector<std::vector<Key>> keys;  // per field
  auto operator<=>(const Record&) const = default;
};

std::vector<Record> ToRecords(const Batch& batch) {
  std::vector<Record> records;
  EXPECT_TRUE(batch.weights.empty() || static_cast<int64_t>(batch.weights.size()) == batch.size);
  EXPECT_EQ(static_cast<int64_t>(batch.labels.size()), batch.size);
  EXPECT_EQ(static_cast<int64_t>(batch.dense.size()), batch.size * batch.num_dense);
  for (int64_t b = 0; b < batch.size; ++b) {
    Record r;
    r.label = batch.labels[b];
    r.weight = batch.weights.empty() ? 1.f : batch.weights[b];
    r.dense.assign(batch.DenseRow(b), batch.DenseRow(b) + batch.num_dense);
    for (const SparseField& field : batch.fields) {
      EXPECT_EQ(field.offsets.size(), static_cast<size_t>(batch.size + 1));
      r.keys.emplace_back(field.keys.begin() + field.offsets[b], field.keys.begin() + field.offsets[b + 1]);
    }
    records.push_back(std::move(r));
  }
  return records;
}

std::vector<Record> ReadAll(SchemaReader* reader) {
  std::vector<Record> records;
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    EXPECT_LE(batch.size, reader->options().batch_size);
    for (Record& r : ToRecords(batch)) records.push_back(std::move(r));
  }
  return records;
}

SchemaReaderOptions Options(std::vector<std::string> files, const std::string& spec) {
  StatusOr<Schema> schema = ParseSchema(spec);
  EXPECT_TRUE(schema.ok()) << schema.status();
  SchemaReaderOptions options;
  options.files = std::move(files);
  options.schema = *schema;
  return options;
}

float Log1p(double x) { return static_cast<float>(std::log1p(x)); }

TEST(SchemaReaderTest, DecodesEveryColumnTypeExactly) {
  TempDir dir;
  // label, weight, dense, logdense, cat, multi:|, skip, cat
  const std::string file = dir.Write("a.csv",
                                     "1,0.5,2.25,3,apple,x|y|x,whatever,Z\n"
                                     "0,2, -1.5 ,-4,,,,\r\n"
                                     "1.0,0,,0.5,7,|x||y|,\"q\",z\n"
                                     "0.0,1e1,1e-3,,banana,single,,z");  // no '\n' at the end
  SchemaReaderOptions options = Options({file}, "label,weight,dense,logdense,cat,multi:|,skip,cat");
  options.batch_size = 3;
  SchemaReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  ASSERT_TRUE(*reader.Next(&batch));
  EXPECT_EQ(batch.size, 3);
  EXPECT_EQ(batch.num_dense, 2);
  EXPECT_EQ(batch.fields.size(), 3u);
  EXPECT_EQ(batch.weights.size(), 3u);
  std::vector<Record> records = ToRecords(batch);
  ASSERT_TRUE(*reader.Next(&batch));
  for (Record& r : ToRecords(batch)) records.push_back(std::move(r));
  EXPECT_FALSE(*reader.Next(&batch));
  EXPECT_EQ(reader.bad_lines(), 0);
  EXPECT_EQ(reader.records_read(), 4);

  auto k = [](int field, const char* token) { return HashFieldToken(field, token); };
  const std::vector<Record> want = {
      {1.f, 0.5f, {2.25f, Log1p(3)}, {{k(0, "apple")}, {k(1, "x"), k(1, "y"), k(1, "x")}, {k(2, "Z")}}},
      {0.f, 2.f, {-1.5f, 0.f}, {{k(0, "")}, {}, {k(2, "")}}},
      {1.f, 0.f, {0.f, Log1p(0.5)}, {{k(0, "7")}, {k(1, "x"), k(1, "y")}, {k(2, "z")}}},
      {0.f, 10.f, {1e-3f, 0.f}, {{k(0, "banana")}, {k(1, "single")}, {k(2, "z")}}},
  };
  ASSERT_EQ(records.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(records[i], want[i]) << "record " << i;
  // The token is hashed as text: "7" is not the hex number 7, and fields differ.
  EXPECT_NE(k(0, "7"), k(1, "7"));
}

TEST(SchemaReaderTest, NoWeightColumnLeavesWeightsEmptyAndTabDelimiterWorks) {
  TempDir dir;
  const std::string file = dir.Write("a.tsv", "1\t1,2\ta b\t5\n0\t\tc\t-5\n");
  SchemaReaderOptions options = Options({file}, "label,multi:comma,cat,dense");
  options.delimiter = *ParseDelimiter("tab");
  SchemaReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  batch.weights = {7.f};  // cleared by Next
  ASSERT_TRUE(*reader.Next(&batch));
  EXPECT_TRUE(batch.weights.empty());
  ASSERT_EQ(batch.size, 2);
  EXPECT_EQ(batch.dense, (std::vector<float>{5.f, -5.f}));
  EXPECT_EQ(batch.fields[0].keys, (std::vector<Key>{HashFieldToken(0, "1"), HashFieldToken(0, "2")}));
  EXPECT_EQ(batch.fields[0].offsets, (std::vector<int32_t>{0, 2, 2}));
  EXPECT_EQ(batch.fields[1].keys, (std::vector<Key>{HashFieldToken(1, "a b"), HashFieldToken(1, "c")}));
  EXPECT_EQ(reader.bad_lines(), 0);
  // With the default ',' delimiter every line has one field: all malformed.
  SchemaReaderOptions comma = Options({file}, "label,multi:|,cat,dense");
  SchemaReader wrong(comma);
  ASSERT_TRUE(wrong.Open().ok());
  EXPECT_TRUE(ReadAll(&wrong).empty());
  EXPECT_EQ(wrong.bad_lines(), 2);
}

TEST(SchemaReaderTest, CriteoSchemaReadsCriteoTsvIntoTheSameRecords) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 300; ++i) {
    text += i % 3 == 0 ? "1" : "0";
    for (int j = 0; j < 13; ++j) {
      text += '\t';
      if ((i + j) % 7 != 0) text += std::to_string((i * 37 + j * 1001) % 100000 - 50);
    }
    for (int c = 0; c < 26; ++c) {
      text += '\t';
      char token[17];
      std::snprintf(token, sizeof(token), "%08x", static_cast<unsigned>(Mix64(i * 26 + c) & 0xffffffffu));
      if ((i + c) % 5 != 0) text += token;
    }
    text += '\n';
  }
  const std::string file = dir.Write("criteo.tsv", text);
  CriteoReader criteo({.files = {file}, .batch_size = 64});
  SchemaReaderOptions options = Options({file}, "label,logdense*13,cat*26");
  options.delimiter = '\t';
  options.batch_size = 64;
  SchemaReader schema(options);
  ASSERT_TRUE(criteo.Open().ok());
  ASSERT_TRUE(schema.Open().ok());
  Batch want, got;
  int64_t records = 0;
  while (true) {
    StatusOr<bool> more_want = criteo.Next(&want);
    StatusOr<bool> more_got = schema.Next(&got);
    ASSERT_TRUE(more_want.ok() && more_got.ok());
    ASSERT_EQ(*more_want, *more_got);
    if (!*more_want) break;
    ASSERT_EQ(got.size, want.size);
    EXPECT_EQ(got.labels, want.labels);
    EXPECT_EQ(got.dense, want.dense);
    ASSERT_EQ(got.fields.size(), want.fields.size());
    for (size_t f = 0; f < want.fields.size(); ++f) {
      EXPECT_EQ(got.fields[f].keys, want.fields[f].keys) << f;
      EXPECT_EQ(got.fields[f].offsets, want.fields[f].offsets) << f;
    }
    EXPECT_EQ(schema.position(), criteo.position());
    records += got.size;
  }
  EXPECT_EQ(records, 300);
  EXPECT_EQ(schema.bad_lines(), 0);
}

// n rows; row i has dense value i, so records are told apart.
std::string Rows(int first, int n, bool header) {
  std::string text = header ? "click,id,tags,w\n" : "";
  for (int i = first; i < first + n; ++i) {
    text += std::to_string(i % 2) + "," + std::to_string(i) + ",t" + std::to_string(i % 5) + "|u," +
            std::to_string(1 + i % 3) + "\n";
  }
  return text;
}

TEST(SchemaReaderTest, HeaderSkippedOncePerFileAndPartsCoverEveryLineOnce) {
  TempDir dir;
  const std::vector<std::string> files = {dir.Write("a.csv", Rows(0, 100, true)),
                                          dir.Write("b.csv", Rows(100, 3, true)),
                                          dir.Write("header_only.csv", "click,id,tags,w\n"), dir.Write("empty.csv", ""),
                                          dir.Write("c.csv", Rows(103, 57, true))};
  for (int num_parts = 1; num_parts <= 4; ++num_parts) {
    std::map<int, int> seen;  // row -> times read
    int64_t bad = 0;
    for (int part = 0; part < num_parts; ++part) {
      SchemaReaderOptions options = Options(files, "label,dense,multi:|,weight");
      options.header = true;
      options.batch_size = 7;
      options.part = part;
      options.num_parts = num_parts;
      SchemaReader reader(options);
      ASSERT_TRUE(reader.Open().ok());
      for (const Record& r : ReadAll(&reader)) {
        const int row = static_cast<int>(r.dense[0]);
        ++seen[row];
        EXPECT_EQ(r.label, static_cast<float>(row % 2));
        EXPECT_EQ(r.weight, static_cast<float>(1 + row % 3));
        std::string tag = "t";
        tag += std::to_string(row % 5);
        EXPECT_EQ(r.keys[0], (std::vector<Key>{HashFieldToken(0, tag), HashFieldToken(0, "u")}));
      }
      bad += reader.bad_lines();
    }
    EXPECT_EQ(bad, 0) << num_parts << " parts";
    ASSERT_EQ(seen.size(), 160u) << num_parts << " parts";
    for (const auto& [row, times] : seen) EXPECT_EQ(times, 1) << "row " << row << ", " << num_parts << " parts";
  }
  // Without header = true, each header is a malformed line (label "click").
  SchemaReaderOptions options = Options(files, "label,dense,multi:|,weight");
  SchemaReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  EXPECT_EQ(ReadAll(&reader).size(), 160u);
  EXPECT_EQ(reader.bad_lines(), 4);
}

// Avazu's train.csv has a header, its dev.csv and test.csv none: with
// header = true each file's first line is judged on its own, and no record
// is dropped for being first.
TEST(SchemaReaderTest, HeaderIsDetectedPerFileAndAFirstRecordIsKept) {
  TempDir dir;
  const std::vector<std::string> files = {dir.Write("with_header.csv", Rows(0, 10, true)),
                                          dir.Write("without_header.csv", Rows(10, 5, false)),
                                          dir.Write("crlf_header.csv", "click,id,tags,w\r\n" + Rows(15, 2, false))};
  for (int num_parts : {1, 2}) {
    std::map<int, int> seen;
    int64_t bad = 0;
    for (int part = 0; part < num_parts; ++part) {
      SchemaReaderOptions options = Options(files, "label,dense,multi:|,weight");
      options.header = true;
      options.part = part;
      options.num_parts = num_parts;
      SchemaReader reader(options);
      ASSERT_TRUE(reader.Open().ok());
      for (const Record& r : ReadAll(&reader)) ++seen[static_cast<int>(r.dense[0])];
      bad += reader.bad_lines();
    }
    EXPECT_EQ(bad, 0) << num_parts << " parts";
    ASSERT_EQ(seen.size(), 17u) << num_parts << " parts";
    EXPECT_EQ(seen.count(10), 1u) << "the first record of the file without a header";
  }
}

// A first line that is neither a header of the schema's columns nor a
// record (another field count) ends the read naming file:1, never a row
// silently dropped.
TEST(SchemaReaderTest, AHeaderThatDoesNotMatchTheSchemaIsAnErrorNamingTheFile) {
  TempDir dir;
  const std::string file = dir.Write("other_columns.csv", "id,click,hour,site\n" + Rows(0, 3, false));
  SchemaReaderOptions options = Options({file}, "label,dense,multi:|,weight,cat");
  options.header = true;
  SchemaReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  StatusOr<bool> more = reader.Next(&batch);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(more.status().message().find(file + ":1: the first line has 4 fields where the schema has 5"),
            std::string::npos)
      << more.status();
  // A first line of the right count whose label is a number is a record,
  // malformed or not: counted as any other line.
  const std::string bad_first = dir.Write("bad_first.csv", "1,x,t|u,1\n" + Rows(0, 2, false));
  SchemaReaderOptions counted = Options({bad_first}, "label,dense,multi:|,weight");
  counted.header = true;
  SchemaReader second(counted);
  ASSERT_TRUE(second.Open().ok());
  EXPECT_EQ(ReadAll(&second).size(), 2u);
  EXPECT_EQ(second.bad_lines(), 1);
}

TEST(SchemaReaderTest, BadLinesAreCountedAndLoggedWithWholeFileLineNumbers) {
  TempDir dir;
  std::string text = "label,w,x,c\n";                   // line 1: header
  text += "1,1,2,a\n";                                  // 2
  text += "1,1,2\n";                                    // 3: too few fields
  text += "1,1,2,a,b\n";                                // 4: too many
  text += "2,1,2,a\n";                                  // 5: label not 0/1
  text += "yes,1,2,a\n";                                // 6: label not a number
  text += "0,-1,2,a\n";                                 // 7: negative weight
  text += "0,,2,a\n";                                   // 8: empty weight
  text += "0,1,two,a\n";                                // 9: dense not a number
  text += "0,1,nan,a\n";                                // 10: not finite
  text += "0,1," + std::string(1100000, '7') + ",a\n";  // 11: over 1 MiB
  text += "0,0.5,3,b\n";                                // 12
  const std::string file = dir.Write("bad.csv", text);
  for (int num_parts : {1, 2}) {
    WarningSink sink;
    std::vector<Record> records;
    int64_t bad = 0;
    for (int part = 0; part < num_parts; ++part) {
      SchemaReaderOptions options = Options({file}, "label,weight,dense,cat");
      options.header = true;
      options.part = part;
      options.num_parts = num_parts;
      SchemaReader reader(options);
      ASSERT_TRUE(reader.Open().ok());
      for (Record& r : ReadAll(&reader)) records.push_back(std::move(r));
      bad += reader.bad_lines();
    }
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].weight, 0.5f);
    EXPECT_EQ(bad, 9);
    const std::vector<std::pair<int, std::string>> want = {
        {3, "has 3 fields, the schema wants 4"},
        {4, "has 5 fields, the schema wants 4"},
        {5, "column 1 (label) is not 0 or 1: '2'"},
        {6, "column 1 (label) is not 0 or 1: 'yes'"},
        {7, "column 2 (weight) is not a finite number >= 0: '-1'"},
        {8, "column 2 (weight) is not a finite number >= 0: ''"},
        {9, "column 3 (dense) is not a finite number: 'two'"},
        {10, "column 3 (dense) is not a finite number: 'nan'"},
        {11, "line longer than 1048576 bytes"},
    };
    const std::vector<std::string> warnings = sink.messages();
    ASSERT_EQ(warnings.size(), want.size()) << num_parts << " parts";
    for (size_t i = 0; i < want.size(); ++i) {
      const std::string where = file + ":" + std::to_string(want[i].first) + ": " + want[i].second;
      EXPECT_NE(warnings[i].find(where), std::string::npos) << warnings[i] << "; want " << where;
    }
  }
  // Past max_bad_lines: InvalidArgument naming the last file:line.
  SchemaReaderOptions options = Options({file}, "label,weight,dense,cat");
  options.header = true;
  options.max_bad_lines = 2;
  SchemaReader reader(options);
  ASSERT_TRUE(reader.Open().ok());
  Batch batch;
  StatusOr<bool> more = reader.Next(&batch);
  ASSERT_FALSE(more.ok());
  EXPECT_EQ(more.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(more.status().message().find(file + ":5: column 1 (label)"), std::string::npos) << more.status();
}

TEST(SchemaReaderTest, OpenRefusesBadSchemasAndDelimiters) {
  TempDir dir;
  const std::string file = dir.Write("a.csv", "1,a\n");
  SchemaReaderOptions clash = Options({file}, "label,multi:comma");
  EXPECT_EQ(SchemaReader(clash).Open().code(), StatusCode::kInvalidArgument);
  clash.delimiter = '\t';
  EXPECT_TRUE(SchemaReader(clash).Open().ok());
  SchemaReaderOptions no_label;
  no_label.files = {file};
  no_label.schema.columns = {{ColumnType::kCategorical, 0}};
  EXPECT_EQ(SchemaReader(no_label).Open().code(), StatusCode::kInvalidArgument);
  SchemaReaderOptions newline = Options({file}, "label,cat");
  newline.delimiter = '\n';
  EXPECT_EQ(SchemaReader(newline).Open().code(), StatusCode::kInvalidArgument);
  SchemaReaderOptions missing = Options({dir.path() + "/nope.csv"}, "label,cat");
  EXPECT_EQ(SchemaReader(missing).Open().code(), StatusCode::kNotFound);
}

// One pass: its batches and position() after each.
struct Pass {
  std::vector<std::vector<Record>> batches;
  std::vector<ReaderPosition> positions;  // positions[k]: after k batches
  std::vector<std::string> warnings;
  ReaderPosition end;
};

Pass ReadPass(SchemaReader* reader) {
  WarningSink sink;
  Pass pass;
  pass.positions.push_back(reader->position());
  Batch batch;
  while (true) {
    StatusOr<bool> more = reader->Next(&batch);
    EXPECT_TRUE(more.ok()) << more.status();
    if (!more.ok() || !*more) break;
    pass.batches.push_back(ToRecords(batch));
    pass.positions.push_back(reader->position());
  }
  pass.end = reader->position();
  pass.warnings = sink.messages();
  return pass;
}

TEST(SchemaReaderTest, SeekFromEveryBatchBoundaryGivesExactlyTheRemainingBatches) {
  TempDir dir;
  std::string with_bad = Rows(0, 40, true);
  with_bad += "1,x,a,1\n" + Rows(40, 20, false) + "0,1,a,-3\n" + Rows(60, 5, false);
  const std::vector<std::string> files = {dir.Write("a.csv", with_bad), dir.Write("b.csv", Rows(65, 30, true))};
  for (int num_parts : {1, 2, 3}) {
    for (int part = 0; part < num_parts; ++part) {
      for (int batch_size : {1, 8}) {
        SCOPED_TRACE("part " + std::to_string(part) + " of " + std::to_string(num_parts) + ", batch_size " +
                     std::to_string(batch_size));
        SchemaReaderOptions options = Options(files, "label,dense,multi:|,weight");
        options.header = true;
        options.batch_size = batch_size;
        options.part = part;
        options.num_parts = num_parts;
        SchemaReader reader(options);
        ASSERT_TRUE(reader.Open().ok());
        const Pass whole = ReadPass(&reader);
        ASSERT_GT(whole.batches.size(), 2u);
        EXPECT_EQ(whole.end.file_index, 2);
        for (size_t k = 0; k < whole.positions.size(); ++k) {
          SchemaReader resumed(options);
          ASSERT_TRUE(resumed.Open().ok());
          ASSERT_TRUE(resumed.Seek(whole.positions[k]).ok()) << "batch " << k;
          const Pass rest = ReadPass(&resumed);
          ASSERT_EQ(rest.batches.size(), whole.batches.size() - k) << "from batch " << k;
          for (size_t j = 0; j < rest.batches.size(); ++j) {
            EXPECT_EQ(rest.batches[j], whole.batches[k + j]) << "batch " << k + j << " resumed from " << k;
          }
          EXPECT_EQ(rest.end, whole.end) << "from batch " << k;
          const std::vector<std::string> want(whole.warnings.begin() + whole.positions[k].bad_lines,
                                              whole.warnings.end());
          EXPECT_EQ(rest.warnings, want) << "from batch " << k;
        }
        // Rewind reads the same pass again.
        ASSERT_TRUE(reader.Rewind().ok());
        EXPECT_EQ(ReadPass(&reader).batches, whole.batches);
      }
    }
  }
  // The two bad lines are counted once over the parts.
  int64_t bad = 0;
  for (int part = 0; part < 3; ++part) {
    SchemaReaderOptions options = Options(files, "label,dense,multi:|,weight");
    options.header = true;
    options.part = part;
    options.num_parts = 3;
    SchemaReader reader(options);
    ASSERT_TRUE(reader.Open().ok());
    ReadAll(&reader);
    bad += reader.bad_lines();
  }
  EXPECT_EQ(bad, 2);
}

}  // namespace
}  // namespace ember::data
