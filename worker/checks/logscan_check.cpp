#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>

#include "worker/checks/builtin_checks.hpp"
#include "worker/checks/logscan_state.hpp"

namespace baton::worker::checks {
namespace {

// std::regex matches recursively; a bounded line keeps a pathological
// pattern from exhausting the stack on a multi-megabyte line.
constexpr size_t kMaxMatchedLineLength = 8192;
constexpr size_t kGroupsShown = 10;

struct ScanTally {
  uint64_t lines = 0;
  uint64_t matches = 0;
  std::map<std::string, uint64_t> groups;
};

struct FileId {
  uint64_t inode = 0;
  uint64_t size = 0;
};

std::optional<FileId> identify(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{static_cast<uint64_t>(st.st_ino), static_cast<uint64_t>(st.st_size)};
}

// Counts complete lines from offset on and returns the offset just past the
// last complete one: a line still being written is counted next time, whole.
Result<uint64_t> scan(const CheckContext& context, const std::string& path, uint64_t offset, const std::regex& pattern,
                      ScanTally& tally) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io_error, "cannot open " + path + ": " + std::strerror(errno));
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: incomplete
    offset += line.size() + 1;
    ++tally.lines;
    if ((tally.lines & 1023) == 0 && context.expired()) return context.timed_out("scanning " + path);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > kMaxMatchedLineLength) line.resize(kMaxMatchedLineLength);
    std::smatch match;
    if (!std::regex_search(line, match, pattern)) continue;
    ++tally.matches;
    std::string key = match.size() > 1 && match[1].matched ? match[1].str() : match[0].str();
    if (key.size() > 200) key.resize(200);
    ++tally.groups[key];
  }
  return offset;
}

std::string describe_groups(const ScanTally& tally) {
  std::vector<std::pair<std::string, uint64_t>> groups(tally.groups.begin(), tally.groups.end());
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string text;
  for (size_t i = 0; i < groups.size() && i < kGroupsShown; ++i)
    text += "\n" + std::to_string(groups[i].second) + "x " + groups[i].first;
  if (groups.size() > kGroupsShown) text += "\n... and " + std::to_string(groups.size() - kGroupsShown) + " more";
  return text;
}

}  // namespace

Result<CheckReport> check_logscan(const CheckContext& context, CheckParams& params) {
  std::string path = params.required("path");
  std::string pattern_text = params.required("pattern");
  Thresholds count = params.thresholds("warning", "critical", "0", "");
  // A first run starts at the end by default: an operator adding a check to
  // a years-old log wants to hear about new errors, not every old one.
  std::string initial = params.one_of("initial", "end", {"end", "start"});
  if (auto s = params.status(); !s) return s.error();
  if (pattern_text.find('\n') != std::string::npos)
    return make_error(Errc::invalid_argument, "param 'pattern': must be one line");
  std::regex pattern;
  try {
    pattern = std::regex(pattern_text, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return make_error(Errc::invalid_argument, "param 'pattern': not an ECMAScript regex: " + std::string(e.what()));
  }
  if (context.config.state_dir.empty())
    return make_error(Errc::unavailable, "checks.state_dir is not set, so scan positions cannot be kept");

  std::lock_guard lock(context.state_mutex);
  auto current = identify(path);
  if (!current) return make_error(Errc::not_found, path + " does not exist or is not a regular file");
  LogPositionStore store(context.config.state_dir, path, pattern_text);
  auto saved = store.load();

  ScanTally tally;
  std::string note;
  uint64_t start = 0;
  if (!saved) {
    start = initial == "end" ? current->size : 0;
    if (initial == "end") note = "first scan: counting lines added from now on";
  } else if (saved->inode == current->inode) {
    if (current->size < saved->offset) {
      note = "file was truncated; scanned from its start";
    } else {
      start = saved->offset;
    }
  } else {
    // Rotated: finish the old file if logrotate left it as path.1, then
    // read the new one from its start.
    const std::string rotated = path + ".1";
    if (auto old = identify(rotated); old && old->inode == saved->inode && old->size >= saved->offset) {
      auto done = scan(context, rotated, saved->offset, pattern, tally);
      if (!done) return done.error();
      note = "file was rotated; finished " + rotated + " first";
    } else {
      note = "file was replaced; scanned the new one from its start";
    }
  }
  auto end = scan(context, path, start, pattern, tally);
  if (!end) return end.error();
  if (auto s = store.save(LogPosition{current->inode, *end}); !s) return s.error();

  Verdict verdict;
  verdict.measure("matches", static_cast<double>(tally.matches), "", count, 0.0);
  verdict.measure("lines", static_cast<double>(tally.lines), "", {}, 0.0);
  std::string summary = std::to_string(tally.matches) + " of " + std::to_string(tally.lines) +
                        " new line(s) in " + path + " match /" + pattern_text + "/";
  if (!note.empty()) summary += " (" + note + ")";
  CheckReport report = verdict.report(summary);
  report.output += describe_groups(tally);
  return report;
}

}  // namespace baton::worker::checks
