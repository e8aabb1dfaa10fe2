#include "ps/optimizer.h"

#include <algorithm>
#include <cmath>

#include "common/random.h"

namespace ember::ps {

void InitRowValue(const TableConfig& table, uint64_t seed, Key key, float* value) {
  const int dim = table.dim;
  if (table.initializer == InitializerType::kZeros || table.init_scale == 0.0f) {
    std::fill(value, value + dim, 0.0f);
    return;
  }
  // One generator per row, seeded from (seed, table, key) only.
  Rng rng(Mix64(seed ^ Mix64(0x7a5e11ab1e000000ULL + table.id)) ^ Mix64(key + 0x2545f4914f6cdd1dULL));
  if (table.initializer == InitializerType::kNormal) {
    for (int i = 0; i < dim; ++i) value[i] = static_cast<float>(rng.Normal(0.0, table.init_scale));
  } else {
    for (int i = 0; i < dim; ++i) {
      value[i] = static_cast<float>((2.0 * rng.Uniform() - 1.0) * table.init_scale);
    }
  }
}

void InitOptimizerState(const SparseOptimizerConfig& optimizer, int dim, float* state) {
  const int n = OptimizerStateFloats(optimizer.type, dim);
  const float start = optimizer.type == SparseOptimizerType::kAdagrad ? optimizer.initial_accumulator : 0.0f;
  std::fill(state, state + n, start);
}

void ApplySparseOptimizer(const SparseOptimizerConfig& o, int dim, const float* grad,
                          uint32_t update_count, float* value, float* state) {
  switch (o.type) {
    case SparseOptimizerType::kSgd: {
      const float lr = o.learning_rate;
      for (int i = 0; i < dim; ++i) value[i] -= lr * grad[i];
      return;
    }
    case SparseOptimizerType::kAdagrad: {
      const float lr = o.learning_rate;
      float* acc = state;
      for (int i = 0; i < dim; ++i) {
        const float g = grad[i];
        acc[i] += g * g;
        value[i] -= lr * g / std::sqrt(acc[i]);
      }
      return;
    }
    case SparseOptimizerType::kFtrl: {
      float* z = state;
      float* n = state + dim;
      const float alpha = o.ftrl_alpha, beta = o.ftrl_beta, l1 = o.ftrl_l1, l2 = o.ftrl_l2;
      for (int i = 0; i < dim; ++i) {
        const float g = grad[i];
        const float n_new = n[i] + g * g;
        const float sqrt_n_new = std::sqrt(n_new);
        const float sigma = (sqrt_n_new - std::sqrt(n[i])) / alpha;
        z[i] += g - sigma * value[i];
        n[i] = n_new;
        if (std::fabs(z[i]) <= l1) {
          value[i] = 0.0f;
        } else {
          const float sign_z = z[i] < 0.0f ? -1.0f : 1.0f;
          value[i] = -(z[i] - sign_z * l1) / ((beta + sqrt_n_new) / alpha + l2);
        }
      }
      return;
    }
    case SparseOptimizerType::kAdam: {
      float* m = state;
      float* v = state + dim;
      const float b1 = o.adam_beta1, b2 = o.adam_beta2;
      const double t = static_cast<double>(std::max<uint32_t>(update_count, 1));
      const float correction1 = static_cast<float>(1.0 - std::pow(static_cast<double>(b1), t));
      const float correction2 = static_cast<float>(1.0 - std::pow(static_cast<double>(b2), t));
      const float lr = o.learning_rate, eps = o.adam_epsilon;
      for (int i = 0; i < dim; ++i) {
        const float g = grad[i];
        m[i] = b1 * m[i] + (1.0f - b1) * g;
        v[i] = b2 * v[i] + (1.0f - b2) * g * g;
        const float m_hat = m[i] / correction1;
        const float v_hat = v[i] / correction2;
        value[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
      }
      return;
    }
  }
}

}  // namespace ember::ps
