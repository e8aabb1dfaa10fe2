// Checkpoint files and the checkpoint directory protocol: round trips of
// every file type and the MANIFEST, verification of damaged checkpoints,
// begin/commit/list/resume/prune, a full disk, and an export numpy loads.
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/checksum.h"
#include "common/files.h"
#include "storage/checkpoint.h"
#include "storage/checkpoint_dump.h"
#include "storage/checkpoint_files.h"
#include "storage/npy.h"

namespace ember::storage {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ember_ckpt_test_XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // Builds a small complete checkpoint of `step` under `root` with two
  // servers, one table, a dense file and a worker state.
  Manifest WriteCheckpoint(const std::string& root, int64_t step) {
    StatusOr<std::string> tmp = BeginCheckpoint(root, step);
    EXPECT_TRUE(tmp.ok()) << tmp.status();
    Manifest manifest;
    manifest.step = step;
    manifest.epoch = 1;
    manifest.num_servers = 2;
    manifest.num_workers = 1;
    manifest.config = {
        {"table.3.name", "wide"}, {"table.3.dim", "2"}, {"table.3.row_floats", "4"}, {"embedding_dim", "16"}};
    for (int s = 0; s < 2; ++s) {
      const std::string shard = *tmp + "/server-" + std::to_string(s);
      fs::create_directories(shard);
      RowsFileWriter rows;
      EXPECT_TRUE(rows.Open(shard + "/table-3.rows", 3, 4).ok());
      for (Key key = s; key < 10; key += 2) {
        const float row[4] = {static_cast<float>(key), static_cast<float>(key) + 0.5f, -1, -2};
        EXPECT_TRUE(rows.AddRow(key, row).ok());
      }
      rows.AddPendingCount(100 + s, 2, 7);
      StatusOr<FileEntry> entry = rows.Finish();
      EXPECT_TRUE(entry.ok()) << entry.status();
      manifest.files.push_back(*entry);
      StatusOr<FileEntry> server = WriteServerState(shard + "/server.state", {s, 40u + s, 7});
      EXPECT_TRUE(server.ok());
      manifest.files.push_back(*server);
    }
    StatusOr<FileEntry> dense =
        WriteDenseFile(*tmp + "/dense.bin", {{"mlp/w0", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"optimizer/step", {}, {9}}});
    EXPECT_TRUE(dense.ok()) << dense.status();
    manifest.files.push_back(*dense);
    WorkerState worker;
    worker.global_step = step;
    worker.reader_offset = 4096;
    worker.reader_line = 77;
    StatusOr<FileEntry> worker_entry = WriteWorkerState(*tmp + "/worker-0.state", worker);
    EXPECT_TRUE(worker_entry.ok());
    manifest.files.push_back(*worker_entry);
    Status commit = CommitCheckpoint(root, step, manifest);
    EXPECT_TRUE(commit.ok()) << commit;
    return manifest;
  }

  std::string dir_;
};

void FlipByte(const std::string& path, long offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  char c;
  f.get(c);
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x40));
}

TEST(Checksum64Test, SplitDoesNotMatterAndEveryByteCounts) {
  std::string bytes(1000, '\0');
  std::mt19937_64 rng(5);
  for (char& c : bytes) c = static_cast<char>(rng());
  const uint64_t whole = ComputeChecksum64(bytes);
  for (size_t split : {0, 1, 7, 31, 32, 33, 500, 999, 1000}) {
    Checksum64 sum;
    sum.Update(bytes.data(), split);
    sum.Update(bytes.data() + split, bytes.size() - split);
    EXPECT_EQ(sum.value(), whole) << "split at " << split;
  }
  for (size_t i : {0, 31, 32, 999}) {
    std::string changed = bytes;
    changed[i] ^= 1;
    EXPECT_NE(ComputeChecksum64(changed), whole) << "byte " << i;
  }
  EXPECT_NE(ComputeChecksum64(bytes.substr(0, 999)), whole);
  EXPECT_NE(ComputeChecksum64(""), ComputeChecksum64(std::string(1, '\0')));
  uint64_t parsed;
  ASSERT_TRUE(ParseHex64(Hex64(whole), &parsed));
  EXPECT_EQ(parsed, whole);
}

