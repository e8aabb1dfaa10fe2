// tests/data/test_util.h: temp dirs and files for data tests.
#pragma once

#include <glog/logging.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "tests/util/log_capture.h"

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

using testing_util::WarningSink;  // tests/util/log_capture.h

}  // namespace ember::data::testing
