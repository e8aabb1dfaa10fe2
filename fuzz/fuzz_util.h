// fuzz/fuzz_util.h: what the fuzz targets share: the framing of a multipart
// message in one fuzz input, a temporary file for the decoders that take a
// path, quiet logging, and a check that aborts like a crash.
//
// A multipart input is a list of frames, each a 2-byte little-endian length
// and that many bytes (a length past the end takes what is left):
//
//   std::vector<std::vector<char>> frames = SplitFrames(data, size);
//   std::string input = JoinFrames({header, payload});  // the inverse, for seeds
//
// Every frame is a heap block of its exact size, so that ASan sees a read
// one byte past a frame (a std::string would keep a short frame inline).
#pragma once

#include <glog/logging.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace ember::fuzz {

inline constexpr size_t kMaxFrames = 8;

inline std::vector<std::vector<char>> SplitFrames(const uint8_t* data, size_t size) {
  std::vector<std::vector<char>> frames;
  size_t at = 0;
  while (size - at >= 2 && frames.size() < kMaxFrames) {
    size_t length = static_cast<size_t>(data[at]) | (static_cast<size_t>(data[at + 1]) << 8);
    at += 2;
    if (length > size - at) length = size - at;
    frames.emplace_back(reinterpret_cast<const char*>(data) + at, reinterpret_cast<const char*>(data) + at + length);
    at += length;
  }
  return frames;
}

inline std::string JoinFrames(const std::vector<std::string>& frames) {
  std::string out;
  for (const std::string& frame : frames) {
    out += static_cast<char>(frame.size() & 0xff);
    out += static_cast<char>((frame.size() >> 8) & 0xff);
    out += frame;
  }
  return out;
}

// Reads every byte of [data, data + n): a decoder's promise that the bytes
// are there, checked by ASan.
inline volatile char touched_byte;  // the reads below are not optimized away
inline void TouchBytes(const char* data, size_t n) {
  for (size_t i = 0; i < n; ++i) touched_byte = data[i];
}

// A property of the decoded value that must hold: abort (a crash to
// libFuzzer) with the message otherwise.
#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

// Only FATAL log lines: a decoder's warnings would drown libFuzzer's output.
inline void QuietLogging() { FLAGS_minloglevel = google::GLOG_FATAL; }

}  // namespace ember::fuzz

// Every target's libFuzzer start-up: quiet logging. One fuzzer per binary
// includes this header, so it is defined once per binary (make_corpus
// defines it unused).
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  ember::fuzz::QuietLogging();
  return 0;
}

namespace ember::fuzz {

// One file per fuzzing process under $TMPDIR (or /tmp), rewritten with each
// input and removed at exit.
class TempFile {
 public:
  TempFile() {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/ember_fuzz." + std::to_string(::getpid());
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Replaces the file's contents; aborts when the file cannot be written
  // (the fuzzer cannot go on without it).
  const std::string& Write(const uint8_t* data, size_t size) {
    std::FILE* file = std::fopen(path_.c_str(), "wb");
    FUZZ_CHECK(file != nullptr);
    FUZZ_CHECK(size == 0 || std::fwrite(data, 1, size, file) == size);
    FUZZ_CHECK(std::fclose(file) == 0);
    return path_;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace ember::fuzz
