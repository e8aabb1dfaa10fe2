// The RocksDB tier on a disk that refuses writes: a full tmpfs, and a file
// size limit (RLIMIT_FSIZE, which every machine allows). The job must stop
// at once with the storage path and the operating system's reason, and the
// newest checkpoint (on another disk) must stay intact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "tests/util/command.h"

namespace ember {
namespace {

using testing_util::CommandResult;
using testing_util::RunShell;

class DiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/ember_disk_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_ + "/tier");
    const CommandResult gen = RunShell(std::string(EMBER_BINARY_PATH) + " gen-data --out_dir=" + dir_ +
                                       " --train_rows=60000 --test_rows=1000 --seed=3 --vocab_scale=20");
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The training command: a memory budget far below the table, so rows move
  // to the tier from the first steps, and a checkpoint every 5 steps. With
  // small memtables (extra_flags) the disk fails while rows are written back
  // between checkpoints. The hard timeout (45 s) is below the workers' 60 s
  // wait for a reply, so a server that stops silently fails as a timeout.
  std::string TrainCommand(const std::string& extra_flags = "") const {
    return "exec timeout -k 5 45 " + std::string(EMBER_BINARY_PATH) +
           " train --model=wide_deep --hidden=8 --embedding_dim=16 --batch_size=256 --epochs=20"
           " --progress_every_steps=1000 --server_memory_bytes=1000000 --train_files=" +
           dir_ + "/train.tsv --server_storage_dir=" + dir_ + "/tier/storage --checkpoint_dir=" + dir_ +
           "/ckpt --checkpoint_every_steps=5 " + extra_flags;
  }

  // The job failed by itself, naming the storage directory and `reason`,
  // and the newest checkpoint it committed verifies.
  void ExpectStoppedWithIntactCheckpoint(const CommandResult& job, const std::string& reason) {
    EXPECT_NE(job.exit_code, 0) << job.output;
    EXPECT_NE(job.exit_code, 124) << "the job hung until the timeout\n" << job.output;
    EXPECT_NE(job.output.find(dir_ + "/tier/storage/server-0"), std::string::npos) << job.output;
    EXPECT_NE(job.output.find(reason), std::string::npos) << job.output;
    const size_t last = job.output.rfind("ember train: ");
    ASSERT_NE(last, std::string::npos) << job.output;
    EXPECT_NE(job.output.find(reason, last), std::string::npos) << "the final line names the cause\n" << job.output;
    ASSERT_NE(job.output.find("committed " + dir_ + "/ckpt/step-"), std::string::npos)
        << "no checkpoint before the disk filled\n"
        << job.output;
    std::string newest;
    for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/ckpt")) {
      const std::string name = entry.path().filename().string();
      if (name.find('.') == std::string::npos && name > newest) newest = name;
    }
    ASSERT_FALSE(newest.empty());
    const CommandResult inspect = RunShell(std::string(EMBER_BINARY_PATH) + " inspect " + dir_ + "/ckpt/" + newest);
    EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  }

  std::string dir_;
};

TEST_F(DiskTest, FullTmpfsUnderTheTierStopsTheJobNamingTheDisk) {
  // A private mount namespace: root may mount there; others need a user
  // namespace (-r). Where neither is allowed, the file size case below
  // covers the same path.
  const std::string unshare = ::geteuid() == 0 ? "unshare -m" : "unshare -rm";
  const std::string mount = "mount -t tmpfs -o size=16m tmpfs " + dir_ + "/tier";
  if (RunShell(unshare + " sh -c '" + mount + "'").exit_code != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here";
  }
  const CommandResult job =
      RunShell(unshare + " sh -c '" + mount + " && " + TrainCommand("--rocksdb_write_buffer_bytes=262144") + "'");
  ExpectStoppedWithIntactCheckpoint(job, "No space left on device");
}

TEST_F(DiskTest, FileSizeLimitUnderTheTierStopsTheJobNamingTheDisk) {
  // Past the limit write(2) fails with EFBIG once SIGXFSZ is ignored (an
  // ignored signal stays ignored across exec). 3 MiB: above every
  // checkpoint file of this job and the tier's flushed table files, below
  // what its compactions write.
  const CommandResult job =
      RunShell("bash -c 'trap \"\" XFSZ; ulimit -f 3072; " + TrainCommand("--rocksdb_write_buffer_bytes=262144") + "'");
  ExpectStoppedWithIntactCheckpoint(job, "File too large");
}

}  // namespace
}  // namespace ember
