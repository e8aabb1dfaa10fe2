#include "sparse/table_config.h"

#include <cmath>
#include <unordered_set>

namespace ember::sparse {

StatusOr<SparseOptimizerType> ParseSparseOptimizerType(std::string_view name) {
  if (name == "sgd") return SparseOptimizerType::kSgd;
  if (name == "adagrad") return SparseOptimizerType::kAdagrad;
  if (name == "ftrl") return SparseOptimizerType::kFtrl;
  if (name == "adam") return SparseOptimizerType::kAdam;
  return Status::InvalidArgument("unknown sparse optimizer '", name, "' (expected sgd, adagrad, ftrl or adam)");
}

std::string_view SparseOptimizerTypeName(SparseOptimizerType type) {
  switch (type) {
    case SparseOptimizerType::kSgd:
      return "sgd";
    case SparseOptimizerType::kAdagrad:
      return "adagrad";
    case SparseOptimizerType::kFtrl:
      return "ftrl";
    case SparseOptimizerType::kAdam:
      return "adam";
  }
  return "unknown";
}

StatusOr<InitializerType> ParseInitializerType(std::string_view name) {
  if (name == "zeros") return InitializerType::kZeros;
  if (name == "normal") return InitializerType::kNormal;
  if (name == "uniform") return InitializerType::kUniform;
  return Status::InvalidArgument("unknown initializer '", name, "' (expected zeros, normal or uniform)");
}

int OptimizerStateFloats(SparseOptimizerType type, int dim) {
  switch (type) {
    case SparseOptimizerType::kSgd:
      return 0;
    case SparseOptimizerType::kAdagrad:
      return dim;
    case SparseOptimizerType::kFtrl:
      return 2 * dim;
    case SparseOptimizerType::kAdam:
      return 2 * dim;
  }
  return 0;
}

Status ValidateTableConfig(const TableConfig& table) {
  const auto bad = [&](std::string_view field, auto value, std::string_view want) {
    return Status::InvalidArgument("table ", table.id, " ('", table.name, "'): ", field, " = ", value, ", want ", want);
  };
  constexpr int kMaxDim = 1 << 16;
  if (table.dim < 1 || table.dim > kMaxDim) return bad("dim", table.dim, "1..65536");
  const SparseOptimizerConfig& o = table.optimizer;
  const auto finite = [](float x) { return std::isfinite(x); };
  switch (o.type) {
    case SparseOptimizerType::kSgd:
    case SparseOptimizerType::kAdagrad:
    case SparseOptimizerType::kAdam:
      if (!(o.learning_rate > 0) || !finite(o.learning_rate)) return bad("learning_rate", o.learning_rate, "> 0");
      break;
    case SparseOptimizerType::kFtrl:
      if (!(o.ftrl_alpha > 0) || !finite(o.ftrl_alpha)) return bad("ftrl_alpha", o.ftrl_alpha, "> 0");
      if (!(o.ftrl_beta >= 0) || !finite(o.ftrl_beta)) return bad("ftrl_beta", o.ftrl_beta, ">= 0");
      if (!(o.ftrl_l1 >= 0) || !finite(o.ftrl_l1)) return bad("ftrl_l1", o.ftrl_l1, ">= 0");
      if (!(o.ftrl_l2 >= 0) || !finite(o.ftrl_l2)) return bad("ftrl_l2", o.ftrl_l2, ">= 0");
      if (o.ftrl_beta == 0 && o.ftrl_l2 == 0) return bad("ftrl_beta + ftrl_l2", 0, "> 0 (else w divides by zero)");
      break;
  }
  if (o.type == SparseOptimizerType::kAdagrad && (!(o.initial_accumulator > 0) || !finite(o.initial_accumulator))) {
    return bad("initial_accumulator", o.initial_accumulator, "> 0");
  }
  if (o.type == SparseOptimizerType::kAdam) {
    if (!(o.adam_beta1 >= 0 && o.adam_beta1 < 1)) return bad("adam_beta1", o.adam_beta1, "in [0, 1)");
    if (!(o.adam_beta2 >= 0 && o.adam_beta2 < 1)) return bad("adam_beta2", o.adam_beta2, "in [0, 1)");
    if (!(o.adam_epsilon > 0) || !finite(o.adam_epsilon)) return bad("adam_epsilon", o.adam_epsilon, "> 0");
  }
  if (!(table.init_scale >= 0) || !finite(table.init_scale)) return bad("init_scale", table.init_scale, ">= 0");
  return Status::OK();
}

Status ValidateTableConfigs(const std::vector<TableConfig>& tables) {
  std::unordered_set<uint32_t> ids;
  for (const TableConfig& table : tables) {
    RETURN_IF_ERROR(ValidateTableConfig(table));
    if (!ids.insert(table.id).second) {
      return Status::InvalidArgument("table id ", table.id, " ('", table.name, "') appears twice");
    }
  }
  return Status::OK();
}

}  // namespace ember::sparse
