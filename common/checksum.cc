#include "common/checksum.h"

#include <bit>
#include <cstring>

#include "common/coding.h"

namespace ember {
namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ULL;

// Little-endian loads at any alignment (a plain load on x86 and ARM).
inline uint64_t Load64(const unsigned char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  } else {
    return DecodeFixed64(reinterpret_cast<const char*>(p));
  }
}
inline uint32_t Load32(const unsigned char* p) {
  if constexpr (std::endian::native == std::endian::little) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  } else {
    return DecodeFixed32(reinterpret_cast<const char*>(p));
  }
}

inline uint64_t Round(uint64_t acc, uint64_t input) {
  acc += input * kP2;
  acc = std::rotl(acc, 31);
  return acc * kP1;
}
inline uint64_t MergeRound(uint64_t acc, uint64_t lane) {
  acc ^= Round(0, lane);
  return acc * kP1 + kP4;
}

// Consumes whole 32-byte stripes; returns the bytes consumed.
inline size_t ConsumeStripes(uint64_t lanes[4], const unsigned char* p, size_t n) {
  uint64_t a = lanes[0], b = lanes[1], c = lanes[2], d = lanes[3];
  const unsigned char* const end = p + (n & ~size_t{31});
  const unsigned char* q = p;
  for (; q < end; q += 32) {
    a = Round(a, Load64(q));
    b = Round(b, Load64(q + 8));
    c = Round(c, Load64(q + 16));
    d = Round(d, Load64(q + 24));
  }
  lanes[0] = a, lanes[1] = b, lanes[2] = c, lanes[3] = d;
  return static_cast<size_t>(q - p);
}

}  // namespace

void Checksum64::Reset(uint64_t seed) {
  seed_ = seed;
  lanes_[0] = seed + kP1 + kP2;
  lanes_[1] = seed + kP2;
  lanes_[2] = seed;
  lanes_[3] = seed - kP1;
  total_ = 0;
  pending_size_ = 0;
}

void Checksum64::Update(const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  total_ += n;
  if (pending_size_ + n < 32) {
    if (n != 0) std::memcpy(pending_ + pending_size_, p, n);
    pending_size_ += n;
    return;
  }
  if (pending_size_ != 0) {
    const size_t fill = 32 - pending_size_;
    std::memcpy(pending_ + pending_size_, p, fill);
    ConsumeStripes(lanes_, pending_, 32);
    p += fill;
    n -= fill;
    pending_size_ = 0;
  }
  const size_t used = ConsumeStripes(lanes_, p, n);
  p += used;
  n -= used;
  if (n != 0) std::memcpy(pending_, p, n);
  pending_size_ = n;
}

uint64_t Checksum64::value() const {
  uint64_t h;
  if (total_ >= 32) {
    h = std::rotl(lanes_[0], 1) + std::rotl(lanes_[1], 7) + std::rotl(lanes_[2], 12) + std::rotl(lanes_[3], 18);
    for (int i = 0; i < 4; ++i) h = MergeRound(h, lanes_[i]);
  } else {
    h = seed_ + kP5;
  }
  h += total_;
  const unsigned char* p = pending_;
  size_t n = pending_size_;
  for (; n >= 8; p += 8, n -= 8) h = std::rotl(h ^ Round(0, Load64(p)), 27) * kP1 + kP4;
  if (n >= 4) {
    h = std::rotl(h ^ (static_cast<uint64_t>(Load32(p)) * kP1), 23) * kP2 + kP3;
    p += 4;
    n -= 4;
  }
  for (; n > 0; ++p, --n) h = std::rotl(h ^ (*p * kP5), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

uint64_t ComputeChecksum64(const void* data, size_t n, uint64_t seed) {
  Checksum64 sum(seed);
  sum.Update(data, n);
  return sum.value();
}

std::string Hex64(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4) out[i] = kDigits[value & 15];
  return out;
}

bool ParseHex64(std::string_view text, uint64_t* value) {
  if (text.size() != 16) return false;
  uint64_t v = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else
      return false;
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *value = v;
  return true;
}

}  // namespace ember
