// common/part_runner.h: runs one job split into a fixed number of parts, on
// the calling thread and parts - 1 threads of its own.
//
// Made for work that is split again and again into the same parts (a
// server's table batches, split by key hash: DESIGN.md "Servers and
// storage"): the threads are started once and wait between jobs, so a job
// costs a wake-up rather than a thread start. Part 0 runs on the caller.
// Run is called by one thread at a time (the owner); it is not reentrant.
//
//   PartRunner runner(/*parts=*/4);
//   runner.Run([&](int part) { Apply(batch, part, runner.parts()); });
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

namespace ember {

class PartRunner {
 public:
  // parts >= 1 (fewer are taken as 1); parts - 1 threads are started.
  explicit PartRunner(int parts);
  ~PartRunner();
  PartRunner(const PartRunner&) = delete;
  PartRunner& operator=(const PartRunner&) = delete;

  int parts() const { return parts_; }

  // Calls fn(part) for every part in [0, parts()), part 0 on the calling
  // thread, and returns when all have returned. fn must not throw (a part
  // on another thread would end the process; one on the caller would leave
  // Run while the others still run).
  void Run(const std::function<void(int part)>& fn);

 private:
  void Loop(int part);
  // Tells the threads to return and joins them.
  void StopThreads();

  const int parts_;
  const std::function<void(int)>* job_ = nullptr;  // the job; written before generation_ moves on
  std::atomic<uint32_t> generation_{0};            // one more per job (and at stop): the threads wait on it
  std::atomic<int> running_{0};                    // the threads' parts of this job not yet done
  bool stop_ = false;                              // written before generation_ moves on
  std::vector<std::thread> threads_;
};

}  // namespace ember
