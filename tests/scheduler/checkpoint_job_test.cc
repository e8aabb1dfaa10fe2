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
#include <regex>
#include <string>
#include <thread>

#include "common/files.h"
#include "storage/checkpoint_dump.h"
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
         "--compute_threads=1 --deterministic --progress_every_steps=1000 --seed=5 " +
         extra;
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
    const CommandResult generated = RunShell(std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + *data_dir +
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
    const CommandResult inspect =
        RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + StepDir(broken_dir, killed_at));
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
    std::smatch worker0;
    ASSERT_TRUE(std::regex_search(inspect.output, worker0,
                                  std::regex("worker 0: epoch 0, global_step [0-9]+, samples "
                                             "[0-9]+, ([0-9.e+-]+) s;")))
        << inspect.output;
    const double checkpoint_seconds = std::stod(worker0[1].str());
    EXPECT_GT(checkpoint_seconds, 0) << inspect.output;

    const CommandResult resumed =
        RunShell(Job("--num_servers=" + std::to_string(resume_servers) + " --checkpoint_dir=" + broken_dir + steps +
                     " --checkpoint_every_steps=" + std::to_string(kN) + " --resume=auto --metrics_out=" + run_dir_ +
                     "/resumed.jsonl"));
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
      EXPECT_EQ(NumberOr(whole_final, field, -1), NumberOr(resumed_final, field, -2)) << field;
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
    const CommandResult run =
        RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ + "/ckpt --max_steps=" + std::to_string(steps) +
                     " --checkpoint_every_steps=" + std::to_string(every)));
    ASSERT_EQ(run.exit_code, 0) << run.output;
  }

  std::string run_dir_;
};

TEST_F(CheckpointJobTest, ResumeAfterKillIsExact) { ExpectExactResume(/*resume_servers=*/2); }

TEST_F(CheckpointJobTest, ResumeOntoThreeServersIsExact) { ExpectExactResume(/*resume_servers=*/3); }

