// `ember predict` and `ember eval --checkpoint` as a user runs them after
// training: the scores and metrics of a checkpoint are those the training
// job's last evaluation reported, with any number of servers, and the
// checkpoint is only read.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/checksum.h"
#include "common/files.h"
#include "tests/util/command.h"

namespace ember {
namespace {

using testing_util::CommandResult;

CommandResult RunEmber(const std::string& args) {
  return testing_util::RunShell("timeout -k 5 120 " + std::string(EMBER_BINARY_PATH) + " " + args);
}

// The last line of `text` that starts with `prefix`; "" if none.
std::string LastLineStartingWith(const std::string& text, const std::string& prefix) {
  std::string found;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, prefix.size(), prefix) == 0) found = text.substr(start, end - start);
    start = end + 1;
  }
  return found;
}

std::string FileText(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  return text.ok() ? *text : "<cannot read " + path + ">";
}

// Every file under `dir`: its size, modification time and content checksum.
std::map<std::string, std::string> Snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string text = FileText(entry.path().string());
    files[entry.path().string()] = std::to_string(entry.file_size()) + " " +
                                   std::to_string(entry.last_write_time().time_since_epoch().count()) + " " +
                                   std::to_string(ComputeChecksum64(text.data(), text.size()));
  }
  return files;
}

class PredictTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_predict_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Trains 2 epochs of Wide & Deep with 2 servers whose memory tier holds a
  // part of the rows (the rest in RocksDB, so the checkpoint has cold rows),
  // checkpointing at the end; returns the last checkpoint's directory.
  std::string TrainCtr() {
    EXPECT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=20000 --test_rows=3000 --seed=7").exit_code, 0);
    const CommandResult train = RunEmber(
        "train --model=wide_deep --hidden=64,32 --embedding_dim=8 --batch_size=256 --epochs=2 "
        "--deterministic --num_servers=2 --server_memory_bytes=400000 --gauc_field=0 --train_files=" +
        dir_ + "/train.tsv --eval_files=" + dir_ + "/test.tsv --checkpoint_dir=" + dir_ +
        "/ckpt --eval_scores_out=" + dir_ + "/train_scores.txt --metrics_out=" + dir_ + "/metrics.jsonl");
    EXPECT_EQ(train.exit_code, 0) << train.output;
    EXPECT_NE(train.output.find("RocksDB"), std::string::npos) << "no row went to the disk tier\n" << train.output;
    return LastCheckpoint();
  }

  std::string LastCheckpoint() const {
    std::string last;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/ckpt")) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("step-", 0) == 0 && name.find(".tmp") == std::string::npos && entry.path().string() > last) {
        last = entry.path().string();
      }
    }
    return last;
  }

  std::string dir_;
};

TEST_F(PredictTest, ScoresAreTheTrainingsLastEvaluationBitForBitWithAnyServerCount) {
  const std::string checkpoint = TrainCtr();
  ASSERT_FALSE(checkpoint.empty());
  ASSERT_TRUE(std::filesystem::exists(checkpoint + "/server-0/rocksdb")) << "the checkpoint has no cold rows";
  const std::map<std::string, std::string> before = Snapshot(checkpoint);
  const std::string trained = FileText(dir_ + "/train_scores.txt");
  ASSERT_GT(trained.size(), 3000u);
  // The servers of the training job (2), more (3, keys move by jump hash),
  // one with a memory tier smaller than the table's.
  for (const std::string& servers : {std::string("--num_servers=2"), std::string("--num_servers=3"),
                                     std::string("--num_servers=1 --server_memory_bytes=200000")}) {
    const std::string out = dir_ + "/predicted.txt";
    std::filesystem::remove(out);
    // No model flag: they come from the checkpoint; the batch size is the
    // training's, so that every GEMM adds in the same order.
    const CommandResult predict = RunEmber("predict --checkpoint=" + checkpoint + " --files=" + dir_ +
                                           "/test.tsv --out=" + out + " --batch_size=256 " + servers);
    ASSERT_EQ(predict.exit_code, 0) << servers << "\n" << predict.output;
    EXPECT_NE(predict.output.find("wrote " + out + ": 3000 scores"), std::string::npos) << predict.output;
    EXPECT_EQ(FileText(out), trained) << servers;
  }
  EXPECT_EQ(Snapshot(checkpoint), before) << "predict changed the checkpoint";
}