TEST(Checksum64Test, EqualsXxHash64) {
  // Known answers of XXH64 (checked against libxxhash 0.8.1), so `xxhsum -H64`
  // can check a checkpoint file by hand.
  EXPECT_EQ(ComputeChecksum64(""), 0xef46db3751d8e999ULL);
  std::string bytes(100, '\0');
  for (int i = 0; i < 100; ++i) bytes[i] = static_cast<char>(i * 7 + 1);
  EXPECT_EQ(ComputeChecksum64(bytes, /*seed=*/5), 0x8df2265e799fccbcULL);
  EXPECT_EQ(ComputeChecksum64(bytes.substr(0, 33), /*seed=*/5), 0xffffe89ba1ba7ff9ULL);
}

// Random truncations and byte flips of every file type: decoders must fail
// cleanly (or accept a flip in a float payload), never crash.
TEST_F(CheckpointTest, DecodersSurviveFuzzedInput) {
  RowsFileWriter rows;
  ASSERT_TRUE(rows.Open(Path("t.rows"), 1, 2).ok());
  const float row[2] = {1, 2};
  for (Key key = 0; key < 5; ++key) ASSERT_TRUE(rows.AddRow(key, row).ok());
  rows.AddPendingCount(9, 1, 3);
  ASSERT_TRUE(rows.Finish().ok());
  ASSERT_TRUE(WriteDenseFile(Path("dense.bin"), {{"a", {2}, {1, 2}}, {"b/c", {1, 1}, {3}}}).ok());
  ASSERT_TRUE(WriteWorkerState(Path("w.state"), WorkerState{}).ok());
  ASSERT_TRUE(WriteServerState(Path("s.state"), ServerState{}).ok());
  Manifest manifest;
  manifest.config = {{"a", "b"}};
  manifest.files = {{"x/y", 1, 2}};
  ASSERT_TRUE(WriteFileAtomically(Path("MANIFEST"), *EncodeManifest(manifest)).ok());

  std::mt19937_64 rng(11);
  for (const char* name : {"t.rows", "dense.bin", "w.state", "s.state", "MANIFEST"}) {
    const std::string original = *ReadFileToString(Path(name));
    for (int trial = 0; trial < 300; ++trial) {
      std::string mutated = original;
      if (trial % 3 == 0) {
        mutated.resize(rng() % original.size());
      } else {
        for (int flips = 1 + rng() % 3; flips > 0; --flips) {
          mutated[rng() % mutated.size()] ^= static_cast<char>(1 << (rng() % 8));
        }
      }
      if (mutated == original) continue;  // two flips cancelled
      const std::string path = Path(std::string("fuzz-") + name);
      ASSERT_TRUE(WriteFileAtomically(path, mutated).ok());
      const std::string what = std::string(name) + " trial " + std::to_string(trial);
      Status status;
      if (std::string(name) == "t.rows")
        status = ReadRowsFile(
            path, 1, 2, [](Key, const float*) {}, [](Key, uint32_t, uint32_t) {});
      if (std::string(name) == "dense.bin") status = ReadDenseFile(path).status();
      if (std::string(name) == "w.state") status = ReadWorkerState(path).status();
      if (std::string(name) == "s.state") status = ReadServerState(path).status();
      if (std::string(name) == "MANIFEST") {
        status = DecodeManifest(mutated, path).status();
        EXPECT_FALSE(status.ok()) << what;  // the checksum line catches every change
      }
      if (!status.ok()) {
        EXPECT_NE(status.message().find(path), std::string::npos) << what << ": " << status;
      }
      if (trial % 3 == 0) {
        EXPECT_FALSE(status.ok()) << what << ": truncated";
      }
    }
  }
}

TEST_F(CheckpointTest, FileWriterEntryMatchesChecksumFile) {
  FileWriter file;
  ASSERT_TRUE(file.Create(Path("f")).ok());
  std::string big(FileWriter::kBufferBytes + 123, 'x');
  ASSERT_TRUE(file.Append("head", 4).ok());
  ASSERT_TRUE(file.Append(big).ok());
  ASSERT_TRUE(file.Append("tail", 4).ok());
  StatusOr<FileEntry> written = file.Close();
  ASSERT_TRUE(written.ok()) << written.status();
  StatusOr<FileEntry> read = ChecksumFile(Path("f"));
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(written->bytes, big.size() + 8);
  EXPECT_EQ(read->bytes, written->bytes);
  EXPECT_EQ(read->checksum, written->checksum);
  EXPECT_EQ(read->checksum, ComputeChecksum64("head" + big + "tail"));
  EXPECT_EQ(ChecksumFile(Path("nope")).status().code(), StatusCode::kNotFound);
}

