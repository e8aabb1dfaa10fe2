// MakeTextReader (data/text_reader.h): each format is the reader it names,
// built with every option as given (the batches and the errors equal those
// of the reader built directly), and an unknown format is refused.
#include "data/text_reader.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "data/criteo_reader.h"
#include "data/schema_reader.h"
#include "tests/data/test_util.h"

namespace ember::data {
namespace {

using testing::TempDir;

// One pass: every batch's labels and keys, then the status that ended it.
struct Pass {
  std::vector<std::vector<float>> labels;
  std::vector<std::vector<Key>> keys;  // all fields' keys, batch by batch
  Status end;
};

Pass ReadPass(Reader* reader) {
  Pass pass;
  pass.end = reader->Open();
  Batch batch;
  while (pass.end.ok()) {
    StatusOr<bool> more = reader->Next(&batch);
    if (!more.ok()) {
      pass.end = more.status();
      break;
    }
    if (!*more) break;
    pass.labels.push_back(batch.labels);
    std::vector<Key> keys;
    for (const SparseField& field : batch.fields) keys.insert(keys.end(), field.keys.begin(), field.keys.end());
    pass.keys.push_back(keys);
  }
  return pass;
}

void ExpectSamePass(const Pass& made, const Pass& direct) {
  EXPECT_EQ(made.labels, direct.labels);
  EXPECT_EQ(made.keys, direct.keys);
  EXPECT_EQ(made.end, direct.end);
  EXPECT_FALSE(direct.labels.empty());
}

TEST(TextReaderTest, CriteoIsACriteoReaderWithEveryOption) {
  TempDir dir;
  std::string tsv;
  for (int i = 0; i < 40; ++i) {
    tsv += std::to_string(i % 2);
    for (int d = 0; d < 13; ++d) tsv.append("\t").append(std::to_string(i + d));
    for (int c = 0; c < 26; ++c) tsv.append("\t").append(std::to_string(100 + (i * 7 + c) % 13));
    tsv += "\n";
    if (i == 30) tsv += "not a record\n";  // past max_bad_lines = 0: the pass fails here
  }
  const std::string file = dir.Write("train.tsv", tsv);
  TextReaderOptions options;
  options.format = "criteo";
  options.files = {file};
  options.batch_size = 3;
  options.max_bad_lines = 0;
  options.part = 1;
  options.num_parts = 2;
  StatusOr<std::unique_ptr<Reader>> made = MakeTextReader(options);
  ASSERT_TRUE(made.ok()) << made.status();
  CriteoReader direct({.files = {file}, .batch_size = 3, .max_bad_lines = 0, .part = 1, .num_parts = 2});
  const Pass direct_pass = ReadPass(&direct);
  EXPECT_EQ(direct_pass.end.code(), StatusCode::kInvalidArgument) << direct_pass.end;
  ExpectSamePass(ReadPass(made->get()), direct_pass);
}

TEST(TextReaderTest, SchemaIsASchemaReaderWithEveryOption) {
  TempDir dir;
  std::string csv = "label;user;item\n";
  for (int i = 0; i < 30; ++i) {
    csv.append(std::to_string(i % 2)).append(";u").append(std::to_string(i % 5));
    csv.append(";i").append(std::to_string(i)).append("\n");
  }
  const std::string file = dir.Write("train.csv", csv);
  StatusOr<Schema> schema = ParseSchema("label,cat,cat");
  ASSERT_TRUE(schema.ok()) << schema.status();
  TextReaderOptions options;
  options.format = "schema";
  options.files = {file};
  options.schema = *schema;
  options.delimiter = ';';
  options.header = true;
  options.batch_size = 4;
  options.max_bad_lines = 0;  // a header read as a record would fail the pass
  options.part = 0;
  options.num_parts = 2;
  StatusOr<std::unique_ptr<Reader>> made = MakeTextReader(options);
  ASSERT_TRUE(made.ok()) << made.status();
  SchemaReaderOptions direct_options;
  direct_options.files = {file};
  direct_options.schema = *schema;
  direct_options.delimiter = ';';
  direct_options.header = true;
  direct_options.batch_size = 4;
  direct_options.max_bad_lines = 0;
  direct_options.part = 0;
  direct_options.num_parts = 2;
  SchemaReader direct(direct_options);
  const Pass direct_pass = ReadPass(&direct);
  EXPECT_TRUE(direct_pass.end.ok()) << direct_pass.end;
  ExpectSamePass(ReadPass(made->get()), direct_pass);
}

TEST(TextReaderTest, AnUnknownFormatIsRefusedNamingIt) {
  TextReaderOptions options;
  options.format = "interactions";
  options.files = {"x.txt"};
  StatusOr<std::unique_ptr<Reader>> made = MakeTextReader(options);
  EXPECT_EQ(made.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(made.status().message().find("'interactions'"), std::string::npos) << made.status();
}

}  // namespace
}  // namespace ember::data
