// storage/optimizer.h: the sparse optimizers and initializers a server applies to
// one row in place.
//
// A row of a table is [value: dim floats][optimizer state][meta: 2 words]
// (see sparse_table.h); these functions see the value and the state parts.
// Pure functions of their arguments; thread-safe.
//
//   InitRowValue(table, seed, key, value);
//   InitOptimizerState(table.optimizer, dim, state);
//   ApplySparseOptimizer(table.optimizer, dim, grad, /*update_count=*/1, value, state);
#pragma once

#include <cstdint>

#include "common/hash.h"
#include "sparse/table_config.h"

namespace ember::storage {

// Writes the initial value (dim floats) of `key`'s row. Depends only on
// (seed, table.id, key, table.initializer, table.init_scale).
void InitRowValue(const sparse::TableConfig& table, uint64_t seed, Key key, float* value);

// Writes the state of a new row: AdaGrad's accumulator starts at
// initial_accumulator; every other state starts at 0.
void InitOptimizerState(const sparse::SparseOptimizerConfig& optimizer, int dim, float* state);

// Applies one gradient to a row:
//   sgd:     w -= lr * g
//   adagrad: acc += g^2;  w -= lr * g / sqrt(acc)
//   ftrl:    McMahan et al. 2013, Algorithm 1, per coordinate i:
//            sigma = (sqrt(n + g^2) - sqrt(n)) / alpha;  z += g - sigma * w;  n += g^2;
//            w = 0 if |z| <= l1, else -(z - sign(z) * l1) / ((beta + sqrt(n)) / alpha + l2)
//   adam:    t = update_count;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//            w -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// `update_count` is the row's number of updates including this one (>= 1).
void ApplySparseOptimizer(const sparse::SparseOptimizerConfig& optimizer, int dim, const float* grad,
                          uint32_t update_count, float* value, float* state);

// AdaGrad as above with the gradient read from little-endian wire bytes
// (dim floats, any alignment): bitwise the same result as
// ApplySparseOptimizer's kAdagrad with those floats (8 lanes at a time
// where the CPU has AVX2, else 4 where SSE2 is there; IEEE sqrt and
// division are correctly rounded in every lane). Little-endian hosts only.
void ApplyAdagradFromWire(float learning_rate, int dim, const char* grad_bytes, float* value, float* acc);

}  // namespace ember::storage
