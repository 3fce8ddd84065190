#include "worker/jobs/log_follower.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <fstream>

namespace baton::worker {

namespace {

constexpr size_t kMaxReadPerPoll = 1 << 20;
constexpr size_t kMaxLineBytes = 64 * 1024;
constexpr size_t kTailWindowBytes = 64 * 1024;

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

LogFollower LogFollower::at_end(const std::string& path) { return LogFollower(path, file_size(path)); }

std::vector<std::string> LogFollower::poll(bool final) {
  std::vector<std::string> lines;
  // Most polls find nothing new (a quiet job, or one that printed nothing):
  // one stat, no open and no buffer.
  const uint64_t size = file_size(path_);
  if (size < offset_) {
    // Truncated or replaced (a job that rewrites its log): follow it anew.
    offset_ = 0;
    partial_.clear();
  }
  const int fd = size > offset_ ? ::open(path_.c_str(), O_RDONLY | O_CLOEXEC) : -1;
  if (fd >= 0) {
    // Only what is there: a buffer of the per-poll maximum would be
    // allocated and zeroed on every poll of every job. More appended since
    // the stat is read at the next poll.
    std::string chunk(std::min<uint64_t>(size - offset_, kMaxReadPerPoll), '\0');
    ssize_t n;
    do n = ::pread(fd, chunk.data(), chunk.size(), static_cast<off_t>(offset_));
    while (n < 0 && errno == EINTR);
    ::close(fd);
    chunk.resize(n > 0 ? static_cast<size_t>(n) : 0);
    offset_ += chunk.size();
    for (char c : chunk) {
      if (c == '\n') {
        lines.push_back(std::move(partial_));
        partial_.clear();
      } else if (partial_.size() < kMaxLineBytes) {
        partial_ += c;
      }
    }
  }
  if (final && !partial_.empty()) {
    lines.push_back(std::move(partial_));
    partial_.clear();
  }
  return lines;
}

std::optional<ProgressLine> parse_progress(const std::string& line) {
  static const std::string kPrefix = "BATON_PROGRESS ";
  if (line.rfind(kPrefix, 0) != 0) return std::nullopt;
  size_t i = kPrefix.size();
  while (i < line.size() && line[i] == ' ') ++i;
  size_t digits = i;
  unsigned value = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9' && i - digits < 3) value = value * 10 + (line[i++] - '0');
  if (i == digits || value > 100 || (i < line.size() && line[i] != ' ' && line[i] != '\r')) return std::nullopt;
  std::string message = line.substr(i);
  while (!message.empty() && (message.front() == ' ')) message.erase(0, 1);
  while (!message.empty() && (message.back() == ' ' || message.back() == '\r')) message.pop_back();
  return ProgressLine{value, std::move(message)};
}

std::string read_last_lines(const std::string& path, unsigned count) {
  if (count == 0) return {};
  const uint64_t size = file_size(path);
  if (size == 0) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  const uint64_t start = size > kTailWindowBytes ? size - kTailWindowBytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (start > 0) {
    auto newline = text.find('\n');
    text.erase(0, newline == std::string::npos ? text.size() : newline + 1);
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  std::deque<std::string> lines;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(begin, end - begin));
    if (lines.size() > count) lines.pop_front();
    begin = end + 1;
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    out += lines[i];
  }
  return out;
}

}  // namespace baton::worker
