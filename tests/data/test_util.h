// tests/data/test_util.h: temp dirs, files and a glog sink for data tests.
#pragma once

#include <glog/logging.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

namespace ember::data::testing {

// A fresh, empty directory under ::testing::TempDir(), removed at the end.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "/ember_data_" + std::to_string(::getpid()) + "_" +
            (info != nullptr ? std::string(info->name()) : "x") + "_" + std::to_string(counter++);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  // Writes `contents` to path()/name and returns the full path.
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out << contents;
    return file;
  }

 private:
  std::string path_;
};

// Collects the text of every WARNING-or-worse glog message while alive.
class WarningSink : public google::LogSink {
 public:
  WarningSink() { google::AddLogSink(this); }
  ~WarningSink() override { google::RemoveLogSink(this); }
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

}  // namespace ember::data::testing
