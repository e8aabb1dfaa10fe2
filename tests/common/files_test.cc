// JsonEscape and the string fields of JsonObject, which go through it.
#include "common/files.h"

#include <gtest/gtest.h>

#include <string>

namespace ember {
namespace {

TEST(JsonEscapeTest, QuotesBackslashesAndControlCharactersAreEscaped) {
  EXPECT_EQ(JsonEscape(""), "");
  EXPECT_EQ(JsonEscape("plain/path-1.npy"), "plain/path-1.npy");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape(std::string("tab\tnl\nnul\0end", 14)), "tab\\u0009nl\\u000anul\\u0000end");
  EXPECT_EQ(JsonEscape("\x1f"), "\\u001f");
  // Bytes at or above 0x20, UTF-8 included, are copied.
  EXPECT_EQ(JsonEscape("caf\xc3\xa9 \x7f"), "caf\xc3\xa9 \x7f");
}

TEST(JsonEscapeTest, JsonObjectEscapesItsStringValues) {
  EXPECT_EQ(JsonObject().Add("path", "dir/\"x\"\n").Add("n", 3).ToString(),
            "{\"path\": \"dir/\\\"x\\\"\\u000a\", \"n\": 3}");
}

}  // namespace
}  // namespace ember
