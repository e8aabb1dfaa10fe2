#include "common/part_runner.h"

#include <algorithm>

namespace ember {

PartRunner::PartRunner(int parts) : parts_(std::max(parts, 1)) {
  threads_.reserve(static_cast<size_t>(parts_ - 1));
  try {
    for (int part = 1; part < parts_; ++part) threads_.emplace_back([this, part] { Loop(part); });
  } catch (...) {
    StopThreads();  // the ones started; a joinable std::thread must not be destroyed
    throw;
  }
}

PartRunner::~PartRunner() { StopThreads(); }

void PartRunner::StopThreads() {
  stop_ = true;
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void PartRunner::Run(const std::function<void(int part)>& fn) {
  if (parts_ == 1) {
    fn(0);
    return;
  }
  job_ = &fn;
  running_.store(parts_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  fn(0);
  // The other parts take about as long as this one: wait for them without
  // spinning (a spinning caller would take a core from them where cores are
  // few).
  for (int left = running_.load(std::memory_order_acquire); left != 0;
       left = running_.load(std::memory_order_acquire)) {
    running_.wait(left, std::memory_order_acquire);
  }
  job_ = nullptr;
}

void PartRunner::Loop(int part) {
  uint32_t seen = 0;
  for (;;) {
    generation_.wait(seen, std::memory_order_acquire);
    seen = generation_.load(std::memory_order_acquire);
    if (stop_) return;
    (*job_)(part);
    if (running_.fetch_sub(1, std::memory_order_acq_rel) == 1) running_.notify_one();
  }
}

}  // namespace ember
