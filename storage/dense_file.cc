// dense.bin: WriteDenseFile and ReadDenseFile (storage/checkpoint_files.h;
// layout in docs/checkpoint_format.md).
#include "storage/checkpoint_files.h"

#include <cstring>
#include <set>

#include "common/coding.h"
#include "common/files.h"
#include "storage/internal/file_io.h"

namespace ember::storage {
namespace {

constexpr uint32_t kDenseMagic = internal::FourCc("EMDN");
constexpr uint32_t kDenseFileVersion = 1;

}  // namespace

StatusOr<FileEntry> WriteDenseFile(const std::string& path, const std::vector<DenseArray>& arrays) {
  std::set<std::string_view> names;
  for (const DenseArray& array : arrays) {
    if (array.name.empty() || array.name.size() > 4096 || array.name.find('\n') != std::string::npos) {
      return Status::InvalidArgument("dense file ", path, ": bad array name '", array.name, "'");
    }
    if (!names.insert(array.name).second) {
      return Status::InvalidArgument("dense file ", path, ": duplicate array name '", array.name, "'");
    }
    int64_t numel = 1;
    for (int64_t d : array.shape) {
      if (d < 0) return Status::InvalidArgument("dense array ", array.name, " has a negative dimension");
      numel *= d;
    }
    if (static_cast<uint64_t>(numel) != array.values.size()) {
      return Status::InvalidArgument("dense array ", array.name, " has ", array.values.size(),
                                     " values but its shape holds ", numel);
    }
  }
  FileWriter file;
  RETURN_IF_ERROR(file.Create(path));
  char header[16];
  EncodeFixed32(header, kDenseMagic);
  EncodeFixed32(header + 4, kDenseFileVersion);
  EncodeFixed32(header + 8, static_cast<uint32_t>(arrays.size()));
  EncodeFixed32(header + 12, 0);
  RETURN_IF_ERROR(file.Append(header, sizeof(header)));
  std::string encoded;
  for (const DenseArray& array : arrays) {
    encoded.assign(8 + array.name.size() + 8 * array.shape.size() + 8, '\0');
    char* p = encoded.data();
    EncodeFixed32(p, static_cast<uint32_t>(array.name.size()));
    EncodeFixed32(p + 4, static_cast<uint32_t>(array.shape.size()));
    std::memcpy(p + 8, array.name.data(), array.name.size());
    p += 8 + array.name.size();
    for (int64_t d : array.shape) {
      EncodeFixed64(p, static_cast<uint64_t>(d));
      p += 8;
    }
    EncodeFixed64(p, array.values.size());
    RETURN_IF_ERROR(file.Append(encoded));
    std::string values(4 * array.values.size(), '\0');
    EncodeFloats(array.values.data(), array.values.size(), values.data());
    RETURN_IF_ERROR(file.Append(values));
  }
  return file.Close();
}

StatusOr<std::vector<DenseArray>> ReadDenseFile(const std::string& path) {
  ASSIGN_OR_RETURN(const std::string contents, ReadFileToString(path));
  std::string_view in(contents);
  auto truncated = [&](std::string_view where) {
    return Status::DataLoss("dense file ", path, " is truncated (", contents.size(), " bytes, in ", where, ")");
  };
  if (in.size() < 16) return truncated("the header");
  if (DecodeFixed32(in.data()) != kDenseMagic) return Status::DataLoss(path, " is not a dense file (bad magic)");
  if (DecodeFixed32(in.data() + 4) != kDenseFileVersion) {
    return Status::DataLoss("dense file ", path, " has format version ", DecodeFixed32(in.data() + 4),
                            "; this build reads version ", kDenseFileVersion);
  }
  const uint32_t num_arrays = DecodeFixed32(in.data() + 8);
  in.remove_prefix(16);
  std::vector<DenseArray> arrays;
  std::set<std::string> names;
  for (uint32_t i = 0; i < num_arrays; ++i) {
    if (in.size() < 8) return truncated("array " + std::to_string(i));
    const uint32_t name_len = DecodeFixed32(in.data());
    const uint32_t ndim = DecodeFixed32(in.data() + 4);
    if (name_len == 0 || name_len > 4096 || ndim > 64) {
      return Status::DataLoss("dense file ", path, ": array ", i, " has a corrupt header (name of ", name_len,
                              " bytes, ", ndim, " dims)");
    }
    in.remove_prefix(8);
    if (in.size() < name_len + 8ull * ndim + 8) return truncated("array " + std::to_string(i));
    DenseArray array;
    array.name.assign(in.data(), name_len);
    in.remove_prefix(name_len);
    uint64_t numel = 1;
    bool overflow = false;
    for (uint32_t d = 0; d < ndim; ++d) {
      const uint64_t dim = DecodeFixed64(in.data());
      in.remove_prefix(8);
      if (dim > (uint64_t{1} << 40) || (dim != 0 && numel > (uint64_t{1} << 40) / dim)) overflow = true;
      numel *= dim;
      array.shape.push_back(static_cast<int64_t>(dim));
    }
    const uint64_t num_values = DecodeFixed64(in.data());
    in.remove_prefix(8);
    if (overflow || num_values != numel) {
      return Status::DataLoss("dense file ", path, ": array '", array.name, "' holds ", num_values,
                              " values, which does not match its shape");
    }
    if (in.size() / 4 < num_values) return truncated("the values of array '" + array.name + "'");
    array.values.resize(num_values);
    DecodeFloats(in.data(), num_values, array.values.data());
    in.remove_prefix(4 * num_values);
    if (!names.insert(array.name).second) {
      return Status::DataLoss("dense file ", path, ": duplicate array '", array.name, "'");
    }
    arrays.push_back(std::move(array));
  }
  if (!in.empty()) {
    return Status::DataLoss("dense file ", path, " has ", in.size(), " unexpected bytes after its ", num_arrays,
                            " arrays");
  }
  return arrays;
}

}  // namespace ember::storage
