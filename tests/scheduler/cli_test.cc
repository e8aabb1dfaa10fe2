// The ember binary as a user runs it: help, bad flags, gen-data, train, eval.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/files.h"
#include "common/random.h"
#include "ops/tensor.h"
#include "tests/util/background_process.h"
#include "tests/util/command.h"

namespace ember {
namespace {

using testing_util::CommandResult;

CommandResult RunEmber(const std::string& args) {
  return testing_util::RunShell("timeout -k 5 120 " + std::string(EMBER_BINARY_PATH) + " " + args);
}

// `ember <args>` must exit 2 (a usage error) with `reason` in its output.
void ExpectUsageError(const std::string& args, const std::string& reason) {
  const CommandResult result = RunEmber(args);
  EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.output;
  EXPECT_NE(result.output.find(reason), std::string::npos) << args << "\n" << result.output;
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
  for (const char* flag :
       {"--train_files", "--eval_files", "--model", "--batch_size", "--epochs", "--num_servers", "--num_workers",
        "--seed", "--metrics_out", "--max_bad_lines", "--wide_crosses", "--server_threads", "--dense_sync"}) {
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
  ExpectUsageError("", "usage");
  ExpectUsageError("fly", "unknown verb 'fly'");
  ExpectUsageError("train", "--train_files is required");
  ExpectUsageError("train --train_files=" + dir_ + "/nope.tsv", "nope.tsv");
  ExpectUsageError("gen-data --out_dir=" + dir_ + " --batch_size=3", "--batch_size does not apply");
  const std::string binary = std::string(EMBER_BINARY_PATH);
  ExpectUsageError("train --train_files=" + binary + " --model=xgboost", "unknown --model 'xgboost'");
  ExpectUsageError("train --train_files=" + binary + " --wide_crosses=C1xC99", "C99");
  ExpectUsageError("train --train_files=" + binary + " --eval_scores_out=" + dir_ + "/no/s.txt", "--eval_scores_out");
  ExpectUsageError("gen-data --out_dir=" + dir_ + " --kind=images", "expected criteo, sequences or watch");
  ExpectUsageError("train --train_files=" + binary + " --model=din", "read --data_format=interactions");
  ExpectUsageError("train --train_files=" + binary +
                       " --model=bst --data_format=interactions --embedding_dim=10 --attention_heads=3",
                   "multiple of --attention_heads");
  for (const char* rate : {"nan", "inf", "-1", "1e39", "1e-50"}) {
    ExpectUsageError("train --train_files=" + binary + " --dense_learning_rate=" + rate,
                     "--dense_learning_rate must be a finite number > 0 (as a 32-bit float); got");
  }
  ExpectUsageError("train --train_files=" + binary + " --ftrl_l1=nan",
                   "--ftrl_l1 must be a finite number >= 0 (as a 32-bit float); got nan");
  ExpectUsageError("train --train_files=" + binary + " --server_threads=0",
                   "--server_threads must be between 1 and 256; got 0");
}

// Size flags have documented maxima, and a step that could not fit in this
// machine's memory is refused before anything is allocated (a huge
// --batch_size ended in an uncaught std::bad_alloc, a huge --max_seq_len in
// a CHECK or a job that made no progress).
TEST_F(CliTest, HugeSizeFlagsAreRefusedNamingTheFlagAndItsBound) {
  const std::string binary = std::string(EMBER_BINARY_PATH);
  const std::string files = " --train_files=" + binary;
  ExpectUsageError("train" + files + " --batch_size=2000000000",
                   "--batch_size must be between 1 and 1048576; got 2000000000");
  ExpectUsageError("train" + files + " --model=bst --data_format=interactions --max_seq_len=100000000",
                   "--max_seq_len must be between 0 and 8192; got 100000000");
  ExpectUsageError("train" + files + " --embedding_dim=100000", "--embedding_dim must be between 1 and 4096");
  ExpectUsageError("train" + files + " --hidden=1024,10000000", "a layer of 10000000 units; at most 65536");
  ExpectUsageError("train" + files + " --num_workers=100000", "--num_workers must be between 1 and 1024");
  ExpectUsageError("train" + files + " --neg_per_pos=1000000000", "--neg_per_pos must be between 0 and 100000");
  // Within every bound, but bst's attention scores alone (heads x L x L
  // floats per sample) exceed any machine's memory.
  ExpectUsageError("train" + files + " --model=bst --data_format=interactions --max_seq_len=8192 --batch_size=1000000",
                   "ResourceExhausted: --batch_size=1000000 --max_seq_len=8192");
  const CommandResult huge = RunEmber("train" + files +
                                      " --model=bst --data_format=interactions --max_seq_len=8192 "
                                      "--batch_size=1000000");
  EXPECT_NE(huge.output.find("more than this machine's"), std::string::npos) << huge.output;
}

// gflags exits with 1 on these; ember's bad flags exit 2 naming the flag,
// the value or the file.
TEST_F(CliTest, UnknownFlagsBadValuesAndMissingFlagfilesExitTwo) {
  const std::string files = " --train_files=" + std::string(EMBER_BINARY_PATH);
  ExpectUsageError("train" + files + " --no_such_flag=3", "unknown flag --no_such_flag=3");
  ExpectUsageError("train" + files + " --batch_size=12x", "--batch_size=12x: not a valid int32 value");
  ExpectUsageError("train" + files + " --batch_size=99999999999", "--batch_size=99999999999: not a valid int32");
  ExpectUsageError("train" + files + " --sync=maybe", "--sync=maybe: not a valid bool value");
  ExpectUsageError("train" + files + " --batch_size", "flag --batch_size needs a value");
  ExpectUsageError("train" + files + " --flagfile=" + dir_ + "/none.flags", dir_ + "/none.flags");
  {
    std::FILE* flags = std::fopen((dir_ + "/bad.flags").c_str(), "w");
    ASSERT_NE(flags, nullptr);
    std::fputs("# a comment\n--batch_size=64\n--flagfile=", flags);
    std::fputs((dir_ + "/inner.flags\n").c_str(), flags);
    std::fclose(flags);
    flags = std::fopen((dir_ + "/inner.flags").c_str(), "w");
    ASSERT_NE(flags, nullptr);
    std::fputs("--epochs=2\n--learning_rat=0.1\n", flags);
    std::fclose(flags);
  }
  ExpectUsageError("train" + files + " --flagfile=" + dir_ + "/bad.flags",
                   dir_ + "/inner.flags:2: unknown flag --learning_rat=0.1");
  // --noNAME for a bool, and a value in the next argument, are gflags' own forms.
  const CommandResult forms = RunEmber("train" + files + " --nosync --batch_size 64 --model=xgboost");
  EXPECT_EQ(forms.exit_code, 2);
  EXPECT_NE(forms.output.find("unknown --model 'xgboost'"), std::string::npos) << forms.output;
}

TEST_F(CliTest, DeviceFlagIsCheckedAndAMissingGpuStopsTheJobAtStart) {
  const std::string binary = std::string(EMBER_BINARY_PATH);
  ExpectUsageError("train --train_files=" + binary + " --device=tpu", "--device=tpu: expected cpu or cuda");
  if (ops::CudaAvailable()) GTEST_SKIP() << "this host has a GPU";
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  const CommandResult result = RunEmber("train --train_files=" + binary + " --device=cuda --num_workers=2");
  EXPECT_EQ(result.exit_code, 2) << result.output;
  // A CUDA build on a host without a GPU names the worker and the host; a
  // CPU-only build says so at the flag.
  const bool no_gpu = result.output.find("--device=cuda: worker 0 on host " + std::string(host) +
                                         " has no usable GPU") != std::string::npos;
  const bool no_cuda = result.output.find("--device=cuda: this ember was built without CUDA") != std::string::npos;
  EXPECT_TRUE(no_gpu || no_cuda) << result.output;
  int lines = 0;
  for (size_t at = result.output.find("ember train: "); at != std::string::npos;
       at = result.output.find("ember train: ", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1) << "one line, not one per worker\n" << result.output;
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
  CommandResult train = RunEmber(
      "train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 "
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

  // A learning rate that turns the model to NaN stops the job at the first
  // such step, with the reason, instead of training NaN to the end (and, as
  // the AUC of NaN scores once did, hanging at the evaluation).
  CommandResult diverged = RunEmber(
      "train --model=wide_deep --hidden=32,16 --embedding_dim=8 --batch_size=256 "
      "--num_workers=2 --dense_learning_rate=1e38 --train_files=" +
      dir_ + "/train.tsv --eval_files=" + dir_ + "/test.tsv");
  EXPECT_EQ(diverged.exit_code, 1) << diverged.output;
  EXPECT_NE(diverged.output.find("training diverged at step"), std::string::npos) << diverged.output;
  EXPECT_EQ(diverged.output.find("final:"), std::string::npos) << diverged.output;

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

// A CSV with a header whose label depends on a cat column (site) and a
// multi-valued column (tags): p = sigmoid(site score + sum of tag scores).
// With `noisy`, every clean row (weight 1 or 3) is followed by a row of
// fresh features whose label is drawn from 1 - p, with weight 0: only a
// reader and a loss that apply the weights see any signal.
std::string SchemaCsv(uint64_t seed, int rows, bool noisy) {
  Rng truth(99);
  std::vector<double> site_score(20), tag_score(30);
  for (double& s : site_score) s = truth.Normal(0, 1.0);
  for (double& s : tag_score) s = truth.Normal(0, 1.5);
  Rng rng(seed);
  std::string csv = "click,weight,hour,site,tags,comment\n";
  for (int i = 0; i < rows; ++i) {
    const bool flipped = noisy && i % 2 == 1;
    const int site = static_cast<int>(rng.Next() % 20);
    double logit = site_score[site];
    std::string tags;
    const int num_tags = static_cast<int>(rng.Next() % 4);  // 0..3 tags
    for (int t = 0; t < num_tags; ++t) {
      const int tag = static_cast<int>(rng.Next() % 30);
      logit += tag_score[tag];
      if (t > 0) tags += '|';
      tags += "tag";
      tags += std::to_string(tag);
    }
    const double p = 1.0 / (1.0 + std::exp(-logit));
    const bool click = rng.Uniform() < (flipped ? 1.0 - p : p);
    const int weight = flipped ? 0 : (rng.Next() % 2 == 0 ? 1 : 3);
    csv += std::string(click ? "1" : "0") + "," + std::to_string(weight) + "," + std::to_string(i % 24) + ",site" +
           std::to_string(site) + "," + tags + ",row " + std::to_string(i) + "\n";
  }
  return csv;
}

// Every CTR model's built-in defaults learn on the real Criteo sample in
// ../shared/data (skipped without it): train -> dev + test. lr reached 0.54
// before its dense weights started at zero with a learning rate of their own.
TEST_F(CliTest, DefaultFlagsLearnOnTheCriteoSample) {
  const char* source_dir = std::getenv("EMBER_SOURCE_DIR");
  const std::string data = std::string(source_dir != nullptr ? source_dir : ".") + "/../shared/data/criteo_head8k";
  if (!std::filesystem::exists(data + "/train.tsv")) GTEST_SKIP() << "no Criteo sample at " << data;
  struct Case {
    const char* model;
    double min_auc;  // measured: lr 0.722, wide_deep 0.729, deepfm 0.701, dcn 0.730, dlrm 0.693
  };
  for (const Case& c :
       {Case{"lr", 0.70}, Case{"wide_deep", 0.68}, Case{"deepfm", 0.68}, Case{"dcn", 0.68}, Case{"dlrm", 0.68}}) {
    const std::string metrics = dir_ + "/" + c.model + ".jsonl";
    const CommandResult train =
        RunEmber("train --model=" + std::string(c.model) + " --train_files=" + data +
                 "/train.tsv --eval_files=" + data + "/dev.tsv," + data + "/test.tsv --metrics_out=" + metrics);
    ASSERT_EQ(train.exit_code, 0) << train.output;
    StatusOr<double> auc = JsonNumberField(testing_util::FinalMetricsLine(metrics), "test_auc");
    ASSERT_TRUE(auc.ok()) << train.output;
    EXPECT_GE(*auc, c.min_auc) << c.model;
  }
}

TEST_F(CliTest, TrainsAndEvaluatesACsvThroughASchema) {
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/train.csv", SchemaCsv(1, 40000, /*noisy=*/true)).ok());
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/test.csv", SchemaCsv(2, 5000, /*noisy=*/false)).ok());
  auto train = [&](const std::string& schema, const std::string& metrics) {
    return RunEmber("train --data_format=schema --schema=" + schema +
                    " --schema_header --model=wide_deep --hidden=16 --embedding_dim=4 --batch_size=128 --epochs=2 "
                    "--num_workers=2 --deep_learning_rate=0.05 --train_files=" +
                    dir_ + "/train.csv --eval_files=" + dir_ + "/test.csv --metrics_out=" + metrics);
  };
  // The weight column weighs the loss: the weight-0 rows with flipped labels do not count.
  const std::string metrics = dir_ + "/metrics.jsonl";
  CommandResult weighted = train("label,weight,dense,cat,multi:\\|,skip", metrics);
  ASSERT_EQ(weighted.exit_code, 0) << weighted.output;
  EXPECT_EQ(weighted.output.find("malformed"), std::string::npos) << weighted.output;  // headers skipped
  const std::string final_line = testing_util::FinalMetricsLine(metrics);
  ASSERT_FALSE(final_line.empty()) << weighted.output;
  StatusOr<double> auc = JsonNumberField(final_line, "test_auc");
  ASSERT_TRUE(auc.ok()) << final_line;
  EXPECT_GT(*auc, 0.75) << final_line;
  // The same rows with the weight column skipped: the flipped rows cancel the signal.
  const std::string unweighted_metrics = dir_ + "/unweighted.jsonl";
  CommandResult unweighted = train("label,skip,dense,cat,multi:\\|,skip", unweighted_metrics);
  ASSERT_EQ(unweighted.exit_code, 0) << unweighted.output;
  StatusOr<double> unweighted_auc = JsonNumberField(testing_util::FinalMetricsLine(unweighted_metrics), "test_auc");
  ASSERT_TRUE(unweighted_auc.ok());
  std::printf("test AUC %.4f with the weights, %.4f without\n", *auc, *unweighted_auc);
  EXPECT_LT(*unweighted_auc, *auc - 0.1);

  // eval reads the labels through the schema (the header is not a record).
  std::string scores;
  for (int i = 0; i < 5000; ++i) scores += "0.5\n";
  ASSERT_TRUE(WriteFileAtomically(dir_ + "/scores.txt", scores).ok());
  CommandResult eval = RunEmber(
      "eval --data_format=schema --schema=label,weight,dense,cat,multi:\\|,skip "
      "--schema_header --eval_files=" +
      dir_ + "/test.csv --scores=" + dir_ + "/scores.txt");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_NE(eval.output.find("\"examples\": 5000"), std::string::npos) << eval.output;
}

TEST_F(CliTest, SchemaFlagsAreChecked) {
  const std::string files = " --train_files=" + std::string(EMBER_BINARY_PATH);
  ExpectUsageError("train --schema=label,cat" + files, "apply only to --data_format=schema");
  ExpectUsageError("train --data_format=schema" + files, "--data_format=schema needs --schema");
  ExpectUsageError("train --data_format=schema --schema=label,cat,bogus" + files, "piece 3 'bogus'");
  ExpectUsageError("train --model=ncf --data_format=schema --schema=label,cat,cat" + files,
                   "read --data_format=interactions, and only they do; got --model=ncf");
  ExpectUsageError("train --data_format=schema --schema=label,multi:comma" + files, "column delimiter");
  ExpectUsageError("train --data_format=schema --schema=label,cat,cat --wide_crosses=C1xC3" + files, "outside C1..C2");
  CommandResult help = RunEmber("train --help");
  for (const char* flag : {"--schema ", "--schema_delimiter", "--schema_header", "multi:SEP"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag;
  }
}

TEST_F(CliTest, DenseSyncFlagIsChecked) {
  const std::string files = " --train_files=" + std::string(EMBER_BINARY_PATH);
  ExpectUsageError("train --dense_sync=gloo" + files, "--dense_sync=gloo: expected mpi or nccl");
  ExpectUsageError("train --dense_sync=nccl" + files, "--dense_sync=nccl needs mpirun");
}

// Two jobs on one --checkpoint_dir would delete each other's step-N.tmp
// and replace each other's checkpoints: the second is refused at start,
// naming the first's host and pid.
TEST_F(CliTest, SecondJobOnACheckpointFolderIsRefusedNamingTheFirst) {
  ASSERT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=20000 --test_rows=100 --seed=4").exit_code, 0);
  const std::string job = "train --model=lr --train_files=" + dir_ + "/train.tsv --checkpoint_dir=" + dir_ + "/ckpt";
  testing_util::BackgroundProcess first(
      "timeout -k 5 120 " + std::string(EMBER_BINARY_PATH) + " " + job + " --epochs=1000 --checkpoint_every_steps=20",
      dir_ + "/first.log");
  ASSERT_TRUE(first.started());
  // The first job holds the lock once its LOCK file names it.
  std::string holder;
  for (int i = 0; i < 200 && holder.find(" pid ") == std::string::npos; ++i) {
    ::usleep(50'000);
    const StatusOr<std::string> text = ReadFileToString(dir_ + "/ckpt/LOCK");
    holder = text.ok() ? *text : "";
  }
  ASSERT_NE(holder.find(" pid "), std::string::npos) << holder << "\n" << first.output();
  const std::string pid = holder.substr(holder.find(" pid ") + 5, holder.find('\n') - holder.find(" pid ") - 5);
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);

  const CommandResult second = RunEmber(job + " --epochs=1");
  first.Kill9();
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("--checkpoint_dir=" + dir_ + "/ckpt: checkpoint folder " + dir_ +
                               "/ckpt is in use by another job (host " + host + " pid " + pid),
            std::string::npos)
      << second.output;
  EXPECT_EQ(second.output.find("checkpoint step"), std::string::npos) << "it wrote nothing\n" << second.output;
}

// --resume=auto on a folder whose only checkpoint lost its MANIFEST is
// refused (it used to start from step 0 and later overwrite it).
TEST_F(CliTest, AutoResumeRefusesAFolderWithoutACompleteCheckpoint) {
  ASSERT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=5000 --test_rows=100 --seed=4").exit_code, 0);
  const std::string job = "train --model=lr --train_files=" + dir_ + "/train.tsv --checkpoint_dir=" + dir_ + "/ckpt";
  const CommandResult first = RunEmber(job + " --max_steps=4 --checkpoint_every_steps=4");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string damaged = dir_ + "/ckpt/step-000000000004";
  ASSERT_TRUE(std::filesystem::remove(damaged + "/MANIFEST"));
  const CommandResult resumed = RunEmber(job + " --resume=auto --checkpoint_every_steps=4");
  EXPECT_NE(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("1 step directory without a MANIFEST (step-000000000004)"), std::string::npos)
      << resumed.output;
  EXPECT_TRUE(std::filesystem::exists(damaged + "/dense.bin")) << "the damaged checkpoint is left as it was";
  EXPECT_FALSE(std::filesystem::exists(damaged + "/MANIFEST"));
}

// A file whose every line is malformed trains or evaluates on nothing: the
// job says so and fails rather than exiting 0 with no step taken. A Criteo
// test file (no label column) is the case users meet.
TEST_F(CliTest, InputsWithNoWellFormedLineFailTheJob) {
  ASSERT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=2000 --test_rows=200 --seed=5").exit_code, 0);
  {
    std::ofstream garbage(dir_ + "/garbage.tsv");
    for (int i = 0; i < 50; ++i) garbage << "not\ta\tcriteo\tline\n";
  }
  {
    // The test split with its label column cut off.
    std::ifstream in(dir_ + "/test.tsv");
    std::ofstream out(dir_ + "/unlabelled.tsv");
    for (std::string line; std::getline(in, line);) out << line.substr(line.find('\t') + 1) << '\n';
  }
  const CommandResult train = RunEmber("train --model=lr --train_files=" + dir_ + "/garbage.tsv");
  EXPECT_EQ(train.exit_code, 1) << train.output;
  EXPECT_NE(train.output.find("--train_files: every line read was malformed (50 lines, no record"), std::string::npos)
      << train.output;
  const CommandResult eval =
      RunEmber("train --model=lr --train_files=" + dir_ + "/train.tsv --eval_files=" + dir_ + "/unlabelled.tsv");
  EXPECT_EQ(eval.exit_code, 1) << eval.output;
  EXPECT_NE(eval.output.find("--eval_files: every line read was malformed (200 lines"), std::string::npos)
      << eval.output;
  EXPECT_NE(eval.output.find("(the label column first, then 13 dense and 26 categorical)"), std::string::npos)
      << eval.output;
}

// A worker's eval result goes to the scheduler in parts of at most
// net::kMaxEvalSamplesPerMessage (32768) samples: 70,000 examples on one
// worker are three parts, on two workers two each. The parts join in order:
// `ember eval` of the scores file the job wrote gives the job's own AUC.
TEST_F(CliTest, EvalResultsOfManyPartsJoinInOrder) {
  ASSERT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=30000 --test_rows=70000 --seed=6").exit_code, 0);
  for (int workers : {1, 2}) {
    const std::string metrics = dir_ + "/metrics.jsonl", scores = dir_ + "/scores.txt";
    const CommandResult train = RunEmber("train --model=lr --num_workers=" + std::to_string(workers) +
                                         " --train_files=" + dir_ + "/train.tsv --eval_files=" + dir_ +
                                         "/test.tsv --metrics_out=" + metrics + " --eval_scores_out=" + scores);
    ASSERT_EQ(train.exit_code, 0) << train.output;
    EXPECT_NE(train.output.find("examples 70000"), std::string::npos) << train.output;
    StatusOr<double> auc = JsonNumberField(testing_util::FinalMetricsLine(metrics), "test_auc");
    ASSERT_TRUE(auc.ok());
    EXPECT_GT(*auc, 0.57) << workers << " worker(s): scores joined to the wrong labels give 0.5";
    const CommandResult eval = RunEmber("eval --eval_files=" + dir_ + "/test.tsv --scores=" + scores);
    ASSERT_EQ(eval.exit_code, 0) << eval.output;
    StatusOr<double> eval_auc = JsonNumberField(eval.output, "test_auc");
    ASSERT_TRUE(eval_auc.ok()) << eval.output;
    EXPECT_NEAR(*eval_auc, *auc, 1e-6) << workers << " worker(s): the scores file is the job's, in file order";
  }
}

}  // namespace
}  // namespace ember
