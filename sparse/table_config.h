// sparse/table_config.h: what a sparse table is: its id, row width, optimizer and
// initializer.
//
// Every server and every client of a job is given the same list of
// TableConfig (built by main from flags); the HELLO exchange checks that the
// client's ids and dims agree with the server's. Values only, thread-compatible.
//
//   TableConfig wide{.id = 0, .name = "wide", .dim = 1};
//   wide.optimizer.type = SparseOptimizerType::kFtrl;
//   RETURN_IF_ERROR(ValidateTableConfig(wide));
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace ember::sparse {

enum class SparseOptimizerType : uint8_t { kSgd, kAdagrad, kFtrl, kAdam };

// "sgd", "adagrad", "ftrl", "adam" (exact, lower case); InvalidArgument otherwise.
StatusOr<SparseOptimizerType> ParseSparseOptimizerType(std::string_view name);
// The inverse of ParseSparseOptimizerType.
std::string_view SparseOptimizerTypeName(SparseOptimizerType type);

struct SparseOptimizerConfig {
  SparseOptimizerType type = SparseOptimizerType::kAdagrad;  // Default: AdaGrad
  float learning_rate = 0.05f;                               // sgd, adagrad, adam. Default: 0.05
  float initial_accumulator = 0.1f;                          // adagrad: the accumulator of a new row. Default: 0.1
  // FTRL-Proximal, McMahan et al. 2013 ("Ad Click Prediction: a View from
  // the Trenches"), Algorithm 1, per coordinate.
  float ftrl_alpha = 0.05f, ftrl_beta = 1.0f, ftrl_l1 = 1.0f, ftrl_l2 = 1.0f;
  // Adam (Kingma and Ba 2015) with a per-row step count for bias correction.
  float adam_beta1 = 0.9f, adam_beta2 = 0.999f, adam_epsilon = 1e-8f;
};

enum class InitializerType : uint8_t { kZeros, kNormal, kUniform };

// "zeros", "normal", "uniform"; InvalidArgument otherwise.
StatusOr<InitializerType> ParseInitializerType(std::string_view name);

struct TableConfig {
  uint32_t id = 0;   // unique in the job; the wire carries it
  std::string name;  // for messages and checkpoints
  int dim = 1;       // floats per row, >= 1
  SparseOptimizerConfig optimizer;
  InitializerType initializer = InitializerType::kZeros;  // Default: zeros
  float init_scale = 0.01f;                               // stddev for normal, half-width for uniform
  // A row's initial value depends only on (seed, table id, key), not on the
  // order in which keys arrive, so runs are reproducible.
};

// OK, or InvalidArgument naming the table and the field at fault (dim < 1 or
// too large, non-positive learning rate, beta outside [0, 1), ...).
Status ValidateTableConfig(const TableConfig& table);
// ValidateTableConfig on each, plus unique ids.
Status ValidateTableConfigs(const std::vector<TableConfig>& tables);

// Floats of optimizer state per row: sgd 0, adagrad dim, ftrl 2*dim (z, n),
// adam 2*dim (m, v).
int OptimizerStateFloats(SparseOptimizerType type, int dim);

}  // namespace ember::sparse
