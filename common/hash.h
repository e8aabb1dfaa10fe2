// common/hash.h: the hashes that place keys.
//
//   key   = HashFieldToken(field, token)        // a sparse feature's 64-bit key
//   owner = JumpConsistentHash(Mix64(key), S)   // the server that owns it
//
// All functions are pure and thread-safe. Their values are part of the
// checkpoint format: changing them changes where every key lives.
#pragma once

#include <cstdint>
#include <string_view>

namespace ember {

using Key = uint64_t;

// A bijective 64-bit finalizer (splitmix64 / Stafford variant 13). Spreads
// keys with structure in their low bits over all 64 bits.
constexpr uint64_t Mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Lamping and Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm"
// (2014). Returns a bucket in [0, num_buckets); when num_buckets grows from
// n to n+1 only 1/(n+1) of the keys move. num_buckets must be >= 1.
constexpr int32_t JumpConsistentHash(uint64_t key, int32_t num_buckets) {
  int64_t b = -1;
  int64_t j = 0;
  while (j < num_buckets) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<int64_t>(static_cast<double>(b + 1) *
                             (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<int32_t>(b);
}

// 64-bit FNV-1a over the bytes, then Mix64: stable across platforms.
constexpr uint64_t HashBytes(std::string_view bytes, uint64_t seed = 0) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix64(seed);
  for (char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

// The key of raw token `token` in field `field`: equal tokens in different
// fields get different keys.
constexpr Key HashFieldToken(uint32_t field, std::string_view token) {
  return HashBytes(token, 0x9e3779b97f4a7c15ULL + field);
}

// The key of a crossed feature made of two keys (Wide & Deep's cross product
// transformation); order matters: pass keys in field order.
constexpr Key HashCross(Key a, Key b) { return Mix64(a ^ Mix64(b + 0x632be59bd9b4e019ULL)); }

// Which of `num_servers` servers owns `key`.
constexpr int32_t OwnerOfKey(Key key, int32_t num_servers) {
  return JumpConsistentHash(Mix64(key ^ 0x5851f42d4c957f2dULL), num_servers);
}

}  // namespace ember