// A CSV with an id column (skipped by the model): predict --id_column writes
// each record's id beside its score, in input order, past a malformed line.
TEST_F(PredictTest, AnIdColumnIsCarriedBesideEachScore) {
  ASSERT_EQ(RunEmber("gen-data --out_dir=" + dir_ + " --train_rows=4000 --test_rows=500 --seed=8").exit_code, 0);
  // row-<n>,<the Criteo fields, comma-separated>; one malformed line.
  auto to_csv = [&](const std::string& tsv, const std::string& csv, bool with_garbage) {
    std::istringstream in(FileText(tsv));
    std::string text, line;
    for (int n = 0; std::getline(in, line); ++n) {
      for (char& c : line) c = c == '\t' ? ',' : c;
      text += "row-" + std::to_string(n) + "," + line + "\n";
      if (with_garbage && n == 100) text += "not,a,record\n";
    }
    ASSERT_TRUE(WriteFileAtomically(csv, text).ok());
  };
  to_csv(dir_ + "/train.tsv", dir_ + "/train.csv", false);
  to_csv(dir_ + "/test.tsv", dir_ + "/test.csv", true);
  const CommandResult train = RunEmber(
      "train --model=lr --data_format=schema --schema=skip,label,logdense*13,cat*26 --batch_size=128 "
      "--deterministic --train_files=" +
      dir_ + "/train.csv --eval_files=" + dir_ + "/test.csv --checkpoint_dir=" + dir_ +
      "/ckpt --eval_scores_out=" + dir_ + "/train_scores.txt");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string out = dir_ + "/scores.tsv";
  const CommandResult predict = RunEmber("predict --checkpoint=" + LastCheckpoint() + " --files=" + dir_ +
                                         "/test.csv --out=" + out + " --id_column=1 --batch_size=128");
  ASSERT_EQ(predict.exit_code, 0) << predict.output;
  std::istringstream trained(FileText(dir_ + "/train_scores.txt"));
  std::istringstream written(FileText(out));
  std::string line, score;
  ASSERT_TRUE(std::getline(written, line));
  EXPECT_EQ(line, "id\tscore");
  int n = 0;
  for (; std::getline(written, line); ++n) {
    ASSERT_TRUE(std::getline(trained, score)) << "more lines than the training scored: " << line;
    EXPECT_EQ(line, "row-" + std::to_string(n) + "\t" + score);
  }
  EXPECT_EQ(n, 500);
  EXPECT_FALSE(std::filesystem::exists(out + ".scores.tmp"));
  // Not on a Criteo-format checkpoint; not past the schema's columns.
  EXPECT_EQ(RunEmber("predict --checkpoint=" + LastCheckpoint() + " --files=" + dir_ + "/test.csv --out=" + out +
                     " --id_column=42")
                .exit_code,
            2);
}

TEST_F(PredictTest, EvalPrintsTheTrainingsEvalLine) {
  const std::string checkpoint = TrainCtr();
  const std::string trained = LastLineStartingWith(FileText(dir_ + "/metrics.jsonl"), "{\"event\": \"eval\"");
  ASSERT_NE(trained.find("\"epoch\": 1"), std::string::npos) << trained;
  ASSERT_NE(trained.find("test_gauc"), std::string::npos) << trained;
  const CommandResult eval = RunEmber("eval --checkpoint=" + checkpoint + " --eval_files=" + dir_ +
                                      "/test.tsv --batch_size=256 --gauc_field=0 --num_servers=3");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_EQ(LastLineStartingWith(eval.output, "{"), trained) << eval.output;
}