// A crash (SIGKILL) at every named step of the checkpoint protocol
// (storage/crash_point.h), one run per step on one checkpoint root, each
// run resuming from what the one before left. After each: the step was
// reached and the process died by SIGKILL; the checkpoint before the one
// being written is complete (it verifies and inspects as `ember inspect`
// does it, in this process), and so is the one being written when the step
// comes after its rename; the newest complete one is the one the step says;
// and the next run resumes from it. Each point hit prints one line.
TEST_F(CheckpointJobTest, KillDuringCheckpointsLeavesTheLastOneComplete) {
  struct Crash {
    const char* point;
    int nth;         // the arrival that kills (each of the 2 servers writes a shard)
    bool committed;  // whether the checkpoint being written is complete at the crash
  };
  // The first run starts fresh, so it crashes in its second checkpoint
  // (arrival 3: its first shard). prune-manifest-removed comes when a run's
  // commit finds more than --keep_checkpoints=2 complete ones (here the
  // run's second commit); it is not last, so that a run resumes beside the
  // half-pruned checkpoint.
  const Crash crashes[] = {
      {"shard-written", 3, false},         {"before-manifest", 1, false}, {"before-rename", 1, false},
      {"prune-manifest-removed", 1, true}, {"after-rename", 1, true},
  };
  const std::string root = run_dir_ + "/ckpt";
  // The step of the last "checkpoint step <N>: committed" line of `output`, or -1.
  auto last_committed = [](const std::string& output) {
    const std::regex line("checkpoint step ([0-9]+): committed");
    int64_t step = -1;
    for (std::sregex_iterator it(output.begin(), output.end(), line), end; it != end; ++it) {
      step = std::stoll((*it)[1].str());
    }
    return step;
  };
  // The highest step of a step-N or step-N.tmp directory under root: the
  // checkpoint a crash interrupted (each run goes past the steps of the last).
  auto highest_step_dir = [](const std::string& root) {
    int64_t highest = -1;
    for (const auto& entry : fs::directory_iterator(root)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("step-", 0) == 0) highest = std::max<int64_t>(highest, std::stoll(name.substr(5)));
    }
    return highest;
  };
  int64_t resumed_from = -1;
  for (const Crash& crash : crashes) {
    const std::string crash_at = std::string(crash.point) + ":" + std::to_string(crash.nth);
    SCOPED_TRACE("EMBER_TEST_CRASH_AT=" + crash_at);
    // --max_steps: a point never reached ends the job instead of its epochs.
    const CommandResult run =
        RunShell("{ EMBER_TEST_CRASH_AT=" + crash_at + " " +
                 Job("--num_servers=2 --checkpoint_dir=" + root +
                     " --checkpoint_every_steps=3 --keep_checkpoints=2 --resume=auto --max_steps=" +
                     std::to_string(std::max<int64_t>(resumed_from, 0) + 20)) +
                 "; echo \"job exit status $?\"; }");
    ASSERT_NE(run.output.find("crash point " + std::string(crash.point) + " reached"), std::string::npos) << run.output;
    // The shell's status of a command killed by signal 9.
    ASSERT_NE(run.output.find("job exit status " + std::to_string(128 + SIGKILL)), std::string::npos) << run.output;
    if (resumed_from >= 0) {
      EXPECT_NE(run.output.find("resuming from " + StepDir(root, resumed_from)), std::string::npos) << run.output;
    }
    const int64_t written = highest_step_dir(root);
    const int64_t committed_before = last_committed(run.output);
    const int64_t previous = committed_before >= 0 ? committed_before : resumed_from;
    ASSERT_GE(previous, 3) << run.output;
    ASSERT_GT(written, previous) << run.output;
    const StatusOr<std::string> previous_inspect = storage::InspectCheckpoint(StepDir(root, previous));
    EXPECT_TRUE(previous_inspect.ok()) << previous_inspect.status();
    const int64_t newest = NewestStep(root);
    if (crash.committed) {
      EXPECT_EQ(newest, written);
      const StatusOr<std::string> written_inspect = storage::InspectCheckpoint(StepDir(root, written));
      EXPECT_TRUE(written_inspect.ok()) << written_inspect.status();
    } else {
      EXPECT_EQ(newest, previous);
      EXPECT_TRUE(fs::exists(StepDir(root, written) + ".tmp"));
      EXPECT_FALSE(fs::exists(StepDir(root, written) + "/MANIFEST"));
    }
    if (std::string(crash.point) == "prune-manifest-removed") {
      // The checkpoint being pruned lost its MANIFEST first: it no longer
      // counts as complete, and inspect refuses it.
      int64_t half_pruned = -1;
      for (const auto& entry : fs::directory_iterator(root)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("step-", 0) == 0 && name.find('.') == std::string::npos &&
            !fs::exists(entry.path() / "MANIFEST")) {
          half_pruned = std::stoll(name.substr(5));
        }
      }
      ASSERT_GE(half_pruned, 0) << "no checkpoint is half pruned";
      EXPECT_LT(half_pruned, previous);
      EXPECT_FALSE(storage::InspectCheckpoint(StepDir(root, half_pruned)).ok());
    }
    std::printf("crash point %s hit: SIGKILL in the checkpoint of step %lld; newest complete step %lld verified\n",
                crash_at.c_str(), static_cast<long long>(written), static_cast<long long>(newest));
    resumed_from = newest;
  }
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
  const CommandResult full =
      RunShell("ulimit -f 256; trap '' XFSZ; " + Job("--num_servers=1 --checkpoint_dir=" + root +
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
  const CommandResult resumed =
      RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ + "/ckpt --resume=auto --embedding_dim=4"));
  EXPECT_NE(resumed.exit_code, 0);
  EXPECT_NE(resumed.output.find("embedding_dim is 8 in the checkpoint and 4 now"), std::string::npos) << resumed.output;
  const CommandResult other_workers =
      RunShell(Job("--num_servers=2 --checkpoint_dir=" + run_dir_ + "/ckpt --resume=auto --num_workers=3"));
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
  const CommandResult tiered =
      RunShell(Job("--num_servers=2 --max_steps=60 --server_memory_bytes=100000 "
                   "--rocksdb_write_buffer_bytes=262144 "
                   "--server_storage_dir=" +
                   run_dir_ + "/storage --metrics_out=" + run_dir_ + "/tiered.jsonl"));
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
  EXPECT_EQ(NumberOr(tiered_final, "test_auc", -1), NumberOr(memory_final, "test_auc", -2));
}

TEST_F(CheckpointJobTest, InspectAndExportThroughTheBinary) {
  MakeCheckpoints(/*every=*/5, /*steps=*/5);
  const std::string step = StepDir(run_dir_ + "/ckpt", 5);
  const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + step);
  ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("step"), std::string::npos) << inspect.output;
  const std::string out = run_dir_ + "/export";
  const CommandResult exported = RunShell(std::string(EMBER_BINARY_PATH) + " export " + step + " --out=" + out);
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_TRUE(fs::exists(out + "/index.json"));
  const CommandResult missing_out = RunShell(std::string(EMBER_BINARY_PATH) + " export " + step);
  EXPECT_EQ(missing_out.exit_code, 2) << missing_out.output;
  const CommandResult no_path = RunShell(std::string(EMBER_BINARY_PATH) + " inspect");
  EXPECT_EQ(no_path.exit_code, 2) << no_path.output;
}

}  // namespace
}  // namespace ember
