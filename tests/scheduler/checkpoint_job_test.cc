// Checkpoints and resume of whole jobs, through the ember binary: exact
// resume after kill -9 (also onto another number of servers), kill -9 in
// the middle of checkpoints, corrupted and truncated files, a full disk, a
// changed model configuration, a table ten times larger than its memory
// budget, and inspect / export.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include "common/files.h"
#include "tests/util/background_process.h"
#include "tests/util/command.h"

namespace ember {
namespace {

namespace fs = std::filesystem;
using testing_util::CommandResult;
using testing_util::FinalMetricsLine;
using testing_util::JsonStringList;
using testing_util::RunShell;
// The jobs these tests kill: a process group of their own, killed and reaped
// at the end of its scope.
using Background = testing_util::BackgroundProcess;

// A number field of a JSON line, or `missing`.
double NumberOr(const std::string& json, const std::string& name, double missing) {
  StatusOr<double> value = JsonNumberField(json, name);
  return value.ok() ? *value : missing;
}

// The generated data every test trains on.
std::string* data_dir = nullptr;

// A small deterministic Wide & Deep job of 2 workers (117 steps an epoch),
// under `timeout`.
std::string Job(const std::string& extra) {
  return "timeout 300 " + std::string(EMBER_BINARY_PATH) + " train --train_files=" + *data_dir +
         "/train.tsv --eval_files=" + *data_dir +
         "/test.tsv --model=wide_deep --embedding_dim=8 --hidden=32,16 --batch_size=256 --num_workers=2 "
         "--compute_threads=1 --deterministic --progress_every_steps=1000 --seed=5 " + extra;
}

std::string StepDir(const std::string& root, int64_t step) {
  const std::string digits = std::to_string(step);
  return root + "/step-" + std::string(12 - digits.size(), '0') + digits;
}

// Step of the newest complete checkpoint under `root`, or -1.
int64_t NewestStep(const std::string& root) {
  int64_t newest = -1;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("step-", 0) != 0 || name.find('.') != std::string::npos) continue;
    if (!fs::exists(entry.path() / "MANIFEST")) continue;
    newest = std::max<int64_t>(newest, std::stoll(name.substr(5)));
  }
  return newest;
}

class CheckpointJobTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_dir = new std::string(
        (fs::path(::testing::TempDir()) / ("ember_checkpoint_job_" + std::to_string(::getpid()))).lexically_normal());
    fs::create_directories(*data_dir);
    const CommandResult generated =
        RunShell(std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + *data_dir +
                 " --train_rows=60000 --test_rows=5000 --seed=11");
    ASSERT_EQ(generated.exit_code, 0) << generated.output;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*data_dir);
    delete data_dir;
  }
  void SetUp() override {
    run_dir_ = *data_dir + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(run_dir_);
    fs::create_directories(run_dir_);
  }

  // 4N steps in one run against: checkpoints every N, kill -9 once the
  // first is committed, resume with `resume_servers` servers, run to 4N.
  // The final dense parameters and optimizer state (dense.bin of the last
  // checkpoint), every table's rows with their optimizer state and meta
  // (table checksums, which do not depend on the sharding) and the
  // evaluation must be bitwise equal.
  void ExpectExactResume(int resume_servers) {
    constexpr int kN = 25;
    const std::string steps = " --max_steps=" + std::to_string(4 * kN);
    const std::string whole_dir = run_dir_ + "/whole";
    const CommandResult whole = RunShell(
        Job("--num_servers=2 --checkpoint_dir=" + whole_dir + steps + " --metrics_out=" + run_dir_ + "/whole.jsonl"));
    ASSERT_EQ(whole.exit_code, 0) << whole.output;

    const std::string broken_dir = run_dir_ + "/broken";
    {
      Background run(Job("--num_servers=2 --checkpoint_dir=" + broken_dir + steps +
                         " --checkpoint_every_steps=" + std::to_string(kN)),
                     run_dir_ + "/broken.log");
      ASSERT_TRUE(run.WaitForOutput("committed", std::chrono::seconds(120))) << run.output();
      run.Kill9();
    }
    const int64_t killed_at = NewestStep(broken_dir);
    ASSERT_GE(killed_at, kN);
    ASSERT_LT(killed_at, 4 * kN) << "the job ended before the kill: nothing left to resume";
    // The mid-epoch checkpoint holds the seconds its samples took.
    const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + StepDir(broken_dir, killed_at));
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
    std::smatch worker0;
    ASSERT_TRUE(std::regex_search(inspect.output, worker0, std::regex("worker 0: epoch 0, global_step [0-9]+, samples "
                                                                      "[0-9]+, ([0-9.e+-]+) s;")))
        << inspect.output;
    const double checkpoint_seconds = std::stod(worker0[1].str());
    EXPECT_GT(checkpoint_seconds, 0) << inspect.output;

    const CommandResult resumed = RunShell(Job("--num_servers=" + std::to_string(resume_servers) +
                                               " --checkpoint_dir=" + broken_dir + steps +
                                               " --checkpoint_every_steps=" + std::to_string(kN) +
                                               " --resume=auto --metrics_out=" + run_dir_ + "/resumed.jsonl"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("resuming from " + StepDir(broken_dir, killed_at)), std::string::npos)
        << resumed.output.substr(0, 3000);

    const std::string whole_final = FinalMetricsLine(run_dir_ + "/whole.jsonl");
    const std::string resumed_final = FinalMetricsLine(run_dir_ + "/resumed.jsonl");
    ASSERT_FALSE(whole_final.empty());
    ASSERT_FALSE(resumed_final.empty()) << resumed.output;
    for (const char* field : {"dense_checksums", "table_checksums"}) {
      EXPECT_FALSE(JsonStringList(whole_final, field).empty()) << field;
      EXPECT_EQ(JsonStringList(whole_final, field), JsonStringList(resumed_final, field)) << field;
    }
    for (const char* field : {"steps", "samples", "test_auc", "test_logloss"}) {
      EXPECT_EQ(NumberOr(whole_final, field, -1), NumberOr(resumed_final, field, -2))
          << field;
    }
    // The resumed job's samples_per_sec counts the seconds the checkpoint's
    // samples took: at most samples over those seconds (it once divided
    // every sample by the resumed run's seconds alone).
    EXPECT_LE(NumberOr(resumed_final, "samples_per_sec", -1),
              1.0001 * NumberOr(resumed_final, "samples", 0) / checkpoint_seconds)
        << resumed_final;
    // The dense parameters and the dense optimizer's state, byte for byte.
    StatusOr<std::string> whole_dense = ReadFileToString(StepDir(whole_dir, 4 * kN) + "/dense.bin");
    StatusOr<std::string> resumed_dense = ReadFileToString(StepDir(broken_dir, 4 * kN) + "/dense.bin");
    ASSERT_TRUE(whole_dense.ok()) << whole_dense.status();
    ASSERT_TRUE(resumed_dense.ok()) << resumed_dense.status();
    EXPECT_TRUE(*whole_dense == *resumed_dense) << "dense.bin differs";
  }

  // A job of `steps` steps that leaves checkpoints under run_dir_/ckpt.
  void MakeCheckpoints(int64_t every, int64_t steps) {
    const CommandResult run = RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ + "/ckpt --max_steps=" +
                                           std::to_string(steps) + " --checkpoint_every_steps=" +
                                           std::to_string(every)));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }

  std::string run_dir_;
};

TEST_F(CheckpointJobTest, ResumeAfterKillIsExact) { ExpectExactResume(/*resume_servers=*/2); }

TEST_F(CheckpointJobTest, ResumeOntoThreeServersIsExact) { ExpectExactResume(/*resume_servers=*/3); }

