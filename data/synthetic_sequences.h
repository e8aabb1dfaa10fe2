// data/synthetic_sequences.h: `ember gen-data --kind=sequences`, user
// behaviour sequences whose next item depends on the history, so that the
// sequence models (DIN, BST, YouTube DNN) have something a model without
// the history cannot learn.
//
// The true model (the defaults in SequenceSyntheticOptions):
//   items     num_items items in num_clusters clusters of equal size; item
//             id = cluster * items_per_cluster + rank + 1, and within a
//             cluster rank r is drawn with P(r) ~ 1 / (r + 1)^zipf_exponent.
//   users     each user's sequence has a length uniform in
//             [min_length, max_length]. Its first item's cluster is uniform;
//             each next item's cluster is the successor (c + 1) mod
//             num_clusters of the current one with probability
//             successor_probability, else uniform. A user therefore drifts
//             through the clusters: who the user is says little about the
//             next item, the latest item says a lot.
// The file is the SASRec layout: `user item` per line (ids from 1), each
// user's lines together and in time order, so data::InteractionData reads it
// (line order is time order) and splits it leave-one-out.
//
// Deterministic from the seed; single-threaded.
//
//   SequenceSyntheticOptions options{.out_dir = "/tmp/seq"};
//   RETURN_IF_ERROR(GenerateSyntheticSequences(options));  // /tmp/seq/interactions.txt
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace ember::data {

struct SequenceSyntheticOptions {
  std::string out_dir;                 // REQUIRED; created if needed
  int64_t num_users = 2000;            // >= 1. Default: 2000
  int32_t num_items = 1000;            // a multiple of num_clusters. Default: 1000
  int32_t num_clusters = 20;           // >= 1. Default: 20
  int32_t min_length = 8;              // >= 1. Default: 8
  int32_t max_length = 24;             // >= min_length. Default: 24
  double successor_probability = 0.8;  // in [0, 1]. Default: 0.8
  double zipf_exponent = 1.0;          // of the item ranks within a cluster, >= 0. Default: 1
  uint64_t seed = 1;                   // Default: 1
};

// Writes out_dir/interactions.txt and out_dir/truth.json (the options, the
// number of lines). InvalidArgument naming a bad option; the file error
// otherwise.
Status GenerateSyntheticSequences(const SequenceSyntheticOptions& options, int64_t* lines = nullptr);

}  // namespace ember::data
