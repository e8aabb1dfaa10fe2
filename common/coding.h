// common/coding.h: little-endian fixed-width encoding for wire and file
// headers (never a struct memcpy: layout and byte order are explicit).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace ember {

inline void EncodeFixed16(char* out, uint16_t v) {
  out[0] = static_cast<char>(v);
  out[1] = static_cast<char>(v >> 8);
}
inline void EncodeFixed32(char* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
inline void EncodeFixed64(char* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
inline uint16_t DecodeFixed16(const char* in) {
  return static_cast<uint16_t>(static_cast<uint8_t>(in[0]) | (static_cast<uint8_t>(in[1]) << 8));
}
inline uint32_t DecodeFixed32(const char* in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}
inline uint64_t DecodeFixed64(const char* in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[i])) << (8 * i);
  return v;
}
inline void EncodeDouble(char* out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  EncodeFixed64(out, bits);
}
inline double DecodeDouble(const char* in) {
  const uint64_t bits = DecodeFixed64(in);
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

// Little-endian float32 (bit for bit).
inline void EncodeFloat(char* dst, float v) { EncodeFixed32(dst, std::bit_cast<uint32_t>(v)); }
inline float DecodeFloat(const char* src) { return std::bit_cast<float>(DecodeFixed32(src)); }
// n floats to / from 4n little-endian bytes at any alignment (a memcpy on
// little-endian hosts).
inline void EncodeFloats(const float* values, size_t n, char* dst) {
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(dst, values, n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) EncodeFloat(dst + 4 * i, values[i]);
  }
}
inline void DecodeFloats(const char* src, size_t n, float* values) {
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(values, src, n * sizeof(float));
  } else {
    for (size_t i = 0; i < n; ++i) values[i] = DecodeFloat(src + 4 * i);
  }
}

}  // namespace ember