TEST_F(PredictTest, EvalOfARankingModelGivesItsHitRateAndNdcg) {
  ASSERT_EQ(RunEmber("gen-data --kind=sequences --out_dir=" + dir_ + " --num_users=300 --num_items=200").exit_code, 0);
  const CommandResult train = RunEmber(
      "train --model=bst --data_format=interactions --hidden=32 --batch_size=250 --deterministic --train_files=" +
      dir_ + "/interactions.txt --checkpoint_dir=" + dir_ + "/ckpt --metrics_out=" + dir_ + "/metrics.jsonl");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string trained = LastLineStartingWith(FileText(dir_ + "/metrics.jsonl"), "{\"event\": \"eval\"");
  ASSERT_NE(trained.find("test_hr@10"), std::string::npos) << trained;
  const CommandResult eval = RunEmber("eval --checkpoint=" + LastCheckpoint() + " --eval_files=" + dir_ +
                                      "/interactions.txt --batch_size=250");
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  EXPECT_EQ(LastLineStartingWith(eval.output, "{"), trained) << eval.output;
}

// gen-data's sequences: the next item's cluster is the successor of the
// latest item's cluster with probability 0.8 (data/synthetic_sequences.h).
// A trained DIN's top items per user must be items the user never had,
// ranked by score, and follow that rule far above chance (1 in 20).
TEST_F(PredictTest, TopItemsPerUserOfARankingModelFollowTheTrueNextItem) {
  ASSERT_EQ(RunEmber("gen-data --kind=sequences --out_dir=" + dir_ + " --num_users=300 --num_items=200").exit_code, 0);
  const std::string data = dir_ + "/interactions.txt";
  const CommandResult train = RunEmber(
      "train --model=din --data_format=interactions --embedding_dim=16 --hidden=32 --epochs=5 --eval_negatives=20 "
      "--max_seq_len=5 --batch_size=250 --dense_learning_rate=0.005 --deep_learning_rate=0.1 --deterministic "
      "--train_files=" +
      data + " --checkpoint_dir=" + dir_ + "/ckpt");
  ASSERT_EQ(train.exit_code, 0) << train.output;
  const std::string out = dir_ + "/top.tsv";
  const CommandResult predict = RunEmber("predict --checkpoint=" + LastCheckpoint() + " --files=" + data +
                                         " --out=" + out + " --top_k=3 --num_workers=2 --num_servers=2");
  ASSERT_EQ(predict.exit_code, 0) << predict.output;
  EXPECT_NE(predict.output.find("the top 3 items of 300 users"), std::string::npos) << predict.output;
  EXPECT_FALSE(std::filesystem::exists(out + ".scores.tmp"));
  // Each user's items and latest item, from the file (`user item` lines in
  // time order).
  std::map<std::string, std::set<std::string>> had;
  std::map<std::string, int> latest;
  std::vector<std::string> users_in_order;
  {
    std::istringstream in(FileText(data));
    for (std::string user, item; in >> user >> item;) {
      if (!had.count(user)) users_in_order.push_back(user);
      had[user].insert(item);
      latest[user] = std::stoi(item);
    }
  }
  std::istringstream in(FileText(out));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "user\trank\titem\tscore");
  int rows = 0, successor_first = 0;
  float previous = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string user, item;
    int rank = 0;
    float score = 0;
    ASSERT_TRUE(fields >> user >> rank >> item >> score) << line;
    ASSERT_LT(rows / 3, static_cast<int>(users_in_order.size())) << line;
    EXPECT_EQ(user, users_in_order[rows / 3]) << "users in the file's order";
    EXPECT_EQ(rank, rows % 3 + 1) << line;
    EXPECT_EQ(had[user].count(item), 0u) << user << " already had " << item;
    if (rank > 1) {
      EXPECT_LE(score, previous) << line;
    }
    previous = score;
    // 200 items in 20 clusters of 10: item id = cluster * 10 + rank + 1.
    if (rank == 1) successor_first += (std::stoi(item) - 1) / 10 == ((latest[user] - 1) / 10 + 1) % 20;
    ++rows;
  }
  EXPECT_EQ(rows, 3 * 300);
  // Measured: 101 of 300 (chance: 15).
  EXPECT_GT(successor_first, 60) << "top-1 items in the successor cluster of the latest item";
}

