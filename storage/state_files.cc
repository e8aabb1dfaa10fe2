// worker-<r>.state and server-<s>/server.state: a worker's and a server's
// position, written and read back (storage/checkpoint_files.h; layout in
// docs/checkpoint_format.md).
#include "storage/checkpoint_files.h"

#include "common/coding.h"
#include "common/files.h"
#include "storage/internal/file_io.h"

namespace ember::storage {
namespace {

constexpr uint32_t kWorkerMagic = internal::FourCc("EMWK");
constexpr uint32_t kServerMagic = internal::FourCc("EMSV");
constexpr uint32_t kStateFileVersion = 1;
constexpr size_t kWorkerStateBytes = 96;
constexpr size_t kServerStateBytes = 24;

}  // namespace

std::string WorkerStateFileName(int rank) { return "worker-" + std::to_string(rank) + ".state"; }

StatusOr<FileEntry> WriteWorkerState(const std::string& path, const WorkerState& state) {
  char out[kWorkerStateBytes];
  EncodeFixed32(out, kWorkerMagic);
  EncodeFixed32(out + 4, kStateFileVersion);
  EncodeFixed32(out + 8, static_cast<uint32_t>(state.rank));
  EncodeFixed32(out + 12, static_cast<uint32_t>(state.epoch));
  EncodeFixed64(out + 16, static_cast<uint64_t>(state.global_step));
  EncodeFixed64(out + 24, static_cast<uint64_t>(state.samples_trained));
  EncodeDouble(out + 32, state.train_seconds);
  EncodeFixed64(out + 40, static_cast<uint64_t>(state.reader_file_index));
  EncodeFixed64(out + 48, static_cast<uint64_t>(state.reader_offset));
  EncodeFixed64(out + 56, static_cast<uint64_t>(state.reader_line));
  EncodeFixed64(out + 64, static_cast<uint64_t>(state.reader_records));
  EncodeFixed64(out + 72, static_cast<uint64_t>(state.reader_bad_lines));
  EncodeFixed32(out + 80, state.epoch_done ? 1 : 0);
  EncodeFixed32(out + 84, 0);
  EncodeFixed64(out + 88, state.rng_state);
  return WriteWholeFile(path, std::string_view(out, sizeof(out)));
}

StatusOr<WorkerState> ReadWorkerState(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  if (contents.size() != kWorkerStateBytes) {
    return Status::DataLoss("worker state ", path, " has ", contents.size(), " bytes, expected ", kWorkerStateBytes);
  }
  const char* in = contents.data();
  if (DecodeFixed32(in) != kWorkerMagic) return Status::DataLoss(path, " is not a worker state file (bad magic)");
  if (DecodeFixed32(in + 4) != kStateFileVersion) {
    return Status::DataLoss("worker state ", path, " has format version ", DecodeFixed32(in + 4));
  }
  const uint32_t epoch_done = DecodeFixed32(in + 80);
  if (epoch_done > 1) return Status::DataLoss("worker state ", path, ": epoch_done is ", epoch_done);
  WorkerState state;
  state.rank = static_cast<int32_t>(DecodeFixed32(in + 8));
  state.epoch = static_cast<int32_t>(DecodeFixed32(in + 12));
  state.global_step = static_cast<int64_t>(DecodeFixed64(in + 16));
  state.samples_trained = static_cast<int64_t>(DecodeFixed64(in + 24));
  state.train_seconds = DecodeDouble(in + 32);
  state.reader_file_index = static_cast<int64_t>(DecodeFixed64(in + 40));
  state.reader_offset = static_cast<int64_t>(DecodeFixed64(in + 48));
  state.reader_line = static_cast<int64_t>(DecodeFixed64(in + 56));
  state.reader_records = static_cast<int64_t>(DecodeFixed64(in + 64));
  state.reader_bad_lines = static_cast<int64_t>(DecodeFixed64(in + 72));
  state.epoch_done = epoch_done == 1;
  state.rng_state = DecodeFixed64(in + 88);
  return state;
}

StatusOr<FileEntry> WriteServerState(const std::string& path, const ServerState& state) {
  char out[kServerStateBytes];
  EncodeFixed32(out, kServerMagic);
  EncodeFixed32(out + 4, kStateFileVersion);
  EncodeFixed32(out + 8, static_cast<uint32_t>(state.rank));
  EncodeFixed32(out + 12, state.push_clock);
  EncodeFixed64(out + 16, state.applied_steps);
  return WriteWholeFile(path, std::string_view(out, sizeof(out)));
}

StatusOr<ServerState> ReadServerState(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  if (contents.size() != kServerStateBytes) {
    return Status::DataLoss("server state ", path, " has ", contents.size(), " bytes, expected ", kServerStateBytes);
  }
  const char* in = contents.data();
  if (DecodeFixed32(in) != kServerMagic) return Status::DataLoss(path, " is not a server state file (bad magic)");
  if (DecodeFixed32(in + 4) != kStateFileVersion) {
    return Status::DataLoss("server state ", path, " has format version ", DecodeFixed32(in + 4));
  }
  ServerState state;
  state.rank = static_cast<int32_t>(DecodeFixed32(in + 8));
  state.push_clock = DecodeFixed32(in + 12);
  state.applied_steps = DecodeFixed64(in + 16);
  return state;
}

}  // namespace ember::storage