// kill -9 at random points while checkpoints are being written: the newest
// complete checkpoint always verifies, and the job resumes from it.
TEST_F(CheckpointJobTest, KillDuringCheckpointsLeavesTheLastOneComplete) {
  std::mt19937 random(20261128);
  const std::string root = run_dir_ + "/ckpt";
  for (int attempt = 0; attempt < 3; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    {
      Background run(Job("--num_servers=2 --checkpoint_dir=" + root +
                         " --checkpoint_every_steps=3 --keep_checkpoints=2 --resume=auto"),
                     run_dir_ + "/run.log");
      // Past a commit of this run, then into the writing of a later checkpoint.
      ASSERT_TRUE(run.WaitForOutput("committed", std::chrono::seconds(120))) << run.output();
      const size_t writing = run.output().rfind(": writing");
      ASSERT_TRUE(run.WaitForOutput(": writing", std::chrono::seconds(60)));
      for (int i = 0; i < 60000 && run.output().rfind(": writing") == writing; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      // A checkpoint of this job takes ~20 ms from "writing" to "committed".
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 10000));
      run.Kill9();
      const bool mid_checkpoint = run.output().rfind("committed") < run.output().rfind(": writing");
      std::printf("attempt %d: killed %s\n", attempt, mid_checkpoint ? "while a checkpoint was being written"
                                                                       : "between checkpoints");
    }
    const int64_t newest = NewestStep(root);
    ASSERT_GE(newest, 3);
    const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + StepDir(root, newest));
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  }
  const int64_t newest = NewestStep(root);
  const CommandResult finish =
      RunShell(Job("--num_servers=2 --checkpoint_dir=" + root + " --resume=auto --max_steps=" +
                   std::to_string(newest + 2)));
  ASSERT_EQ(finish.exit_code, 0) << finish.output;
  EXPECT_NE(finish.output.find("resuming from " + StepDir(root, newest)), std::string::npos) << finish.output;
}

TEST_F(CheckpointJobTest, CorruptedOrTruncatedFileIsRefusedNamingIt) {
  MakeCheckpoints(/*every=*/10, /*steps=*/10);
  const std::string step = StepDir(run_dir_ + "/ckpt", 10);
  const std::string rows = step + "/server-1/table-0.rows";
  ASSERT_TRUE(fs::exists(rows));
  {
    std::fstream file(rows, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(fs::file_size(rows) / 2));
    char byte = 0;
    file.read(&byte, 1);
    file.seekp(static_cast<std::streamoff>(fs::file_size(rows) / 2));
    byte = static_cast<char>(byte ^ 0x40);
    file.write(&byte, 1);
  }
  CommandResult resumed = RunShell(Job("--num_servers=2 --resume=" + step + " --max_steps=12"));
  EXPECT_NE(resumed.exit_code, 0);
  EXPECT_NE(resumed.output.find("server-1/table-0.rows"), std::string::npos) << resumed.output;

  const std::string dense = step + "/dense.bin";
  fs::resize_file(dense, fs::file_size(dense) - 7);
  const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + step);
  EXPECT_NE(inspect.exit_code, 0);
  EXPECT_NE(inspect.output.find("dense.bin"), std::string::npos) << inspect.output;
}

// A disk that fills up (here: a file-size limit) during a checkpoint: a
// clear error, and the previous checkpoint stays complete and usable.
TEST_F(CheckpointJobTest, FullDiskDuringCheckpointKeepsThePreviousOne) {
  MakeCheckpoints(/*every=*/10, /*steps=*/10);
  const std::string root = run_dir_ + "/ckpt";
  const std::string previous = StepDir(root, 10);
  // 256 KiB per file: the wide table's rows file of the next checkpoint is larger.
  const CommandResult full = RunShell("ulimit -f 256; trap '' XFSZ; " +
                                      Job("--num_servers=1 --checkpoint_dir=" + root +
                                          " --resume=auto --checkpoint_every_steps=20 --max_steps=40"));
  EXPECT_NE(full.exit_code, 0) << full.output;
  EXPECT_NE(full.output.find("checkpoint step 20"), std::string::npos) << full.output;
  EXPECT_NE(full.output.find("file-size limit"), std::string::npos) << full.output;
  EXPECT_EQ(NewestStep(root), 10);
  const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + previous);
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  const CommandResult resumed = RunShell(Job("--num_servers=1 --resume=" + previous + " --max_steps=12"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
}

TEST_F(CheckpointJobTest, ChangedModelConfigurationIsRefusedNamingTheDifference) {
  MakeCheckpoints(/*every=*/5, /*steps=*/5);
  const CommandResult resumed = RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ +
                                             "/ckpt --resume=auto --embedding_dim=4"));
  EXPECT_NE(resumed.exit_code, 0);
  EXPECT_NE(resumed.output.find("embedding_dim is 8 in the checkpoint and 4 now"), std::string::npos)
      << resumed.output;
  const CommandResult other_workers = RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ +
                                                   "/ckpt --resume=auto --num_workers=3"));
  EXPECT_NE(other_workers.exit_code, 0);
  EXPECT_NE(other_workers.output.find("2 workers"), std::string::npos) << other_workers.output;
}

