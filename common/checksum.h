// common/checksum.h: a fast streaming 64-bit checksum for checkpoint files.
//
// The structure follows xxHash64 (four independent 64-bit multiply-rotate
// lanes over 32-byte stripes, merged and avalanched at the end), so it runs
// at memory speed (several GB/s on one core) and a single flipped, dropped
// or added byte changes the value. It detects accidents (truncation, bit rot,
// a partial copy), not tampering. Its values are part of the checkpoint
// format: do not change the algorithm without bumping the format version.
//
//   Checksum64 sum;
//   sum.Update(header, 32);
//   sum.Update(rows.data(), rows.size());
//   uint64_t value = sum.value();          // == ComputeChecksum64(all bytes)
//
// Thread-compatible: one Checksum64 per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ember {

class Checksum64 {
 public:
  explicit Checksum64(uint64_t seed = 0) { Reset(seed); }

  // Starts over, as if newly built with `seed`.
  void Reset(uint64_t seed = 0);
  // Feeds `n` more bytes; the split of a stream into calls does not matter.
  void Update(const void* data, size_t n);
  void Update(std::string_view bytes) { Update(bytes.data(), bytes.size()); }
  // The checksum of every byte fed so far (does not end the stream).
  uint64_t value() const;
  // Bytes fed so far.
  uint64_t length() const { return total_; }

 private:
  uint64_t lanes_[4];
  uint64_t seed_;
  uint64_t total_;
  unsigned char pending_[32];  // a partial stripe
  size_t pending_size_;
};

// The checksum of one buffer: Checksum64 fed once.
uint64_t ComputeChecksum64(const void* data, size_t n, uint64_t seed = 0);
inline uint64_t ComputeChecksum64(std::string_view bytes, uint64_t seed = 0) {
  return ComputeChecksum64(bytes.data(), bytes.size(), seed);
}

// 16 lower-case hex digits, and back. ParseHex64 returns false unless `text`
// is exactly 16 lower-case hex digits (one spelling per value).
std::string Hex64(uint64_t value);
bool ParseHex64(std::string_view text, uint64_t* value);

}  // namespace ember
