#include "data/synthetic_sequences.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "common/files.h"
#include "common/random.h"

namespace ember::data {

Status GenerateSyntheticSequences(const SequenceSyntheticOptions& options, int64_t* lines) {
  if (options.out_dir.empty()) return Status::InvalidArgument("--out_dir is required");
  if (options.num_users < 1) return Status::InvalidArgument("num_users must be >= 1; got ", options.num_users);
  if (options.num_clusters < 1 || options.num_items < options.num_clusters ||
      options.num_items % options.num_clusters != 0) {
    return Status::InvalidArgument("num_items (", options.num_items, ") must be a positive multiple of num_clusters (",
                                   options.num_clusters, ")");
  }
  if (options.min_length < 1 || options.max_length < options.min_length) {
    return Status::InvalidArgument("sequence lengths [", options.min_length, ", ", options.max_length,
                                   "] must satisfy 1 <= min <= max");
  }
  if (!(options.successor_probability >= 0 && options.successor_probability <= 1)) {
    return Status::InvalidArgument("successor_probability must be in [0, 1]; got ", options.successor_probability);
  }
  if (!(options.zipf_exponent >= 0)) {
    return Status::InvalidArgument("zipf_exponent must be >= 0; got ", options.zipf_exponent);
  }
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) return Status::Internal("cannot create directory ", options.out_dir, ": ", error.message());

  const int32_t per_cluster = options.num_items / options.num_clusters;
  std::vector<double> cumulative(per_cluster);
  double total = 0;
  for (int32_t r = 0; r < per_cluster; ++r) {
    total += 1.0 / std::pow(r + 1.0, options.zipf_exponent);
    cumulative[r] = total;
  }
  Rng rng(Mix64(options.seed ^ 0x73657175656e6365ULL));
  std::string text;
  int64_t count = 0;
  for (int64_t user = 1; user <= options.num_users; ++user) {
    const int32_t length =
        options.min_length + static_cast<int32_t>(rng.UniformInt(options.max_length - options.min_length + 1));
    auto cluster = static_cast<int32_t>(rng.UniformInt(options.num_clusters));
    for (int32_t t = 0; t < length; ++t) {
      if (t > 0) {
        cluster = rng.Uniform() < options.successor_probability
                      ? (cluster + 1) % options.num_clusters
                      : static_cast<int32_t>(rng.UniformInt(options.num_clusters));
      }
      const double u = rng.Uniform() * total;
      const auto rank = static_cast<int32_t>(std::min<ptrdiff_t>(
          std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin(), per_cluster - 1));
      text.append(std::to_string(user)).append(" ").append(std::to_string(cluster * per_cluster + rank + 1));
      text.push_back('\n');
      ++count;
    }
  }
  const std::string dir = options.out_dir + "/";
  RETURN_IF_ERROR(WriteFileAtomically(dir + "interactions.txt", text));
  JsonObject json;
  json.Add("kind", "sequences")
      .Add("lines", count)
      .Add("num_users", options.num_users)
      .Add("num_items", static_cast<int64_t>(options.num_items))
      .Add("num_clusters", static_cast<int64_t>(options.num_clusters))
      .Add("min_length", static_cast<int64_t>(options.min_length))
      .Add("max_length", static_cast<int64_t>(options.max_length))
      .Add("successor_probability", options.successor_probability)
      .Add("zipf_exponent", options.zipf_exponent)
      .Add("seed", static_cast<int64_t>(options.seed));
  RETURN_IF_ERROR(WriteFileAtomically(dir + "truth.json", json.ToString() + "\n"));
  if (lines != nullptr) *lines = count;
  return Status::OK();
}

}  // namespace ember::data
