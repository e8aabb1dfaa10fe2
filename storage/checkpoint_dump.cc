#include "storage/checkpoint_dump.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "common/checksum.h"
#include "common/files.h"
#include "storage/checkpoint.h"
#include "storage/checkpoint_files.h"
#include "storage/internal/checkpoint_util.h"
#include "storage/npy.h"

namespace ember::storage {
namespace {

namespace fs = std::filesystem;
using internal::IsDir;
using internal::ParseInt;

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

// "server-<s>/table-<id>.rows" -> (s, id).
bool ParseRowsPath(std::string_view path, int* server, uint32_t* table_id) {
  if (!path.starts_with("server-") || !path.ends_with(".rows")) return false;
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view file = path.substr(slash + 1);
  if (!file.starts_with("table-")) return false;
  return ParseInt(path.substr(7, slash - 7), server) && ParseInt(file.substr(6, file.size() - 6 - 5), table_id);
}

struct TableInfo {
  std::string name;
  int dim = 0;
  int row_floats = 0;
};

// table.<id>.{name,dim,row_floats} from the config.
StatusOr<std::map<uint32_t, TableInfo>> TablesFromConfig(const Manifest& manifest) {
  std::map<uint32_t, TableInfo> tables;
  for (const auto& [key, value] : manifest.config) {
    if (!key.starts_with("table.")) continue;
    const size_t dot = key.find('.', 6);
    uint32_t id;
    if (dot == std::string::npos || !ParseInt(std::string_view(key).substr(6, dot - 6), &id)) continue;
    const std::string field = key.substr(dot + 1);
    TableInfo& table = tables[id];
    if (field == "name") {
      table.name = value;
    } else if (field == "dim" || field == "row_floats") {
      int n;
      if (!ParseInt(std::string_view(value), &n) || n < 1) {
        return Status::InvalidArgument("checkpoint config ", key, " = '", value, "' is not a positive integer");
      }
      (field == "dim" ? table.dim : table.row_floats) = n;
    }
  }
  return tables;
}

}  // namespace

StatusOr<std::string> InspectCheckpoint(const std::string& dir) {
  ASSIGN_OR_RETURN(const Manifest manifest, VerifyCheckpoint(dir));
  std::ostringstream out;
  out << "checkpoint " << dir << " (verified: " << manifest.files.size() << " files)\n"
      << "  format_version " << manifest.format_version << "\n"
      << "  step " << manifest.step << "\n"
      << "  epoch " << manifest.epoch << "\n"
      << "  servers " << manifest.num_servers << "\n"
      << "  workers " << manifest.num_workers << "\n"
      << "config (hash " << Hex64(manifest.config_hash) << "):\n";
  for (const auto& [key, value] : manifest.config) out << "  " << key << " = " << value << "\n";
  out << "files:\n";
  uint64_t total = 0;
  for (const FileEntry& file : manifest.files) {
    out << "  " << file.path << "  " << file.bytes << " bytes  " << Hex64(file.checksum) << "\n";
    total += file.bytes;
  }
  out << "  total " << total << " bytes\n";
  std::map<uint32_t, std::map<int, RowsFileInfo>> rows_by_table;
  for (const FileEntry& file : manifest.files) {
    int server;
    uint32_t table_id;
    if (!ParseRowsPath(file.path, &server, &table_id)) continue;
    ASSIGN_OR_RETURN(rows_by_table[table_id][server], ReadRowsFileInfo(dir + "/" + file.path));
  }
  ASSIGN_OR_RETURN(const auto tables, TablesFromConfig(manifest));
  if (!rows_by_table.empty()) out << "memory-tier rows:\n";
  for (const auto& [table_id, by_server] : rows_by_table) {
    auto named = tables.find(table_id);
    out << "  table " << table_id;
    if (named != tables.end() && !named->second.name.empty()) out << " (" << named->second.name << ")";
    uint64_t rows = 0, counts = 0;
    for (const auto& [server, info] : by_server) rows += info.num_rows, counts += info.num_counts;
    out << ": " << rows << " rows, " << counts << " pending counts, " << by_server.begin()->second.row_floats
        << " floats per row\n";
    for (const auto& [server, info] : by_server) {
      out << "    server-" << server << ": " << info.num_rows << " rows, " << info.num_counts << " pending counts\n";
    }
  }
  for (const FileEntry& file : manifest.files) {
    const std::string path = dir + "/" + file.path;
    if (file.path == "dense.bin") {
      ASSIGN_OR_RETURN(const std::vector<DenseArray> arrays, ReadDenseFile(path));
      out << "dense arrays:\n";
      for (const DenseArray& array : arrays) {
        out << "  " << array.name << " " << ShapeString(array.shape) << "\n";
      }
    } else if (file.path.starts_with("worker-") && file.path.ends_with(".state")) {
      ASSIGN_OR_RETURN(const WorkerState w, ReadWorkerState(path));
      out << "worker " << w.rank << ": epoch " << w.epoch << (w.epoch_done ? " (done)" : "") << ", global_step "
          << w.global_step << ", samples " << w.samples_trained << ", " << w.train_seconds << " s; reader at file "
          << w.reader_file_index << " byte " << w.reader_offset << " line " << w.reader_line << " (" << w.reader_records
          << " records, " << w.reader_bad_lines << " bad lines this epoch); rng " << Hex64(w.rng_state) << "\n";
    } else if (file.path.ends_with("/server.state")) {
      ASSIGN_OR_RETURN(const ServerState s, ReadServerState(path));
      out << "server " << s.rank << ": applied_steps " << s.applied_steps << ", push_clock " << s.push_clock << "\n";
    }
  }
  return out.str();
}

Status ExportCheckpoint(const std::string& dir, const std::string& out_dir, const ColdRowsFn& cold_rows) {
  ASSIGN_OR_RETURN(const Manifest manifest, VerifyCheckpoint(dir));
  using TableMap = std::map<uint32_t, TableInfo>;
  ASSIGN_OR_RETURN(TableMap tables, TablesFromConfig(manifest));
  // Rows files by table, and the shards that have a cold tier.
  std::map<uint32_t, std::vector<std::string>> rows_files;
  for (const FileEntry& file : manifest.files) {
    int server;
    uint32_t table_id;
    if (!ParseRowsPath(file.path, &server, &table_id)) continue;
    const std::string path = dir + "/" + file.path;
    rows_files[table_id].push_back(path);
    TableInfo& table = tables[table_id];
    if (table.row_floats == 0) {
      ASSIGN_OR_RETURN(const RowsFileInfo info, ReadRowsFileInfo(path));
      table.row_floats = info.row_floats;
    }
  }
  std::vector<std::string> cold_shards;
  for (int s = 0; s < manifest.num_servers; ++s) {
    const std::string shard = dir + "/server-" + std::to_string(s);
    if (IsDir(shard + "/rocksdb")) cold_shards.push_back(shard);
  }
  if (!cold_shards.empty() && !cold_rows) {
    return Status::FailedPrecondition(cold_shards.front(),
                                      " has a RocksDB tier; ExportCheckpoint needs a cold_rows reader for it");
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::Internal("cannot create ", out_dir, ": ", ec.message());

  struct IndexEntry {
    std::string path, dtype, what;
    std::vector<int64_t> shape;
  };
  std::vector<IndexEntry> index;
  for (auto& table_entry : tables) {
    // Not a structured binding: the row callback below captures table_id,
    // which clang before 16 refuses for a binding.
    const auto table_id = table_entry.first;
    auto& table = table_entry.second;
    if (table.row_floats == 0) {
      return Status::InvalidArgument("checkpoint ", dir, ": table ", table_id, " has no rows file and no table.",
                                     table_id, ".row_floats in its config");
    }
    if (table.dim == 0) table.dim = table.row_floats;
    if (table.dim > table.row_floats) {
      return Status::InvalidArgument("checkpoint ", dir, ": table ", table_id, " has dim ", table.dim, " > row_floats ",
                                     table.row_floats);
    }
    std::string name = table.name.empty() ? "table-" + std::to_string(table_id) : table.name;
    std::replace(name.begin(), name.end(), '/', '.');
    const size_t dim = static_cast<size_t>(table.dim);
    std::vector<Key> keys;
    std::vector<float> values;
    std::unordered_map<Key, std::string_view> owner;  // key -> the file that gave it
    Status duplicate;
    std::string_view source;
    auto add = [&](bool memory) {
      return [&, memory](Key key, const float* row) {
        auto [it, inserted] = owner.emplace(key, source);
        if (!inserted) {
          if (memory && duplicate.ok()) {
            duplicate = Status::DataLoss("table ", table_id, " key ", key, " is in both ", it->second, " and ", source);
          }
          return;  // a memory row wins over a cold one
        }
        keys.push_back(key);
        values.insert(values.end(), row, row + dim);
      };
    };
    for (const std::string& path : rows_files[table_id]) {
      source = path;
      RETURN_IF_ERROR(ReadRowsFile(path, table_id, table.row_floats, add(true), {}));
      RETURN_IF_ERROR(duplicate);
    }
    for (const std::string& shard : cold_shards) {
      source = shard;
      RETURN_IF_ERROR(cold_rows(shard, table_id, table.row_floats, add(false)));
    }
    owner.clear();
    std::vector<size_t> order(keys.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return keys[a] < keys[b]; });
    std::vector<Key> sorted_keys(keys.size());
    std::vector<float> sorted_values(values.size());
    for (size_t i = 0; i < order.size(); ++i) {
      sorted_keys[i] = keys[order[i]];
      std::copy_n(values.begin() + order[i] * dim, dim, sorted_values.begin() + i * dim);
    }
    const int64_t n = static_cast<int64_t>(keys.size());
    RETURN_IF_ERROR(WriteNpy(out_dir + "/" + name + ".keys.npy", NpyDtype::kUint64, {n}, sorted_keys.data()).status());
    RETURN_IF_ERROR(WriteNpy(out_dir + "/" + name + ".values.npy", NpyDtype::kFloat32, {n, static_cast<int64_t>(dim)},
                             sorted_values.data())
                        .status());
    const std::string what = "table " + std::to_string(table_id);
    index.push_back({name + ".keys.npy", "uint64", what + " keys", {n}});
    index.push_back({name + ".values.npy", "float32", what + " values", {n, static_cast<int64_t>(dim)}});
  }
  const bool has_dense = std::any_of(manifest.files.begin(), manifest.files.end(),
                                     [](const FileEntry& f) { return f.path == "dense.bin"; });
  if (has_dense) {
    ASSIGN_OR_RETURN(const std::vector<DenseArray> arrays, ReadDenseFile(dir + "/dense.bin"));
    fs::create_directories(out_dir + "/dense", ec);
    if (ec) return Status::Internal("cannot create ", out_dir, "/dense: ", ec.message());
    for (const DenseArray& array : arrays) {
      std::string name = array.name;
      std::replace(name.begin(), name.end(), '/', '.');
      const std::string relative = "dense/" + name + ".npy";
      RETURN_IF_ERROR(
          WriteNpy(out_dir + "/" + relative, NpyDtype::kFloat32, array.shape, array.values.data()).status());
      index.push_back({relative, "float32", "dense " + array.name, array.shape});
    }
  }
  std::ostringstream json;
  json << "{\n  \"checkpoint\": \"" << JsonEscape(dir) << "\",\n  \"step\": " << manifest.step
       << ",\n  \"epoch\": " << manifest.epoch << ",\n  \"files\": [";
  for (size_t i = 0; i < index.size(); ++i) {
    json << (i > 0 ? ",\n" : "\n") << "    {\"path\": \"" << JsonEscape(index[i].path) << "\", \"dtype\": \""
         << index[i].dtype << "\", \"shape\": " << ShapeString(index[i].shape) << ", \"what\": \""
         << JsonEscape(index[i].what) << "\"}";
  }
  json << "\n  ]\n}\n";
  return WriteWholeFile(out_dir + "/index.json", json.str()).status();
}

}  // namespace ember::storage