TEST_F(PredictTest, AWrongOrDamagedCheckpointIsRefusedNamingTheFileOrTheDifference) {
  const std::string checkpoint = TrainCtr();
  const std::string test = " --files=" + dir_ + "/test.tsv --out=" + dir_ + "/p.txt";
  // A model flag that contradicts the checkpoint.
  const CommandResult contradicts = RunEmber("predict --checkpoint=" + checkpoint + test + " --embedding_dim=4");
  EXPECT_EQ(contradicts.exit_code, 1) << contradicts.output;
  EXPECT_NE(contradicts.output.find("embedding_dim is 8 in the checkpoint and 4 now"), std::string::npos)
      << contradicts.output;
  // Not a checkpoint.
  const CommandResult missing = RunEmber("predict --checkpoint=" + dir_ + test);
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find(dir_ + "/MANIFEST"), std::string::npos) << missing.output;
  // A byte of a rows file changed, and dense.bin cut short.
  const std::string damaged = dir_ + "/damaged";
  std::filesystem::copy(checkpoint, damaged, std::filesystem::copy_options::recursive);
  {
    std::string rows = FileText(damaged + "/server-1/table-1.rows");
    ASSERT_GT(rows.size(), 100u);
    rows[rows.size() / 2] ^= 0x10;
    ASSERT_TRUE(WriteFileAtomically(damaged + "/server-1/table-1.rows", rows).ok());
  }
  const CommandResult corrupted = RunEmber("predict --checkpoint=" + damaged + test);
  EXPECT_EQ(corrupted.exit_code, 1) << corrupted.output;
  EXPECT_NE(corrupted.output.find(damaged + "/server-1/table-1.rows is corrupted"), std::string::npos)
      << corrupted.output;
  std::filesystem::resize_file(damaged + "/dense.bin", 10);
  const CommandResult truncated = RunEmber("eval --checkpoint=" + damaged + " --eval_files=" + dir_ + "/test.tsv");
  EXPECT_EQ(truncated.exit_code, 1) << truncated.output;
  EXPECT_NE(truncated.output.find(damaged + "/dense.bin"), std::string::npos) << truncated.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/p.txt"));
}

TEST_F(PredictTest, UsageErrorsExitTwoNamingTheFlag) {
  const CommandResult help = RunEmber("predict --help");
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--checkpoint", "--files", "--out", "--num_servers"}) {
    EXPECT_NE(help.output.find(flag), std::string::npos) << flag << "\n" << help.output;
  }
  EXPECT_NE(RunEmber("eval --help").output.find("--checkpoint"), std::string::npos);
  struct Case {
    std::string args, reason;
  };
  for (const Case& c : {Case{"predict --files=x.tsv --out=" + dir_ + "/p.txt", "--checkpoint=DIR"},
                        Case{"predict --checkpoint=" + dir_ + " --out=" + dir_ + "/p.txt", "--files is required"},
                        Case{"predict --checkpoint=" + dir_ + " --files=x.tsv", "--out=FILE"},
                        Case{"eval --checkpoint=" + dir_ + " --scores=s.txt --eval_files=x.tsv", "--scores does not"},
                        Case{"predict --checkpoint=" + dir_ + " --files=x.tsv --out=" + dir_ + "/p.txt --epochs=2",
                             "--epochs does not apply"}}) {
    const CommandResult result = RunEmber(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args << "\n" << result.output;
    EXPECT_NE(result.output.find(c.reason), std::string::npos) << c.args << "\n" << result.output;
  }
}

}  // namespace
}  // namespace ember