TEST_F(CheckpointTest, RowsFileRoundTrip) {
  RowsFileWriter writer;
  ASSERT_TRUE(writer.Open(Path("t.rows"), 5, 3).ok());
  std::map<Key, std::vector<float>> rows;
  for (Key key = 0; key < 3000; ++key) {
    rows[key * 7919] = {key * 1.f, -0.25f, key * 0.5f};
    ASSERT_TRUE(writer.AddRow(key * 7919, rows[key * 7919].data()).ok());
  }
  writer.AddPendingCount(11, 1, 40);
  writer.AddPendingCount(12, 3, 41);
  ASSERT_TRUE(writer.Finish().ok());

  StatusOr<RowsFileInfo> info = ReadRowsFileInfo(Path("t.rows"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->table_id, 5u);
  EXPECT_EQ(info->row_floats, 3);
  EXPECT_EQ(info->num_rows, 3000u);
  EXPECT_EQ(info->num_counts, 2u);

  std::map<Key, std::vector<float>> read;
  std::map<Key, std::pair<uint32_t, uint32_t>> counts;
  Status status = ReadRowsFile(
      Path("t.rows"), 5, 3, [&](Key key, const float* row) { read[key].assign(row, row + 3); },
      [&](Key key, uint32_t count, uint32_t last_step) {
        counts[key] = {count, last_step};
      });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(read, rows);
  EXPECT_EQ(counts, (std::map<Key, std::pair<uint32_t, uint32_t>>{{11, {1, 40}}, {12, {3, 41}}}));

  Status wrong_table = ReadRowsFile(Path("t.rows"), 6, 3, {}, {});
  EXPECT_EQ(wrong_table.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong_table.message().find("t.rows"), std::string::npos) << wrong_table;
  Status wrong_width = ReadRowsFile(Path("t.rows"), 5, 4, {}, {});
  EXPECT_EQ(wrong_width.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong_width.message().find("expected 4"), std::string::npos) << wrong_width;

  fs::resize_file(Path("t.rows"), fs::file_size(Path("t.rows")) - 5);
  Status truncated = ReadRowsFile(Path("t.rows"), 5, 3, {}, {});
  EXPECT_EQ(truncated.code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.message().find("t.rows"), std::string::npos) << truncated;
}

TEST_F(CheckpointTest, DenseFileRoundTripAndValidation) {
  const std::vector<DenseArray> arrays = {{"mlp/layer0/weight", {4, 2}, {1, 2, 3, 4, 5, 6, 7, 8}},
                                          {"optimizer/state", {3}, {0.5f, -0.5f, 1e-9f}},
                                          {"optimizer/step", {}, {42}},
                                          {"empty", {0, 5}, {}}};
  StatusOr<FileEntry> entry = WriteDenseFile(Path("dense.bin"), arrays);
  ASSERT_TRUE(entry.ok()) << entry.status();
  StatusOr<std::vector<DenseArray>> read = ReadDenseFile(Path("dense.bin"));
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), arrays.size());
  for (size_t i = 0; i < arrays.size(); ++i) {
    EXPECT_EQ((*read)[i].name, arrays[i].name);
    EXPECT_EQ((*read)[i].shape, arrays[i].shape);
    EXPECT_EQ((*read)[i].values, arrays[i].values);
  }
  EXPECT_EQ(WriteDenseFile(Path("bad.bin"), {{"x", {2, 2}, {1, 2, 3}}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteDenseFile(Path("bad.bin"), {{"x", {1}, {1}}, {"x", {1}, {1}}}).status().code(),
            StatusCode::kInvalidArgument);
  fs::resize_file(Path("dense.bin"), entry->bytes - 1);
  Status truncated = ReadDenseFile(Path("dense.bin")).status();
  EXPECT_EQ(truncated.code(), StatusCode::kDataLoss);
  EXPECT_NE(truncated.message().find("dense.bin"), std::string::npos);
}

TEST_F(CheckpointTest, WorkerAndServerStateRoundTrip) {
  WorkerState worker{.rank = 3,
                     .epoch = 2,
                     .global_step = 1234567890123,
                     .samples_trained = 99,
                     .train_seconds = 12.625,
                     .reader_file_index = 4,
                     .reader_offset = 1 << 30,
                     .reader_line = 555,
                     .reader_records = 554,
                     .reader_bad_lines = 1,
                     .epoch_done = true,
                     .rng_state = 0xfedcba9876543210ULL};
  ASSERT_TRUE(WriteWorkerState(Path("worker-3.state"), worker).ok());
  StatusOr<WorkerState> read_worker = ReadWorkerState(Path("worker-3.state"));
  ASSERT_TRUE(read_worker.ok()) << read_worker.status();
  EXPECT_EQ(*read_worker, worker);

  ServerState server{.rank = 1, .applied_steps = 77, .push_clock = 9};
  ASSERT_TRUE(WriteServerState(Path("server.state"), server).ok());
  StatusOr<ServerState> read_server = ReadServerState(Path("server.state"));
  ASSERT_TRUE(read_server.ok());
  EXPECT_EQ(*read_server, server);
  EXPECT_EQ(ReadServerState(Path("worker-3.state")).status().code(), StatusCode::kDataLoss);
}

TEST_F(CheckpointTest, ManifestRoundTripAndDamage) {
  Manifest manifest;
  manifest.step = 123;
  manifest.epoch = 4;
  manifest.num_servers = 2;
  manifest.num_workers = 8;
  manifest.config = {{"model", "wide_deep"}, {"embedding_dim", "16"}, {"note", "two words"}, {"empty", ""}};
  manifest.files = {{"dense.bin", 100, 0x0123456789abcdefULL}, {"server-0/table-1.rows", 5, 7}};
  StatusOr<std::string> text = EncodeManifest(manifest);
  ASSERT_TRUE(text.ok()) << text.status();
  StatusOr<Manifest> decoded = DecodeManifest(*text, "MANIFEST");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->step, 123);
  EXPECT_EQ(decoded->epoch, 4);
  EXPECT_EQ(decoded->num_servers, 2);
  EXPECT_EQ(decoded->num_workers, 8);
  EXPECT_EQ(decoded->config, manifest.config);
  EXPECT_EQ(decoded->config_hash, ConfigHash(manifest.config));
  ASSERT_EQ(decoded->files.size(), 2u);
  EXPECT_EQ(decoded->files[0].path, "dense.bin");
  EXPECT_EQ(decoded->files[0].bytes, 100u);
  EXPECT_EQ(decoded->files[0].checksum, 0x0123456789abcdefULL);

  for (size_t cut : {size_t{0}, size_t{10}, text->size() / 2, text->size() - 1}) {
    Status truncated = DecodeManifest(text->substr(0, cut), "ckpt/MANIFEST").status();
    EXPECT_EQ(truncated.code(), StatusCode::kDataLoss) << cut;
    EXPECT_NE(truncated.message().find("ckpt/MANIFEST"), std::string::npos) << truncated;
  }
  std::string edited = *text;
  edited.replace(edited.find("step 123"), 8, "step 124");
  EXPECT_EQ(DecodeManifest(edited, "MANIFEST").status().code(), StatusCode::kDataLoss);

  manifest.files.push_back({"/abs/path", 1, 1});
  EXPECT_EQ(EncodeManifest(manifest).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CheckpointTest, CompareConfigNamesEveryDifference) {
  Manifest manifest;
  manifest.config = {{"embedding_dim", "16"}, {"model", "dlrm"}, {"old_flag", "1"}};
  EXPECT_TRUE(CompareConfig(manifest, {{"model", "dlrm"}, {"embedding_dim", "16"}, {"old_flag", "1"}}).ok());
  Status diff = CompareConfig(manifest, {{"embedding_dim", "8"}, {"model", "dlrm"}, {"new_flag", "x"}});
  EXPECT_EQ(diff.code(), StatusCode::kFailedPrecondition);
  const std::string message(diff.message());
  EXPECT_NE(message.find("embedding_dim is 16 in the checkpoint and 8 now"), std::string::npos) << message;
  EXPECT_NE(message.find("old_flag"), std::string::npos) << message;
  EXPECT_NE(message.find("new_flag"), std::string::npos) << message;
  EXPECT_EQ(message.find("model"), std::string::npos) << message;
}

TEST_F(CheckpointTest, VerifyAcceptsAGoodCheckpointAndNamesTheDamagedFile) {
  const std::string root = Path("ckpt");
  WriteCheckpoint(root, 5);
  const std::string dir = root + "/" + CheckpointName(5);
  ASSERT_TRUE(VerifyCheckpoint(dir).ok()) << VerifyCheckpoint(dir).status();

  auto expect_data_loss = [&](const std::string& what, const std::string& file) {
    Status status = VerifyCheckpoint(dir).status();
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << what << ": " << status;
    EXPECT_NE(status.message().find(file), std::string::npos) << what << ": " << status;
    EXPECT_NE(status.message().find(what), std::string::npos) << status;
  };
  const std::string rows = dir + "/server-1/table-3.rows";
  const std::string saved = *ReadFileToString(rows);

  fs::resize_file(rows, saved.size() - 1);
  expect_data_loss("truncated", "server-1/table-3.rows");

  ASSERT_TRUE(WriteFileAtomically(rows, saved).ok());
  ASSERT_TRUE(VerifyCheckpoint(dir).ok());
  FlipByte(rows, 20);
  expect_data_loss("corrupted", "server-1/table-3.rows");

  ASSERT_TRUE(WriteFileAtomically(rows, saved).ok());
  fs::remove(dir + "/worker-0.state");
  expect_data_loss("missing", "worker-0.state");

  const std::string manifest = *ReadFileToString(dir + "/MANIFEST");
  ASSERT_TRUE(WriteFileAtomically(dir + "/MANIFEST", manifest.substr(0, manifest.size() - 20)).ok());
  expect_data_loss("truncated", "MANIFEST");
}

TEST_F(CheckpointTest, ProtocolListsResolvesAndPrunes) {
  const std::string root = Path("ckpt");
  EXPECT_TRUE(ListCheckpoints(root)->empty());
  Status none = ResolveResume(root, "auto").status();
  EXPECT_EQ(none.code(), StatusCode::kNotFound);
  EXPECT_NE(none.message().find("no complete checkpoint"), std::string::npos) << none;

  for (int64_t step : {10, 20, 30, 40}) WriteCheckpoint(root, step);
  // An attempt in progress and a directory without MANIFEST never list.
  ASSERT_TRUE(BeginCheckpoint(root, 50).ok());
  fs::create_directories(root + "/" + CheckpointName(45));
  fs::create_directories(root + "/" + CheckpointName(5) + ".tmp");
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{10, 20, 30, 40}));
  EXPECT_EQ(*ResolveResume(root, "auto"), root + "/step-000000000040");
  EXPECT_EQ(*ResolveResume(root, "20"), root + "/step-000000000020");
  EXPECT_EQ(*ResolveResume(root, root + "/step-000000000030"), root + "/step-000000000030");
  EXPECT_EQ(ResolveResume(root, root + "/step-000000000045").status().code(), StatusCode::kNotFound);

  EXPECT_EQ(PruneCheckpoints(root, 0).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(PruneCheckpoints(root, 2).ok());
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{30, 40}));
  EXPECT_FALSE(fs::exists(root + "/step-000000000010"));
  EXPECT_FALSE(fs::exists(root + "/step-000000000005.tmp"));  // abandoned
  EXPECT_TRUE(fs::exists(root + "/step-000000000050.tmp"));   // may be in progress
  EXPECT_TRUE(fs::exists(root + "/step-000000000045"));       // newer than the newest complete
  ASSERT_TRUE(VerifyCheckpoint(root + "/step-000000000040").ok());

  // A re-save of an existing step replaces it whole.
  Manifest again = WriteCheckpoint(root, 40);
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{30, 40}));
  EXPECT_TRUE(VerifyCheckpoint(root + "/step-000000000040").ok());
  EXPECT_FALSE(fs::exists(root + "/step-000000000040.tmp"));
}