// Tables ten times larger than the servers' memory budget train to exactly
// the rows of the same deterministic job with everything in memory.
TEST_F(CheckpointJobTest, TableTenTimesTheMemoryBudgetEndsBitwiseEqual) {
  const CommandResult in_memory =
      RunShell(Job("--num_servers=2 --max_steps=60 --metrics_out=" + run_dir_ + "/memory.jsonl"));
  ASSERT_EQ(in_memory.exit_code, 0) << in_memory.output;
  const std::string memory_final = FinalMetricsLine(run_dir_ + "/memory.jsonl");
  const std::vector<std::string> rows = JsonStringList(memory_final, "table_checksums");
  ASSERT_FALSE(rows.empty());
  // Each server ends with ~13k rows of the deep table (72 bytes of floats
  // each, plus the index); 100 kB per server keeps well under a tenth of
  // them in memory (checked below).
  // A small memtable makes RocksDB flush evicted rows to SST files (and read them back) during the run.
  const CommandResult tiered = RunShell(Job("--num_servers=2 --max_steps=60 --server_memory_bytes=100000 "
                                            "--rocksdb_write_buffer_bytes=262144 "
                                            "--server_storage_dir=" + run_dir_ + "/storage --metrics_out=" +
                                            run_dir_ + "/tiered.jsonl"));
  ASSERT_EQ(tiered.exit_code, 0) << tiered.output;
  // Most rows were on disk: the servers' last lines say how many stayed in memory.
  const std::regex table_line(R"(table deep: (\d+) rows \((\d+) in memory\))");
  int servers_seen = 0;
  for (std::sregex_iterator it(tiered.output.begin(), tiered.output.end(), table_line), end; it != end; ++it) {
    EXPECT_GT(std::stoll((*it)[1]), 10 * std::stoll((*it)[2])) << it->str();
    ++servers_seen;
  }
  EXPECT_EQ(servers_seen, 2) << tiered.output;
  const std::string tiered_final = FinalMetricsLine(run_dir_ + "/tiered.jsonl");
  EXPECT_EQ(JsonStringList(tiered_final, "table_checksums"), rows);
  EXPECT_EQ(JsonStringList(tiered_final, "dense_checksums"), JsonStringList(memory_final, "dense_checksums"));
  EXPECT_EQ(NumberOr(tiered_final, "test_auc", -1),
            NumberOr(memory_final, "test_auc", -2));
}

TEST_F(CheckpointJobTest, InspectAndExportThroughTheBinary) {
  MakeCheckpoints(/*every=*/5, /*steps=*/5);
  const std::string step = StepDir(run_dir_ + "/ckpt", 5);
  const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + step);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("step"), std::string::npos) << inspect.output;
  const std::string out = run_dir_ + "/export";
  const CommandResult exported =
      RunShell(std::string(EMBER_BINARY_PATH) + " export " + step + " --out=" + out);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_TRUE(fs::exists(out + "/index.json"));
  const CommandResult missing_out = RunShell(std::string(EMBER_BINARY_PATH) + " export " + step);
  EXPECT_EQ(missing_out.exit_code, 2) << missing_out.output;
  const CommandResult no_path = RunShell(std::string(EMBER_BINARY_PATH) + " inspect");
  EXPECT_EQ(no_path.exit_code, 2) << no_path.output;
}

}  // namespace
}  // namespace ember
