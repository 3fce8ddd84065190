#include "worker/checks/logscan_state.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace baton::worker::checks {
namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

LogPositionStore::LogPositionStore(std::string state_dir, const std::string& log_path, const std::string& pattern)
    : state_dir_(std::move(state_dir)), log_path_(log_path), pattern_(pattern) {
  char name[64];
  std::snprintf(name, sizeof name, "logscan-%016llx.pos",
                static_cast<unsigned long long>(fnv1a(log_path + '\0' + pattern)));
  file_ = (std::filesystem::path(state_dir_) / name).string();
}

std::optional<LogPosition> LogPositionStore::load() const {
  std::ifstream in(file_);
  LogPosition position;
  std::string path_line, pattern_line;
  if (!(in >> position.inode >> position.offset)) return std::nullopt;
  in.ignore(1);
  // A hash collision would otherwise hand one scan another's offset.
  if (!std::getline(in, path_line) || !std::getline(in, pattern_line)) return std::nullopt;
  if (path_line != log_path_ || pattern_line != pattern_) return std::nullopt;
  return position;
}

Status LogPositionStore::save(const LogPosition& position) const {
  std::error_code ec;
  std::filesystem::create_directories(state_dir_, ec);
  if (ec) return make_error(Errc::io_error, "cannot create " + state_dir_ + ": " + ec.message());
  const std::string temp = file_ + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << position.inode << ' ' << position.offset << '\n' << log_path_ << '\n' << pattern_ << '\n';
    out.flush();
    if (!out) return make_error(Errc::io_error, "cannot write " + temp);
  }
  std::filesystem::rename(temp, file_, ec);
  if (ec) return make_error(Errc::io_error, "cannot replace " + file_ + ": " + ec.message());
  return {};
}

}  // namespace baton::worker::checks