TEST_F(CheckpointTest, AutoResumeRefusesAFolderWhoseCheckpointsAllLostTheirManifest) {
  const std::string root = Path("ckpt");
  // Only an attempt that never committed: nothing was saved, a fresh start.
  fs::create_directories(root + "/" + CheckpointName(5) + ".tmp");
  EXPECT_EQ(ResolveResume(root, "auto").status().code(), StatusCode::kNotFound);
  // A committed checkpoint whose MANIFEST is gone: refused, named.
  WriteCheckpoint(root, 10);
  WriteCheckpoint(root, 20);
  fs::remove(root + "/step-000000000010/MANIFEST");
  fs::remove(root + "/step-000000000020/MANIFEST");
  const Status refused = ResolveResume(root, "auto").status();
  EXPECT_EQ(refused.code(), StatusCode::kDataLoss) << refused;
  EXPECT_NE(refused.message().find("2 step directories without a MANIFEST (step-000000000010, step-000000000020)"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.message().find("refusing to start fresh"), std::string::npos) << refused;
  // With one complete checkpoint left, auto takes it.
  WriteCheckpoint(root, 30);
  EXPECT_EQ(*ResolveResume(root, "auto"), root + "/step-000000000030");
}

TEST_F(CheckpointTest, ManifestStepMustMatchItsDirectoryName) {
  const std::string root = Path("ckpt");
  WriteCheckpoint(root, 10);
  fs::rename(root + "/step-000000000010", root + "/step-000000000020");
  const Status renamed = VerifyCheckpoint(root + "/step-000000000020").status();
  EXPECT_EQ(renamed.code(), StatusCode::kDataLoss) << renamed;
  EXPECT_NE(renamed.message().find("holds step 10, but its directory is step-000000000020"), std::string::npos)
      << renamed;
  // Any other directory name (a copy for inspection) is not judged.
  fs::rename(root + "/step-000000000020", Path("copy"));
  EXPECT_TRUE(VerifyCheckpoint(Path("copy")).ok());
}

TEST_F(CheckpointTest, RootLockAdmitsOneJobAndNamesIt) {
  const std::string root = Path("ckpt");
  StatusOr<std::unique_ptr<CheckpointRootLock>> first = CheckpointRootLock::Acquire(root);
  ASSERT_TRUE(first.ok()) << first.status();
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  const std::string holder = "host " + std::string(host) + " pid " + std::to_string(getpid());
  EXPECT_EQ(*ReadFileToString(root + "/LOCK"), holder + "\n");
  // flock locks belong to the open file: a second Acquire in the same
  // process is refused as another process's would be.
  const Status second = CheckpointRootLock::Acquire(root).status();
  EXPECT_EQ(second.code(), StatusCode::kFailedPrecondition) << second;
  EXPECT_NE(second.message().find("is in use by another job (" + holder + " holds " + root + "/LOCK)"),
            std::string::npos)
      << second;
  // The lock file is none of the protocol's names.
  WriteCheckpoint(root, 3);
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{3}));
  ASSERT_TRUE(PruneCheckpoints(root, 1).ok());
  EXPECT_TRUE(fs::exists(root + "/LOCK"));
  first->reset();  // released: the next job may take it
  EXPECT_TRUE(CheckpointRootLock::Acquire(root).ok());
}

