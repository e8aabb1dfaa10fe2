// storage/npy.h: writes NumPy .npy files (format 1.0, little-endian, C order)
// through the checksummed FileWriter, so `numpy.load` reads what
// ExportCheckpoint writes. Only the two dtypes the export needs.
//
//   NpyWriter npy;
//   RETURN_IF_ERROR(npy.Open(dir + "/wide.values.npy", NpyDtype::kFloat32, {n, dim}));
//   RETURN_IF_ERROR(npy.Append(values.data(), values.size() * sizeof(float)));
//   ASSIGN_OR_RETURN(FileEntry entry, npy.Finish());  // checks the byte count
//
// Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/checkpoint_files.h"

namespace ember::storage {

enum class NpyDtype : uint8_t { kFloat32, kUint64 };

// "<f4" or "<u8", as numpy writes them.
std::string_view NpyDescr(NpyDtype dtype);
size_t NpyItemBytes(NpyDtype dtype);
// The whole header (magic, version, length, dict, padding to a multiple of
// 64 bytes ending in '\n') for `shape` ({} is a scalar).
std::string NpyHeader(NpyDtype dtype, const std::vector<int64_t>& shape);

class NpyWriter {
 public:
  // Creates the file and writes the header. InvalidArgument for a negative
  // dimension.
  Status Open(const std::string& path, NpyDtype dtype, std::vector<int64_t> shape);
  // Appends raw little-endian element bytes, in C order.
  Status Append(const void* data, size_t bytes);
  // FailedPrecondition unless exactly prod(shape) elements were appended;
  // then fsyncs and closes.
  StatusOr<FileEntry> Finish();

 private:
  FileWriter file_;
  uint64_t expected_bytes_ = 0;
  uint64_t data_bytes_ = 0;
};

// One call: writes prod(shape) elements at `data`.
StatusOr<FileEntry> WriteNpy(const std::string& path, NpyDtype dtype, const std::vector<int64_t>& shape,
                             const void* data);

}  // namespace ember::storage
