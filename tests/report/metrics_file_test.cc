#include "report/metrics_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace ember::report {
namespace {

TEST(MetricsFileTest, ReadsEveryLineWithItsNumber) {
  StatusOr<MetricsFile> file = ParseMetricsText(
      "run.jsonl",
      "{\"event\": \"progress\", \"step\": 2, \"epoch\": 0, \"samples_per_sec\": 100.5, \"loss\": 0.5}\n"
      "\n"
      "{\"event\": \"eval\", \"epoch\": 0, \"test_auc\": 0.75}\r\n"
      "{\"event\": \"server\", \"server\": 1, \"rows\": 10}\n"
      "{\"event\": \"final\", \"steps\": 2}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path, "run.jsonl");
  ASSERT_EQ(file->lines.size(), 4u);
  EXPECT_EQ(file->lines[0].event, "progress");
  EXPECT_EQ(file->lines[0].line_number, 1);
  EXPECT_EQ(file->lines[1].event, "eval");
  EXPECT_EQ(file->lines[1].line_number, 3);  // the blank line is skipped, still counted
  EXPECT_EQ(file->lines[1].fields.Find("test_auc")->number(), 0.75);
  EXPECT_EQ(file->lines[2].event, "server");  // an event this reader does not know is kept
  EXPECT_EQ(file->lines[3].line_number, 5);
}

// Every refusal names the file and the line.
TEST(MetricsFileTest, BadLinesNameTheFileAndLine) {
  const std::string good = "{\"event\": \"progress\", \"step\": 2, \"loss\": 0.5}\n";
  const struct {
    std::string text;
    std::string message_start;
  } cases[] = {
      {good + "{\"event\": \"progress\", \"step\": 4, \"loss\": 0.4\n",
       "m.jsonl:2: not a JSON line (column 45: expected ',' or '}' in an object): '"},
      {good + good + "step 6 loss 0.3\n", "m.jsonl:3: not a JSON line (column 1: expected a value"},
      {"[1, 2]\n", "m.jsonl:1: not a JSON object: '[1, 2]'"},
      {good + "{\"step\": 4}\n", "m.jsonl:2: no \"event\" string (is this a --metrics_out file?)"},
      {"{\"event\": 3}\n", "m.jsonl:1: no \"event\" string"},
      {good + "{\"event\": \"progress\", \"loss\": 0.4}\n", "m.jsonl:2: the progress line has no number \"step\""},
      {"{\"event\": \"eval\", \"epoch\": \"one\"}\n", "m.jsonl:1: the eval line has no number \"epoch\""},
      {"{\"event\": \"checkpoint\", \"bytes\": 10}\n", "m.jsonl:1: the checkpoint line has no number \"step\""},
      {"", "m.jsonl: no lines (an `ember train --metrics_out` file holds one JSON object a line)"},
      {"\n  \n\t\n", "m.jsonl: no lines"},
  };
  for (const auto& c : cases) {
    StatusOr<MetricsFile> file = ParseMetricsText("m.jsonl", c.text);
    ASSERT_FALSE(file.ok()) << c.text;
    EXPECT_EQ(file.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(file.status().message().substr(0, c.message_start.size()), c.message_start) << file.status();
  }
}

TEST(MetricsFileTest, AMissingFileIsNotFoundNamingIt) {
  const std::string path = ::testing::TempDir() + "/ember_no_such_metrics_" + std::to_string(::getpid()) + ".jsonl";
  StatusOr<MetricsFile> file = ReadMetricsFile(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_NE(file.status().message().find(path), std::string_view::npos) << file.status();
  StatusOr<MetricsFile> directory = ReadMetricsFile(::testing::TempDir());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.status().message().find("not a regular file"), std::string_view::npos) << directory.status();
}

TEST(MetricsFileTest, ReadsAFile) {
  const std::string path = ::testing::TempDir() + "/ember_metrics_" + std::to_string(::getpid()) + ".jsonl";
  std::ofstream(path) << "{\"event\": \"final\", \"steps\": 30}\n";
  StatusOr<MetricsFile> file = ReadMetricsFile(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ(file->lines.size(), 1u);
  EXPECT_EQ(file->lines[0].fields.Find("steps")->number(), 30);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ember::report
