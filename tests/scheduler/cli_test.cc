// The ember binary as a user runs it: help, bad flags, gen-data, train, eval.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/files.h"
#include "tests/util/command.h"

namespace ember {
namespace {

using testing_util::CommandResult;

CommandResult RunEmber(const std::string& args) {
  return testing_util::RunShell("timeout -k 5 120 " + std::string(EMBER_BINARY_PATH) + " " + args);
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_cli_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CliTest, HelpListsEveryFlagOfTheVerb) {
  CommandResult train = RunEmber("train --help");
  EXPECT_EQ(train.exit_code, 0) << train.output;
  for (const char* flag : {"--train_files", "--eval_files", "--model", "--batch_size", "--epochs", "--num_servers",
                           "--num_workers", "--seed", "--metrics_out", "--max_bad_lines", "--wide_crosses"}) {
    EXPECT_NE(train.output.find(flag), std::string::npos) << flag << " missing from\n" << train.output;
  }
  CommandResult gen = RunEmber("gen-data --help");
  EXPECT_EQ(gen.exit_code, 0);
  for (const char* flag : {"--out_dir", "--train_rows", "--test_rows", "--seed", "--zipf_exponent", "--vocab_scale"}) {
    EXPECT_NE(gen.output.find(flag), std::string::npos) << flag;
  }
  CommandResult eval = RunEmber("eval --help");
  EXPECT_EQ(eval.exit_code, 0);
  EXPECT_NE(eval.output.find("--scores"), std::string::npos);
}

TEST_F(CliTest, BadInvocationsExitTwoWithTheReason) {
  CommandResult none = RunEmber("");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("usage"), std::string::npos);
  CommandResult unknown = RunEmber("fly");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.output.find("unknown verb 'fly'"), std::string::npos);
  CommandResult missing = RunEmber("train");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("--train_files is required"), std::string::npos) << missing.output;
  CommandResult no_file = RunEmber("train --train_files=" + dir_ + "/nope.tsv");
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_NE(no_file.output.find("nope.tsv"), std::string::npos) << no_file.output;
  CommandResult wrong_verb = RunEmber("gen-data --out_dir=" + dir_ + " --batch_size=3");
  EXPECT_EQ(wrong_verb.exit_code, 2);
  EXPECT_NE(wrong_verb.output.find("--batch_size does not apply"), std::string::npos) << wrong_verb.output;
  CommandResult bad_model = RunEmber("train --train_files=" + std::string(EMBER_BINARY_PATH) +
                                     " --model=xgboost");
  EXPECT_EQ(bad_model.exit_code, 2);
  EXPECT_NE(bad_model.output.find("unknown --model 'xgboost'"), std::string::npos) << bad_model.output;
  CommandResult bad_cross = RunEmber("train --train_files=" + std::string(EMBER_BINARY_PATH) +
                                     " --wide_crosses=C1xC99");
  EXPECT_EQ(bad_cross.exit_code, 2);
  EXPECT_NE(bad_cross.output.find("C99"), std::string::npos) << bad_cross.output;
}

TEST_F(CliTest, GenDataTrainEvalEndToEnd) {
  CommandResult gen = RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=20000 --test_rows=5000 --seed=4");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/oracle.json"));
  StatusOr<std::string> oracle = ReadFileToString(dir_ + "/oracle.json");
  ASSERT_TRUE(oracle.ok());
  EXPECT_TRUE(JsonNumberField(*oracle, "test_auc").ok()) << *oracle;
  EXPECT_TRUE(JsonNumberField(*oracle, "test_logloss").ok()) << *oracle;

  const std::string metrics = dir_ + "/metrics.jsonl";
  CommandResult train = RunEmber("train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 "
                                 "--progress_every_steps=20 --train_files=" +
                                 dir_ + "/train.tsv --eval_files=" + dir_ + "/test.tsv --metrics_out=" + metrics);
  ASSERT_EQ(train.exit_code, 0) << train.output;
  EXPECT_NE(train.output.find("samples/s"), std::string::npos) << train.output;
  EXPECT_NE(train.output.find("step 20"), std::string::npos) << train.output;
  EXPECT_NE(train.output.find("final:"), std::string::npos) << train.output;
  const std::string final_line = testing_util::FinalMetricsLine(metrics);
  ASSERT_FALSE(final_line.empty());
  StatusOr<double> auc = JsonNumberField(final_line, "test_auc");
  ASSERT_TRUE(auc.ok());
  EXPECT_GT(*auc, 0.6);

  // eval: a scores file of the wrong length is refused; a constant one gives AUC 0.5.
  std::string scores;
  for (int i = 0; i < 5000; ++i) scores += "0.25\n";
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/scores.txt", scores).ok());
  CommandResult eval = RunEmber("eval --eval_files=" + dir_ + "/test.tsv --scores=" + dir_ + "/scores.txt");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  StatusOr<double> eval_auc = JsonNumberField(eval.output, "test_auc");
  ASSERT_TRUE(eval_auc.ok()) << eval.output;
  EXPECT_DOUBLE_EQ(*eval_auc, 0.5);
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/short.txt", "0.5\n").ok());
  CommandResult short_eval = RunEmber("eval --eval_files=" + dir_ + "/test.tsv --scores=" + dir_ + "/short.txt");
  EXPECT_EQ(short_eval.exit_code, 1);
  EXPECT_NE(short_eval.output.find("1 lines but --eval_files hold 5000"), std::string::npos) << short_eval.output;
}

}  // namespace
}  // namespace ember
