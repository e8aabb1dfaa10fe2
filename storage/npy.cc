#include "storage/npy.h"

#include <bit>

#include "common/coding.h"

namespace ember::storage {

std::string_view NpyDescr(NpyDtype dtype) { return dtype == NpyDtype::kFloat32 ? "<f4" : "<u8"; }
size_t NpyItemBytes(NpyDtype dtype) { return dtype == NpyDtype::kFloat32 ? 4 : 8; }

std::string NpyHeader(NpyDtype dtype, const std::vector<int64_t>& shape) {
  std::string dict = "{'descr': '";
  dict += NpyDescr(dtype);
  dict += "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) dict += ", ";
    dict += std::to_string(shape[i]);
  }
  if (shape.size() == 1) dict += ",";
  dict += "), }";
  // magic (6) + version (2) + header length (2) + dict + padding + '\n'.
  const size_t unpadded = 10 + dict.size() + 1;
  const size_t total = (unpadded + 63) / 64 * 64;
  dict.append(total - unpadded, ' ');
  dict += '\n';
  std::string header("\x93NUMPY\x01\x00", 8);
  char len[2];
  EncodeFixed16(len, static_cast<uint16_t>(dict.size()));
  header.append(len, 2);
  header += dict;
  return header;
}

Status NpyWriter::Open(const std::string& path, NpyDtype dtype, std::vector<int64_t> shape) {
  uint64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) return Status::InvalidArgument("npy file ", path, ": negative dimension ", d);
    numel *= static_cast<uint64_t>(d);
  }
  static_assert(std::endian::native == std::endian::little,
                "NpyWriter::Append takes native bytes; add a byte swap for big-endian hosts");
  expected_bytes_ = numel * NpyItemBytes(dtype);
  data_bytes_ = 0;
  RETURN_IF_ERROR(file_.Create(path));
  return file_.Append(NpyHeader(dtype, shape));
}

Status NpyWriter::Append(const void* data, size_t bytes) {
  data_bytes_ += bytes;
  return file_.Append(data, bytes);
}

StatusOr<FileEntry> NpyWriter::Finish() {
  if (data_bytes_ != expected_bytes_) {
    return Status::FailedPrecondition("npy file ", file_.path(), ": ", data_bytes_,
                                      " data bytes appended, its shape needs ", expected_bytes_);
  }
  return file_.Close();
}

StatusOr<FileEntry> WriteNpy(const std::string& path, NpyDtype dtype, const std::vector<int64_t>& shape,
                             const void* data) {
  NpyWriter npy;
  RETURN_IF_ERROR(npy.Open(path, dtype, shape));
  uint64_t numel = 1;
  for (int64_t d : shape) numel *= static_cast<uint64_t>(d);
  if (numel > 0) RETURN_IF_ERROR(npy.Append(data, numel * NpyItemBytes(dtype)));
  return npy.Finish();
}

}  // namespace ember::storage
