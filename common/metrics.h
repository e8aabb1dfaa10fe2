// common/metrics.h: the quality figures of a binary classifier.
//
// Exact AUC (ties get half credit) by sorting scores, and mean logloss of
// probabilities. Pure functions; thread-safe.
//
//   double auc = ComputeAuc(probabilities, labels);   // NaN if one class
//   double ll = ComputeLogloss(probabilities, labels);
#pragma once

#include <span>

namespace ember {

// Area under the ROC curve of `scores` against 0/1 `labels` (a label > 0.5
// counts as positive). NaN when either class is absent. Equal sizes.
double ComputeAuc(std::span<const float> scores, std::span<const float> labels);

// Mean binary cross-entropy of probabilities (clamped to [1e-7, 1-1e-7]).
// NaN for empty input.
double ComputeLogloss(std::span<const float> probabilities, std::span<const float> labels);

}  // namespace ember
