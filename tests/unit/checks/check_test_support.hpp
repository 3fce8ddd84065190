#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "worker/checks/check_runner.hpp"

namespace baton::worker::checks::testing {

inline const std::string kFixtures = BATON_SOURCE_DIR "/tests/unit/fixtures/checks";

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "baton-checks-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream out(file(name), std::ios::binary | std::ios::trunc);
    out << content;
    return file(name);
  }
  void append(const std::string& name, const std::string& content) const {
    std::ofstream out(file(name), std::ios::binary | std::ios::app);
    out << content;
  }

 private:
  std::filesystem::path path_;
};

inline CheckRequest request(std::string type, std::map<std::string, std::string> params = {},
                            std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
  CheckRequest r;
  r.type = std::move(type);
  r.params = std::move(params);
  r.timeout = timeout;
  return r;
}

inline const PerfDatum* find_perf(const CheckOutcome& outcome, const std::string& label) {
  for (const auto& datum : outcome.perfdata)
    if (datum.label == label) return &datum;
  return nullptr;
}

}  // namespace baton::worker::checks::testing
