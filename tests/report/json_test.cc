#include "report/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace ember::report {
namespace {

TEST(JsonTest, ParsesAMetricsLine) {
  StatusOr<JsonValue> line =
      ParseJson(R"({"event": "eval", "epoch": 2, "test_auc": 0.71597007361884379, "test_gauc": null, "ok": true, )"
                R"("list": [1, -2.5e3, "x"], "nested": {"a": {}}})");
  ASSERT_TRUE(line.ok()) << line.status();
  ASSERT_TRUE(line->is_object());
  EXPECT_EQ(line->Find("event")->string(), "eval");
  EXPECT_EQ(line->Find("epoch")->number(), 2);
  EXPECT_EQ(line->Find("test_auc")->number(), 0.71597007361884379);
  EXPECT_TRUE(line->Find("test_gauc")->is_null());
  EXPECT_TRUE(line->Find("ok")->boolean());
  ASSERT_EQ(line->Find("list")->items().size(), 3u);
  EXPECT_EQ(line->Find("list")->items()[1].number(), -2500);
  EXPECT_EQ(line->Find("list")->items()[2].string(), "x");
  EXPECT_TRUE(line->Find("nested")->Find("a")->is_object());
  EXPECT_EQ(line->Find("absent"), nullptr);
  // Members keep the order written.
  EXPECT_EQ(line->members()[0].first, "event");
  EXPECT_EQ(line->members()[3].first, "test_gauc");
}

TEST(JsonTest, DecodesStringEscapes) {
  StatusOr<JsonValue> text = ParseJson(R"("a\"b\\c\/d\n\t\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->string(), "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

TEST(JsonTest, RefusesMalformedTextNamingTheColumn) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {R"({"event": "progress", "step": 2)", "column 32: expected ',' or '}' in an object"},
      {R"({"a": 1} x)", "column 10: text after the JSON value"},
      {R"({a: 1})", "column 2: expected a member name in double quotes"},
      {R"({"a" 1})", "column 6: expected ':' after a member name"},
      {R"([1, 2)", "column 6: expected ',' or ']' in an array"},
      {R"("abc)", "column 5: unterminated string"},
      {R"("\q")", "column 3: unknown escape in a string"},
      {R"("\ud83d")", "column 8: expected the low half of a surrogate pair"},
      {R"(01)", "column 2: text after the JSON value"},
      {R"(-)", "column 2: expected a digit"},
      {R"(1.)", "column 3: expected a digit after '.'"},
      {R"(1e400)", "column 1: number out of the range of a double"},
      {R"(nul)", "column 1: expected a value (object, array, string, number, true, false or null)"},
      {"", "column 1: expected a value, found the end of the line"},
      {"\"a\tb\"", "column 3: control character in a string"},
  };
  for (const auto& c : cases) {
    StatusOr<JsonValue> parsed = ParseJson(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(parsed.status().message(), std::string(c.message)) << c.text;
  }
}

TEST(JsonTest, RefusesNestingPastTheLimit) {
  const std::string deep = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(ParseJson(deep).ok());
  const std::string deeper = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  StatusOr<JsonValue> parsed = ParseJson(deeper);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("nested deeper than 64 levels"), std::string_view::npos);
}

TEST(JsonTest, WritesNumbersThatReadBackBitForBit) {
  const double values[] = {0.1, 1.0 / 3, 6789.6851077321126, 1e-300, -2.5e17, 0, 4416355};
  JsonValue array = JsonValue::Array();
  for (double v : values) array.Append(JsonValue::Number(v));
  array.Append(JsonValue::Number(std::nan("")));
  StatusOr<JsonValue> back = ParseJson(ToJson(array));
  ASSERT_TRUE(back.ok()) << back.status();
  for (size_t i = 0; i < std::size(values); ++i) EXPECT_EQ(back->items()[i].number(), values[i]) << i;
  EXPECT_TRUE(back->items().back().is_null());  // a NaN is written as null
}

TEST(JsonTest, WritesStringsSafeInsideAScriptElement) {
  JsonValue object = JsonValue::Object();
  object.Set("</script>", JsonValue::String("a</script><b>&\"\\\n"));
  const std::string text = ToJson(object);
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  EXPECT_EQ(text.find('>'), std::string::npos) << text;
  EXPECT_EQ(text.find('&'), std::string::npos) << text;
  StatusOr<JsonValue> back = ParseJson(text);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->Find("</script>")->string(), "a</script><b>&\"\\\n");
}

}  // namespace
}  // namespace ember::report
