// data/schema.h: parsing --schema specs and delimiters.
#include "data/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ember::data {
namespace {

TEST(SchemaTest, ParsesCriteoWithRepeats) {
  StatusOr<Schema> schema = ParseSchema("label,logdense*13,cat*26");
  ASSERT_TRUE(schema.ok()) << schema.status();
  ASSERT_EQ(schema->columns.size(), 40u);
  EXPECT_EQ(schema->columns[0].type, ColumnType::kLabel);
  for (int i = 1; i <= 13; ++i) EXPECT_EQ(schema->columns[i].type, ColumnType::kLogDense) << i;
  for (int i = 14; i < 40; ++i) EXPECT_EQ(schema->columns[i].type, ColumnType::kCategorical) << i;
  EXPECT_EQ(schema->num_dense(), 13);
  EXPECT_EQ(schema->num_categorical(), 26);
  EXPECT_FALSE(schema->has_weight());
  EXPECT_EQ(FormatSchema(*schema), "label,logdense*13,cat*26");
}

TEST(SchemaTest, ParsesEveryTypeAndSeparator) {
  StatusOr<Schema> schema = ParseSchema(
      " skip , weight,dense,label,logdense*2,cat,multi:|,skip*2,multi:tab,multi:\\t,multi:**2,"
      "multi:comma,multi:space,multi:;*3");
  ASSERT_TRUE(schema.ok()) << schema.status();
  const std::vector<SchemaColumn> want = {
      {ColumnType::kSkip, 0},     {ColumnType::kWeight, 0},   {ColumnType::kDense, 0},       {ColumnType::kLabel, 0},
      {ColumnType::kLogDense, 0}, {ColumnType::kLogDense, 0}, {ColumnType::kCategorical, 0}, {ColumnType::kMulti, '|'},
      {ColumnType::kSkip, 0},     {ColumnType::kSkip, 0},     {ColumnType::kMulti, '\t'},    {ColumnType::kMulti, '\t'},
      {ColumnType::kMulti, '*'},  {ColumnType::kMulti, '*'},  {ColumnType::kMulti, ','},     {ColumnType::kMulti, ' '},
      {ColumnType::kMulti, ';'},  {ColumnType::kMulti, ';'},  {ColumnType::kMulti, ';'}};
  EXPECT_EQ(schema->columns, want);
  EXPECT_EQ(schema->num_dense(), 3);
  EXPECT_EQ(schema->num_categorical(), 11);
  EXPECT_TRUE(schema->has_weight());
  // FormatSchema folds the repeats and parses back to the same schema.
  const std::string spec = FormatSchema(*schema);
  EXPECT_EQ(spec,
            "skip,weight,dense,label,logdense*2,cat,multi:|,skip*2,multi:tab*2,multi:**2,multi:comma,"
            "multi:space,multi:;*3");
  StatusOr<Schema> again = ParseSchema(spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *schema);
}

TEST(SchemaTest, EachErrorNamesThePieceAndItsPosition) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "schema is empty"},
      {"  ", "schema is empty"},
      {"cat,dense", "has no label column"},
      {"label,cat,label", "piece 3 'label': more than one label column"},
      {"label*2,cat", "piece 1 'label*2': more than one label column"},
      {"label,weight,cat,weight", "piece 4 'weight': more than one weight column"},
      {"label,floats*2", "piece 2 'floats*2': unknown column type 'floats'"},
      {"label,cat*0", "piece 2 'cat*0': the repeat count must be in [1, 100000]"},
      {"label,cat*100001", "piece 2 'cat*100001': the repeat count must be in [1, 100000]"},
      {"label,cat*99999,dense*2", "piece 3 'dense*2': more than 100000 columns"},
      {"label,cat*", "piece 2 'cat*': expected TYPE*N"},
      {"label,cat*x", "piece 2 'cat*x': expected TYPE*N"},
      {"label,multi", "piece 2 'multi': a multi column needs its separator"},
      {"label,multi:", "piece 2 'multi:': a multi column needs one separator character"},
      {"label,multi:ab", "piece 2 'multi:ab': a multi column needs one separator character"},
      {"label,,cat", "piece 2 '': empty column type"},
      {"label,cat,", "piece 3 '': empty column type"},
  };
  for (const auto& [spec, message] : cases) {
    StatusOr<Schema> schema = ParseSchema(spec);
    ASSERT_FALSE(schema.ok()) << spec;
    EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(schema.status().message().find(message), std::string::npos)
        << spec << " -> " << schema.status() << "; want " << message;
  }
}

TEST(SchemaTest, DelimitersAndTheirClashWithMultiSeparators) {
  EXPECT_EQ(*ParseDelimiter(","), ',');
  EXPECT_EQ(*ParseDelimiter("\\t"), '\t');
  EXPECT_EQ(*ParseDelimiter("tab"), '\t');
  EXPECT_EQ(*ParseDelimiter("\t"), '\t');
  EXPECT_EQ(*ParseDelimiter("|"), '|');
  for (const char* bad : {"", "ab", "\n", "\r", "comma"}) {
    EXPECT_EQ(ParseDelimiter(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
  const Schema schema = *ParseSchema("label,cat,multi:comma");
  EXPECT_TRUE(CheckSchemaDelimiter(schema, '\t').ok());
  const Status clash = CheckSchemaDelimiter(schema, ',');
  EXPECT_EQ(clash.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(clash.message().find("column 3 (multi:comma)"), std::string::npos) << clash;
}

}  // namespace
}  // namespace ember::data