TEST_F(CheckpointTest, HalfPrunedCheckpointNeverListsAsComplete) {
  // Prune unlinks the MANIFEST before anything else: simulate a crash just
  // after that point, with every other file still there.
  const std::string root = Path("ckpt");
  WriteCheckpoint(root, 1);
  WriteCheckpoint(root, 2);
  fs::remove(root + "/step-000000000001/MANIFEST");
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{2}));
  EXPECT_EQ(*ResolveResume(root, "auto"), root + "/step-000000000002");
  ASSERT_TRUE(PruneCheckpoints(root, 1).ok());
  EXPECT_FALSE(fs::exists(root + "/step-000000000001"));
  EXPECT_EQ(*ListCheckpoints(root), (std::vector<int64_t>{2}));
}

TEST_F(CheckpointTest, FileSizeLimitGivesAStatusNamingThePath) {
  const std::string path = Path("big.rows");
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {64 << 10, 64 << 10};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    RowsFileWriter writer;
    if (!writer.Open(path, 1, 64).ok()) _exit(11);
    std::vector<float> row(64, 1.f);
    Status status;
    for (Key key = 0; key < 10000 && status.ok(); ++key) status = writer.AddRow(key, row.data());
    if (status.ok()) status = writer.Finish().status();
    if (status.ok()) _exit(12);
    const std::string message(status.message());
    std::fprintf(stderr, "child got: %s\n", status.ToString().c_str());
    if (status.code() != StatusCode::kResourceExhausted) _exit(13);
    if (message.find(path) == std::string::npos) _exit(14);
    if (message.find("file-size limit") == std::string::npos) _exit(15);
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "10 setrlimit, 11 open, 12 no error, 13 code, 14 path, 15 reason";
}

