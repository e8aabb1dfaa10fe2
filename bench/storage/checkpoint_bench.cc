// checkpoint_bench: how close checkpoint files come to the disk's speed.
//
// On one directory (one disk), each figure the median of 3 runs:
//   (a) raw write:   N MiB in 4 MiB write() calls, then fsync: the disk's
//                    sequential write speed as this process sees it.
//   (b) rows write:  a table-<id>.rows file of the same size through
//                    RowsFileWriter (rows of `row_floats` floats, Finish
//                    fsyncs): MB/s and the ratio to (a). Goal: >= 50%.
//   (c) rows read:   the same file through ReadRowsFile, after its pages are
//                    dropped from the page cache (posix_fadvise DONTNEED
//                    after the fsync), with a raw 4 MiB read() loop of the
//                    raw file as reference.
//   (d) Checksum64:  GB/s over a 64 MiB buffer in memory.
// MB = 1e6 bytes; GB = 1e9 bytes.
//
// Reproduce: build-ckpt/bench/storage/checkpoint_bench [dir=/tmp] [mib=512] [row_floats=32]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "common/checksum.h"
#include "storage/checkpoint_files.h"

namespace {

using Clock = std::chrono::steady_clock;
using ember::storage::FileEntry;

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "checkpoint_bench: %s\n", what.c_str());
  std::exit(1);
}

void DropCache(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// (a): returns MB/s.
double RawWrite(const std::string& path, uint64_t bytes, const std::vector<char>& block) {
  const auto start = Clock::now();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) Die("cannot create " + path + ": " + std::strerror(errno));
  for (uint64_t done = 0; done < bytes;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(block.size(), bytes - done));
    const ssize_t wrote = ::write(fd, block.data(), n);
    if (wrote <= 0) Die("cannot write " + path + ": " + std::strerror(errno));
    done += static_cast<uint64_t>(wrote);
  }
  if (::fsync(fd) != 0) Die("cannot fsync " + path);
  const double seconds = Seconds(start);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  return bytes / seconds / 1e6;
}

double RawRead(const std::string& path, std::vector<char>* block) {
  DropCache(path);
  const auto start = Clock::now();
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) Die("cannot open " + path);
  uint64_t total = 0;
  while (true) {
    const ssize_t got = ::read(fd, block->data(), block->size());
    if (got < 0) Die("cannot read " + path);
    if (got == 0) break;
    total += static_cast<uint64_t>(got);
  }
  ::close(fd);
  return total / Seconds(start) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp";
  const uint64_t mib = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 512;
  const int row_floats = argc > 3 ? std::atoi(argv[3]) : 32;
  if (mib == 0 || row_floats < 1) Die("usage: checkpoint_bench [dir=/tmp] [mib=512] [row_floats=32]");
  std::printf("command: %s %s %llu %d\n", argv[0], dir.c_str(), static_cast<unsigned long long>(mib), row_floats);

  const uint64_t bytes = mib << 20;
  const size_t record_bytes = 8 + 4 * static_cast<size_t>(row_floats);
  const uint64_t num_rows = bytes / record_bytes;
  std::vector<char> block(4 << 20);
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>(i * 2654435761u >> 13);
  // A pool of distinct rows, cycled through (row generation is not measured).
  std::vector<float> pool(4096 * static_cast<size_t>(row_floats));
  for (size_t i = 0; i < pool.size(); ++i) pool[i] = static_cast<float>(i % 1000) * 0.001f;

  const std::string raw_path = dir + "/checkpoint_bench.raw";
  const std::string rows_path = dir + "/checkpoint_bench.rows";
  std::vector<double> raw_write, rows_write, ratio, rows_read, raw_read;
  for (int run = 0; run < 3; ++run) {
    raw_write.push_back(RawWrite(raw_path, bytes, block));

    auto start = Clock::now();
    ember::storage::RowsFileWriter writer;
    if (auto s = writer.Open(rows_path, 1, row_floats); !s.ok()) Die(s.ToString());
    for (uint64_t r = 0; r < num_rows; ++r) {
      const float* row = pool.data() + (r % 4096) * row_floats;
      if (auto s = writer.AddRow(r * 0x9e3779b97f4a7c15ULL, row); !s.ok()) Die(s.ToString());
    }
    auto entry = writer.Finish(/*drop_cache=*/true);
    if (!entry.ok()) Die(entry.status().ToString());
    rows_write.push_back(entry->bytes / Seconds(start) / 1e6);
    ratio.push_back(rows_write.back() / raw_write.back());

    DropCache(rows_path);
    start = Clock::now();
    double sink = 0;
    uint64_t seen = 0;
    auto status = ember::storage::ReadRowsFile(rows_path, 1, row_floats,
                                               [&](ember::Key, const float* row) {
                                                 sink += row[0];
                                                 ++seen;
                                               },
                                               {});
    if (!status.ok()) Die(status.ToString());
    if (seen != num_rows) Die("read back " + std::to_string(seen) + " rows of " + std::to_string(num_rows));
    rows_read.push_back(entry->bytes / Seconds(start) / 1e6);
    raw_read.push_back(RawRead(raw_path, &block));
    if (sink < 0) std::printf("%f\n", sink);
    std::printf("run %d: raw write %.0f MB/s, rows write %.0f MB/s (%.0f%%), rows read %.0f MB/s, raw read %.0f MB/s\n",
                run, raw_write.back(), rows_write.back(), 100 * ratio.back(), rows_read.back(), raw_read.back());
  }
  ::unlink(raw_path.c_str());
  ::unlink(rows_path.c_str());

  // (d) Checksum64 over 64 MiB in memory.
  std::vector<char> buffer(64 << 20);
  for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = static_cast<char>(i * 131 + (i >> 9));
  std::vector<double> checksum_speed;
  uint64_t guard = 0;
  for (int run = 0; run < 3; ++run) {
    const auto start = Clock::now();
    for (int rep = 0; rep < 8; ++rep) guard ^= ember::ComputeChecksum64(buffer.data(), buffer.size(), rep);
    checksum_speed.push_back(8.0 * buffer.size() / Seconds(start) / 1e9);
  }

  std::printf("\n%llu MiB, rows of %d floats (%zu B records, %llu rows), dir %s, median of 3:\n",
              static_cast<unsigned long long>(mib), row_floats, record_bytes, static_cast<unsigned long long>(num_rows),
              dir.c_str());
  std::printf("(a) raw sequential write + fsync   %8.0f MB/s\n", Median(raw_write));
  std::printf("(b) RowsFileWriter + fsync         %8.0f MB/s  (%.0f%% of raw; goal >= 50%%)\n", Median(rows_write),
              100 * Median(ratio));
  std::printf("(c) ReadRowsFile, cache dropped    %8.0f MB/s  (raw read %.0f MB/s)\n", Median(rows_read),
              Median(raw_read));
  std::printf("(d) Checksum64 in memory           %8.2f GB/s  (guard %016llx)\n", Median(checksum_speed),
              static_cast<unsigned long long>(guard));
  return 0;
}
