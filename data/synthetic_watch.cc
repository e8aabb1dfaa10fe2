#include "data/synthetic_watch.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <vector>

#include "common/files.h"
#include "common/random.h"

namespace ember::data {
namespace {

constexpr int kHours = 24;
constexpr double kEffectStddev = 0.5;

double Sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

// Draws ranks 0..n-1 with P(r) ~ 1 / (r + 1)^1.1.
class ZipfSampler {
 public:
  explicit ZipfSampler(int32_t n) : cumulative_(n) {
    double total = 0;
    for (int32_t r = 0; r < n; ++r) cumulative_[r] = total += 1.0 / std::pow(r + 1.0, 1.1);
  }
  int32_t Draw(Rng* rng) const {
    const double u = rng->Uniform() * cumulative_.back();
    return static_cast<int32_t>(
        std::min<ptrdiff_t>(std::upper_bound(cumulative_.begin(), cumulative_.end(), u) - cumulative_.begin(),
                            static_cast<ptrdiff_t>(cumulative_.size()) - 1));
  }

 private:
  std::vector<double> cumulative_;
};

struct Impression {
  int32_t user, video, hour;
};

}  // namespace

Status GenerateSyntheticWatch(const WatchSyntheticOptions& options) {
  if (options.out_dir.empty()) return Status::InvalidArgument("--out_dir is required");
  if (options.train_rows < 1 || options.test_rows < 1) {
    return Status::InvalidArgument("train_rows and test_rows must be >= 1; got ", options.train_rows, " and ",
                                   options.test_rows);
  }
  if (options.num_users < 1 || options.num_videos < 1) {
    return Status::InvalidArgument("num_users and num_videos must be >= 1; got ", options.num_users, " and ",
                                   options.num_videos);
  }
  if (!(options.target_ctr > 0 && options.target_ctr < 1)) {
    return Status::InvalidArgument("target_ctr must be in (0, 1); got ", options.target_ctr);
  }
  std::error_code error;
  std::filesystem::create_directories(options.out_dir, error);
  if (error) return Status::Internal("cannot create directory ", options.out_dir, ": ", error.message());

  Rng model_rng(Mix64(options.seed ^ 0x7761746368ULL));
  auto effects = [&](int32_t n) {
    std::vector<double> v(n);
    for (double& x : v) x = model_rng.Normal(0, kEffectStddev);
    return v;
  };
  const std::vector<double> click_user = effects(options.num_users), click_video = effects(options.num_videos),
                            click_hour = effects(kHours), watch_user = effects(options.num_users),
                            watch_video = effects(options.num_videos);
  const ZipfSampler users(options.num_users), videos(options.num_videos);
  auto draw = [&](Rng* rng) {
    return Impression{users.Draw(rng), videos.Draw(rng), static_cast<int32_t>(rng->UniformInt(kHours))};
  };
  auto click_logit = [&](const Impression& x) {
    return click_user[x.user] + click_video[x.video] + click_hour[x.hour];
  };
  // The bias that gives the target CTR over a sample of impressions (bisection).
  Rng calibration(Mix64(options.seed ^ 0x63616c6962ULL));
  std::vector<double> logits(20'000);
  for (double& z : logits) z = click_logit(draw(&calibration));
  double low = -20, high = 20;
  for (int i = 0; i < 60; ++i) {
    const double mid = (low + high) / 2;
    double ctr = 0;
    for (double z : logits) ctr += Sigmoid(mid + z);
    (ctr / static_cast<double>(logits.size()) < options.target_ctr ? low : high) = mid;
  }
  const double bias = (low + high) / 2;

  auto write = [&](const std::string& name, int64_t rows, uint64_t stream, std::string* truth) -> Status {
    Rng rng(Mix64(options.seed ^ stream));
    std::string text = "click,weight,user,video,hour\n";
    char line[160];
    for (int64_t r = 0; r < rows; ++r) {
      const Impression x = draw(&rng);
      const double p = Sigmoid(bias + click_logit(x));
      const double mean = std::exp(1.0 + watch_video[x.video] + watch_user[x.user]);
      const bool click = rng.Uniform() < p;
      double u = rng.Uniform();
      if (u < 1e-300) u = 1e-300;
      const double weight = click ? -mean * std::log(u) : 1.0;
      text.append(line, static_cast<size_t>(std::snprintf(line, sizeof(line), "%d,%.6g,u%d,v%d,h%d\n", click ? 1 : 0,
                                                          weight, x.user, x.video, x.hour)));
      if (truth != nullptr) {
        truth->append(line, static_cast<size_t>(std::snprintf(line, sizeof(line), "%.9g,%.9g,%.9g,%.9g\n", p, mean,
                                                              p * mean, p * mean / (1 - p))));
      }
    }
    return WriteFileAtomically(options.out_dir + "/" + name, text);
  };
  RETURN_IF_ERROR(write("train.csv", options.train_rows, 0x747261696eULL, nullptr));
  std::string truth = "p_click,mean_watch,expected_watch,odds_target\n";
  RETURN_IF_ERROR(write("test.csv", options.test_rows, 0x74657374ULL, &truth));
  return WriteFileAtomically(options.out_dir + "/test_truth.csv", truth);
}

}  // namespace ember::data