TEST_F(CheckpointTest, InspectSummarizesTheCheckpoint) {
  const std::string root = Path("ckpt");
  WriteCheckpoint(root, 7);
  StatusOr<std::string> summary = InspectCheckpoint(root + "/" + CheckpointName(7));
  ASSERT_TRUE(summary.ok()) << summary.status();
  for (const char* expected :
       {"step 7", "servers 2", "embedding_dim = 16", "table 3 (wide): 10 rows", "server-1: 5 rows", "mlp/w0 [2, 3]",
        "byte 4096 line 77", "server 1: applied_steps 41"}) {
    EXPECT_NE(summary->find(expected), std::string::npos) << expected << " in\n" << *summary;
  }
}

TEST_F(CheckpointTest, NpyHeaderIsPaddedTo64Bytes) {
  for (const auto& shape : std::vector<std::vector<int64_t>>{{}, {5}, {3, 4}, {1, 2, 3}}) {
    const std::string header = NpyHeader(NpyDtype::kFloat32, shape);
    EXPECT_EQ(header.size() % 64, 0u);
    EXPECT_EQ(header.back(), '\n');
    EXPECT_EQ(header.substr(0, 6), "\x93NUMPY");
  }
  EXPECT_NE(NpyHeader(NpyDtype::kUint64, {5}).find("'shape': (5,)"), std::string::npos);
}

