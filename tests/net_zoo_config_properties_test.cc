// The java.util.Properties format that zoo.cfg is written in: separators,
// comments, blank lines, continuations, escapes and line endings, as
// Properties.load splits them.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "net/zoo_config_properties.h"

namespace warden::net {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs pairs_of(std::string_view text) {
  const PropertiesResult result = parse_java_properties(text);
  EXPECT_TRUE(result.ok()) << result.error;
  Pairs pairs;
  for (const Property& property : result.properties) {
    pairs.emplace_back(property.key, property.value);
  }
  return pairs;
}

std::vector<int> lines_of(std::string_view text) {
  std::vector<int> lines;
  for (const Property& property : parse_java_properties(text).properties) {
    lines.push_back(property.line);
  }
  return lines;
}

TEST(ZooConfigProperties, EverySeparatorJavaAccepts) {
  EXPECT_EQ(
      pairs_of("a=1\n"
               "b:2\n"
               "c 3\n"
               "d = 4\n"
               "e\t:\t5\n"
               "f\fx\n"
               "g   h\n"),
      (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}, {"f", "x"}, {"g", "h"}}));
}

TEST(ZooConfigProperties, OnlyTheFirstSeparatorCounts) {
  EXPECT_EQ(
      pairs_of("h==x\n"
               "i::x\n"
               "j = : x\n"
               "k a = b\n"
               "url=http://host:8080/x\n"),
      (Pairs{
          {"h", "=x"}, {"i", ":x"}, {"j", ": x"}, {"k", "a = b"}, {"url", "http://host:8080/x"}}));
}

TEST(ZooConfigProperties, KeyWithoutValue) {
  EXPECT_EQ(pairs_of("alone\nempty=\nspaced =   \n"),
            (Pairs{{"alone", ""}, {"empty", ""}, {"spaced", ""}}));
}

TEST(ZooConfigProperties, ValueKeepsTrailingBlanksAndInnerHash) {
  // Java keeps both; ZooKeeper's trim() then drops the blanks (see zoo.cfg tests).
  EXPECT_EQ(pairs_of("a=b # not a comment  \n"), (Pairs{{"a", "b # not a comment  "}}));
}

TEST(ZooConfigProperties, CommentsAndBlankLines) {
  EXPECT_EQ(pairs_of("# hash comment\n"
                     "   # indented comment\n"
                     "! bang comment\n"
                     "\n"
                     "   \t  \n"
                     "a=1\n"
                     "\t!also a comment\n"),
            (Pairs{{"a", "1"}}));
}

TEST(ZooConfigProperties, BackslashContinuesTheLine) {
  EXPECT_EQ(pairs_of("servers=one,\\\n"
                     "        two,\\\n"
                     "\t\tthree\n"
                     "next=x\n"),
            (Pairs{{"servers", "one,two,three"}, {"next", "x"}}));
}

TEST(ZooConfigProperties, ContinuationOfTheKeyAndSeparator) {
  EXPECT_EQ(pairs_of("data\\\n   Dir\\\n  =/var/lib/zk\n"), (Pairs{{"dataDir", "/var/lib/zk"}}));
}

TEST(ZooConfigProperties, EvenBackslashesDoNotContinue) {
  EXPECT_EQ(pairs_of("a=x\\\\\nb=y\n"), (Pairs{{"a", "x\\"}, {"b", "y"}}));
  EXPECT_EQ(pairs_of("a=x\\\\\\\ny\n"), (Pairs{{"a", "x\\y"}}));
}

TEST(ZooConfigProperties, CommentLinesNeverContinue) {
  EXPECT_EQ(pairs_of("# comment \\\na=1\n"), (Pairs{{"a", "1"}}));
}

TEST(ZooConfigProperties, HashInAContinuationIsText) {
  EXPECT_EQ(pairs_of("a=1\\\n#2\n"), (Pairs{{"a", "1#2"}}));
}

TEST(ZooConfigProperties, EmptyContinuationLineEndsTheEntry) {
  EXPECT_EQ(pairs_of("a=1\\\n   \nb=2\n"), (Pairs{{"a", "1"}, {"b", "2"}}));
}

TEST(ZooConfigProperties, BackslashAtEndOfFileIsDropped) {
  EXPECT_EQ(pairs_of("a=1\\"), (Pairs{{"a", "1"}}));
}

TEST(ZooConfigProperties, Escapes) {
  EXPECT_EQ(pairs_of("a\\=b=c\n"
                     "k\\:x\\ y=v\n"
                     "tab=1\\t2\n"
                     "lf=1\\n2\n"
                     "other=\\q\\\\\n"
                     "letter=\\u0041\\u00e9\\u20AC\n"
                     "astral=\\uD83D\\uDE00\n"
                     "lone=\\uD83Dx\n"),
            (Pairs{{"a=b", "c"},
                   {"k:x y", "v"},
                   {"tab", "1\t2"},
                   {"lf", "1\n2"},
                   {"other", "q\\"},
                   {"letter", "A\xC3\xA9\xE2\x82\xAC"},
                   {"astral", "\xF0\x9F\x98\x80"},
                   {"lone", "\xEF\xBF\xBDx"}}));
}

TEST(ZooConfigProperties, MalformedUnicodeEscapeFailsWithItsLine) {
  const PropertiesResult result = parse_java_properties("a=1\n\nb=\\u12g4\n");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_line, 3);
  EXPECT_TRUE(result.properties.empty());
  EXPECT_FALSE(parse_java_properties("b=\\u12").ok());
}

TEST(ZooConfigProperties, Utf8PassesThrough) {
  EXPECT_EQ(pairs_of("dataDir=/données/zk\n"), (Pairs{{"dataDir", "/données/zk"}}));
}

TEST(ZooConfigProperties, LineEndings) {
  EXPECT_EQ(pairs_of("a=1\r\nb=2\rc=3\nd=4"),
            (Pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(pairs_of("a=1\\\r\n  2\r\n"), (Pairs{{"a", "12"}}));
  EXPECT_EQ(lines_of("a=1\r\n\r\nb=2\rc=3\n"), (std::vector<int>{1, 3, 4}));
}

TEST(ZooConfigProperties, LineNumbersPointAtTheEntryStart) {
  EXPECT_EQ(lines_of("# c\n"
                     "a=1\n"
                     "b=one\\\n"
                     "  two\n"
                     "\n"
                     "c=3\n"),
            (std::vector<int>{2, 3, 6}));
}

TEST(ZooConfigProperties, RepeatedKeysAreAllReturnedInOrder) {
  EXPECT_EQ(pairs_of("a=1\nb=2\na=3\n"), (Pairs{{"a", "1"}, {"b", "2"}, {"a", "3"}}));
}

TEST(ZooConfigProperties, EmptyText) {
  EXPECT_TRUE(pairs_of("").empty());
  EXPECT_TRUE(pairs_of("\n\n# only comments\n").empty());
}

}  // namespace
}  // namespace warden::net
