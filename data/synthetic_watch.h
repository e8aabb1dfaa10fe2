// data/synthetic_watch.h: `ember gen-data --kind=watch`, video impressions
// with clicks and watch times from a KNOWN model, for YouTube DNN's ranking
// model (weighted logistic regression, models/youtube_dnn.h): its exp(logit)
// should learn the expected watch time of an impression.
//
// The true model: an impression is (user, video, hour) with user and video
// Zipf(1.1)-distributed over num_users and num_videos, hour uniform in 24.
//   click    P(click) = sigmoid(bias + a_user + a_video + a_hour), the a's
//            N(0, 0.5^2), bias solved for a mean CTR of target_ctr.
//   watch    given a click, T ~ Exponential(mean m = exp(1 + b_video +
//            b_user)), the b's N(0, 0.5^2); no watch time without a click.
// So E[T | impression] = P(click) * m, and weighted logistic regression
// (positives weighted by T, negatives by 1) learns the odds
// P(click) * m / (1 - P(click)), which is close to E[T] when clicks are rare.
//
// Files (CSV with a header; `ember train --data_format=schema
// --schema=label,weight,cat*3 --schema_header` reads them):
//   train.csv, test.csv   click,weight,user,video,hour   (weight: T for a
//                         click, 1 otherwise)
//   test_truth.csv        p_click,mean_watch,expected_watch,odds_target per
//                         test row (in test.csv order), for checking a model.
// Deterministic from the seed; single-threaded.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ember::data {

struct WatchSyntheticOptions {
  std::string out_dir;           // REQUIRED; created if needed
  int64_t train_rows = 200'000;  // >= 1. Default: 200k
  int64_t test_rows = 20'000;    // >= 1. Default: 20k
  int32_t num_users = 2000;      // >= 1. Default: 2000
  int32_t num_videos = 1000;     // >= 1. Default: 1000
  double target_ctr = 0.1;       // in (0, 1). Default: 0.1
  uint64_t seed = 1;             // Default: 1
};

// Writes the three files. InvalidArgument naming a bad option; the file
// error otherwise.
Status GenerateSyntheticWatch(const WatchSyntheticOptions& options);

}  // namespace ember::data