TEST_F(CheckpointTest, ExportWritesNpyFilesThatNumpyLoads) {
  if (access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  if (std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) GTEST_SKIP() << "no numpy";
  const std::string root = Path("ckpt");
  WriteCheckpoint(root, 9);
  const std::string dir = root + "/" + CheckpointName(9);
  // A cold tier on server 0 with key 4 (also in memory: memory wins) and 50.
  fs::create_directories(dir + "/server-0/rocksdb");
  int cold_calls = 0;
  ColdRowsFn cold = [&](const std::string& shard, uint32_t table_id, int row_floats,
                        const std::function<void(Key, const float*)>& row_fn) {
    ++cold_calls;
    EXPECT_EQ(shard, dir + "/server-0");
    EXPECT_EQ(table_id, 3u);
    EXPECT_EQ(row_floats, 4);
    const float stale[4] = {-100, -100, 0, 0};
    const float fresh[4] = {50, 50.5f, 0, 0};
    row_fn(4, stale);
    row_fn(50, fresh);
    return Status::OK();
  };
  const std::string out = Path("export");
  EXPECT_EQ(ExportCheckpoint(dir, out).code(), StatusCode::kFailedPrecondition);  // needs cold rows
  Status exported = ExportCheckpoint(dir, out, cold);
  ASSERT_TRUE(exported.ok()) << exported;
  EXPECT_EQ(cold_calls, 1);
  const std::string script =
      "import json, numpy as np\n"
      "d = '" +
      out +
      "'\n"
      "k = np.load(d + '/wide.keys.npy'); v = np.load(d + '/wide.values.npy')\n"
      "assert k.dtype == np.uint64 and k.shape == (11,), (k.dtype, k.shape)\n"
      "assert v.dtype == np.float32 and v.shape == (11, 2), (v.dtype, v.shape)\n"
      "assert list(k) == list(range(10)) + [50], k\n"
      "assert v[4, 0] == 4 and v[4, 1] == 4.5 and v[10, 1] == 50.5, v\n"
      "w = np.load(d + '/dense/mlp.w0.npy'); assert w.shape == (2, 3) and w[1, 2] == 6, w\n"
      "s = np.load(d + '/dense/optimizer.step.npy'); assert s.shape == () and s == 9, s\n"
      "idx = json.load(open(d + '/index.json'))\n"
      "paths = {f['path']: f for f in idx['files']}\n"
      "assert paths['wide.values.npy']['shape'] == [11, 2], idx\n"
      "assert paths['dense/mlp.w0.npy']['dtype'] == 'float32', idx\n"
      "assert idx['step'] == 9\n";
  std::ofstream(Path("check.py")) << script;
  EXPECT_EQ(std::system(("/usr/bin/python3 " + Path("check.py")).c_str()), 0) << script;
}

}  // namespace
}  // namespace ember::storage
