// common/random.h: a small, fast, seedable generator (xoshiro256**).
//
// Every random choice in ember (initializers, data generation, shuffles,
// dropout) draws from an Rng seeded from --seed, so that a run is
// reproducible. An Rng is a value: not thread-safe; give each thread its own.
//
//   Rng rng(/*seed=*/42);
//   float u = rng.Uniform();          // [0, 1)
//   float g = rng.Normal(0.f, 0.01f);
#pragma once

#include <cmath>
#include <cstdint>

#include "common/hash.h"

namespace ember {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : state_) {
      x += 0x9e3779b97f4a7c15ULL;
      s = Mix64(x);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n); n > 0.
  uint64_t UniformInt(uint64_t n) { return Next() % n; }
  // Box-Muller.
  double Normal(double mean = 0.0, double stddev = 1.0) {
    double u1 = Uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    const double u2 = Uniform();
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace ember
