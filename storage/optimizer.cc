#include "storage/optimizer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/random.h"

namespace ember::storage {

void InitRowValue(const sparse::TableConfig& table, uint64_t seed, Key key, float* value) {
  const int dim = table.dim;
  if (table.initializer == sparse::InitializerType::kZeros || table.init_scale == 0.0f) {
    std::fill(value, value + dim, 0.0f);
    return;
  }
  // One generator per row, seeded from (seed, table, key) only.
  Rng rng(Mix64(seed ^ Mix64(0x7a5e11ab1e000000ULL + table.id)) ^ Mix64(key + 0x2545f4914f6cdd1dULL));
  if (table.initializer == sparse::InitializerType::kNormal) {
    for (int i = 0; i < dim; ++i) value[i] = static_cast<float>(rng.Normal(0.0, table.init_scale));
  } else {
    for (int i = 0; i < dim; ++i) {
      value[i] = static_cast<float>((2.0 * rng.Uniform() - 1.0) * table.init_scale);
    }
  }
}

void InitOptimizerState(const sparse::SparseOptimizerConfig& optimizer, int dim, float* state) {
  const int n = sparse::OptimizerStateFloats(optimizer.type, dim);
  const float start = optimizer.type == sparse::SparseOptimizerType::kAdagrad ? optimizer.initial_accumulator : 0.0f;
  std::fill(state, state + n, start);
}

void ApplySparseOptimizer(const sparse::SparseOptimizerConfig& o, int dim, const float* grad, uint32_t update_count,
                          float* value, float* state) {
  switch (o.type) {
    case sparse::SparseOptimizerType::kSgd: {
      const float lr = o.learning_rate;
      for (int i = 0; i < dim; ++i) value[i] -= lr * grad[i];
      return;
    }
    case sparse::SparseOptimizerType::kAdagrad: {
      if constexpr (std::endian::native == std::endian::little) {
        ApplyAdagradFromWire(o.learning_rate, dim, reinterpret_cast<const char*>(grad), value, state);
        return;
      }
      const float lr = o.learning_rate;
      float* acc = state;
      for (int i = 0; i < dim; ++i) {
        const float g = grad[i];
        acc[i] += g * g;
        value[i] -= lr * g / std::sqrt(acc[i]);
      }
      return;
    }
    case sparse::SparseOptimizerType::kFtrl: {
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
    case sparse::SparseOptimizerType::kAdam: {
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

namespace {

// The AdaGrad step of ApplyAdagradFromWire on lanes [i, dim), in the order
// of the scalar loop: acc += g * g; value -= (lr * g) / sqrt(acc). Every
// variant computes each lane with the same correctly rounded IEEE
// operations (no fused multiply-add), so all give bitwise the same rows.
void AdagradLanes(float lr, int i, int dim, const char* grad_bytes, float* value, float* acc) {
#if defined(__SSE2__)
  const __m128 lr4 = _mm_set1_ps(lr);
  for (; i + 4 <= dim; i += 4) {
    const __m128 g = _mm_loadu_ps(reinterpret_cast<const float*>(grad_bytes + 4 * static_cast<size_t>(i)));
    const __m128 a = _mm_add_ps(_mm_loadu_ps(acc + i), _mm_mul_ps(g, g));
    _mm_storeu_ps(acc + i, a);
    const __m128 step = _mm_div_ps(_mm_mul_ps(lr4, g), _mm_sqrt_ps(a));
    _mm_storeu_ps(value + i, _mm_sub_ps(_mm_loadu_ps(value + i), step));
  }
#endif
  for (; i < dim; ++i) {
    float g;
    std::memcpy(&g, grad_bytes + 4 * static_cast<size_t>(i), sizeof(g));
    acc[i] += g * g;
    value[i] -= lr * g / std::sqrt(acc[i]);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
// 8 lanes at a time where the CPU has AVX2 (chosen at run time: the build
// targets plain x86-64). Fewer instructions per row let the core keep more
// rows' memory reads in flight: `ps_bench` BM_TablePush, bench/README.md.
__attribute__((target("avx2"))) void AdagradAvx2(float lr, int dim, const char* grad_bytes, float* value, float* acc) {
  const __m256 lr8 = _mm256_set1_ps(lr);
  int i = 0;
  for (; i + 8 <= dim; i += 8) {
    const __m256 g = _mm256_loadu_ps(reinterpret_cast<const float*>(grad_bytes + 4 * static_cast<size_t>(i)));
    const __m256 a = _mm256_add_ps(_mm256_loadu_ps(acc + i), _mm256_mul_ps(g, g));
    _mm256_storeu_ps(acc + i, a);
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(lr8, g), _mm256_sqrt_ps(a));
    _mm256_storeu_ps(value + i, _mm256_sub_ps(_mm256_loadu_ps(value + i), step));
  }
  AdagradLanes(lr, i, dim, grad_bytes, value, acc);
}
// Read at static initialization: __builtin_cpu_init first, as GCC asks of
// a check that may run before libgcc's own constructor.
const bool kHasAvx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

}  // namespace

void ApplyAdagradFromWire(float learning_rate, int dim, const char* grad_bytes, float* value, float* acc) {
#if defined(__x86_64__) && defined(__GNUC__)
  if (kHasAvx2) return AdagradAvx2(learning_rate, dim, grad_bytes, value, acc);
#endif
  AdagradLanes(learning_rate, 0, dim, grad_bytes, value, acc);
}

}  // namespace ember::storage
