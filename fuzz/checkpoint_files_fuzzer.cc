// fuzz/checkpoint_files_fuzzer.cc: the data files of a checkpoint
// (storage/checkpoint_files.h): table-<id>.rows, dense.bin, worker-<r>.state
// and server-<s>/server.state. Their readers take a path, so the input is
// written to a temporary file and every reader reads it (each checks its
// magic first). A rows file whose header and footer read is then streamed
// whole, every float of every row touched.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "storage/checkpoint_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ember;
  static fuzz::TempFile file;
  const std::string& path = file.Write(data, size);

  const StatusOr<storage::RowsFileInfo> info = storage::ReadRowsFileInfo(path);
  if (info.ok()) {
    FUZZ_CHECK(info->row_floats >= 1);
    uint64_t rows = 0, counts = 0;
    const Status read = storage::ReadRowsFile(
        path, info->table_id, info->row_floats,
        [&](Key key, const float* row) {
          fuzz::TouchBytes(reinterpret_cast<const char*>(row), sizeof(float) * static_cast<size_t>(info->row_floats));
          ++rows;
        },
        [&](Key key, uint32_t count, uint32_t last_step) { ++counts; });
    FUZZ_CHECK(read.ok());  // the info said the file is whole
    FUZZ_CHECK(rows == info->num_rows && counts == info->num_counts);
  }

  const StatusOr<std::vector<storage::DenseArray>> arrays = storage::ReadDenseFile(path);
  if (arrays.ok()) {
    for (const storage::DenseArray& array : *arrays) {
      FUZZ_CHECK(!array.name.empty());
      uint64_t numel = 1;
      for (int64_t d : array.shape) {
        FUZZ_CHECK(d >= 0);
        numel *= static_cast<uint64_t>(d);
      }
      FUZZ_CHECK(numel == array.values.size());
    }
  }

  storage::ReadWorkerState(path).status().IgnoreError();
  storage::ReadServerState(path).status().IgnoreError();
  return 0;
}
