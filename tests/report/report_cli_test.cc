// `ember report` as a user runs it: its help, bad flags (exit 2), bad
// metrics files (exit 1, naming the file and line), and a page written.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/files.h"
#include "tests/util/command.h"

namespace ember {
namespace {

using testing_util::CommandResult;

CommandResult RunEmber(const std::string& args) {
  return testing_util::RunShell("timeout -k 5 60 " + std::string(EMBER_BINARY_PATH) + " " + args);
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_report_cli_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
    good_ = Write("good.jsonl",
                  "{\"event\": \"progress\", \"step\": 2, \"epoch\": 0, \"samples_per_sec\": 100, \"loss\": 0.6}\n"
                  "{\"event\": \"eval\", \"epoch\": 0, \"examples\": 10, \"test_auc\": 0.7, \"test_logloss\": 0.5}\n"
                  "{\"event\": \"final\", \"steps\": 2, \"samples\": 20}\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
    return dir_ + "/" + name;
  }

  // `ember report <args>` exits `code` with `reason` in its output.
  void ExpectFailure(const std::string& args, int code, const std::string& reason) {
    const CommandResult result = RunEmber("report " + args);
    EXPECT_EQ(result.exit_code, code) << args << "\n" << result.output;
    EXPECT_NE(result.output.find(reason), std::string::npos) << args << "\n" << result.output;
  }

  std::string dir_, good_;
};

TEST_F(ReportCliTest, HelpListsItsFlags) {
  const CommandResult help = RunEmber("report --help");
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("--metrics"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--out"), std::string::npos) << help.output;
  const CommandResult verbs = RunEmber("--help");
  EXPECT_NE(verbs.output.find("report    ember report --metrics="), std::string::npos) << verbs.output;
}

TEST_F(ReportCliTest, BadFlagsExitTwo) {
  const std::string out = " --out=" + dir_ + "/report.html";
  ExpectFailure(out, 2, "ember report: InvalidArgument: --metrics=FILE[,FILE...] is required");
  ExpectFailure("--metrics=" + good_, 2, "--out=FILE (the HTML page to write) is required");
  ExpectFailure("--metrics=" + dir_ + "/missing.jsonl" + out, 2, "--metrics: no such file: " + dir_ + "/missing.jsonl");
  ExpectFailure("--metrics=" + dir_ + "/none*.jsonl" + out, 2, "pattern matches no file");
  ExpectFailure("--metrics=" + good_ + " --out=" + good_, 2, "is one of the --metrics files; it would be overwritten");
  ExpectFailure("--metrics=" + good_ + out + " --epochs=3", 2, "--epochs does not apply to `ember report`");
  ExpectFailure("--metrics=" + good_ + out + " stray", 2, "unexpected argument 'stray'");
}

TEST_F(ReportCliTest, BadMetricsFilesExitOneNamingFileAndLine) {
  const std::string out = " --out=" + dir_ + "/report.html";
  const std::string truncated = Write("truncated.jsonl",
                                      "{\"event\": \"progress\", \"step\": 2, \"loss\": 0.6}\n"
                                      "{\"event\": \"progress\", \"step\": 4, \"lo");
  ExpectFailure("--metrics=" + good_ + "," + truncated + out, 1, truncated + ":2: not a JSON line");
  const std::string empty = Write("empty.jsonl", "");
  ExpectFailure("--metrics=" + empty + out, 1, empty + ": no lines");
  const std::string scores = Write("scores.txt", "0.5\n0.25\n");
  ExpectFailure("--metrics=" + scores + out, 1, scores + ":1: not a JSON object");
  ExpectFailure("--metrics=" + good_ + "," + good_ + out, 1, good_ + ": given twice");
  ExpectFailure("--metrics=" + good_ + " --out=" + dir_ + "/no/dir/report.html", 1, dir_ + "/no/dir/report.html");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/report.html"));
}

TEST_F(ReportCliTest, WritesThePage) {
  const std::string second = Write("second.jsonl", "{\"event\": \"progress\", \"step\": 5, \"loss\": 0.5}\n");
  const CommandResult result = RunEmber("report --metrics=" + dir_ + "/*.jsonl --out=" + dir_ + "/report.html");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("wrote " + dir_ + "/report.html: 2 runs, 5 charts, 6 series"), std::string::npos)
      << result.output;
  StatusOr<std::string> page = ReadFileToString(dir_ + "/report.html");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_NE(page->find("<title>ember report: good.jsonl, second.jsonl</title>"), std::string::npos);
  EXPECT_NE(page->find("<script id=\"ember-data\" type=\"application/json\">"), std::string::npos);
}

}  // namespace
}  // namespace ember
