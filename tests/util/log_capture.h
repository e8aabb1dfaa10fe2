// tests/util/log_capture.h: collects glog messages in a test.
// Header-only; thread-safe (glog calls send() from any thread).
#pragma once

#include <glog/logging.h>

#include <mutex>
#include <string>
#include <vector>

namespace ember::testing_util {

// Collects the text of every WARNING-or-worse glog message while alive.
class WarningSink : public google::LogSink {
 public:
  WarningSink() { google::AddLogSink(this); }
  ~WarningSink() override { google::RemoveLogSink(this); }
  WarningSink(const WarningSink&) = delete;
  WarningSink& operator=(const WarningSink&) = delete;
  void send(google::LogSeverity severity, const char*, const char*, int, const google::LogMessageTime&,
            const char* message, size_t message_len) override {
    if (severity < google::GLOG_WARNING) return;
    std::lock_guard<std::mutex> lock(mu_);
    messages_.emplace_back(message, message_len);
  }
  std::vector<std::string> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> messages_;
};

}  // namespace ember::testing_util
