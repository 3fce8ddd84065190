#include <glob.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/config/yaml_reader.hpp"
#include "worker/checks/builtin_checks.hpp"

namespace baton::worker::checks {
namespace {

struct FileFacts {
  std::string path;
  double size = 0;
  TimePoint modified;
};

std::optional<FileFacts> stat_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  FileFacts facts;
  facts.path = path;
  facts.size = static_cast<double>(st.st_size);
  facts.modified = TimePoint{} + std::chrono::duration_cast<TimePoint::duration>(
                                     std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  return facts;
}

bool is_glob(const std::string& path) { return path.find_first_of("*?[") != std::string::npos; }

// The most recently modified regular file the pattern matches: "the newest
// backup" is what an age threshold on a glob is about.
std::optional<FileFacts> newest_match(const std::string& pattern, size_t& matched) {
  glob_t found{};
  std::optional<FileFacts> newest;
  matched = 0;
  if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found) == 0) {
    for (size_t i = 0; i < found.gl_pathc; ++i) {
      auto facts = stat_file(found.gl_pathv[i]);
      if (!facts) continue;
      ++matched;
      if (!newest || facts->modified > newest->modified) newest = std::move(facts);
    }
  }
  ::globfree(&found);
  return newest;
}

std::string human_age(double seconds) {
  if (seconds < 120) return short_number(seconds) + " s";
  if (seconds < 7200) return short_number(seconds / 60) + " min";
  if (seconds < 172800) return short_number(seconds / 3600) + " h";
  return short_number(seconds / 86400) + " d";
}

}  // namespace

Result<CheckReport> check_file(const CheckContext& context, CheckParams& params) {
  std::string path = params.required("path");
  Thresholds size = params.thresholds("size_warning", "size_critical", "", "", Unit::bytes);
  Thresholds age = params.thresholds("age_warning", "age_critical", "", "", Unit::seconds);
  CheckState missing_state = params.state("missing_state", CheckState::critical);
  if (auto s = params.status(); !s) return s.error();

  std::optional<FileFacts> facts;
  std::string described = path;
  if (is_glob(path)) {
    size_t matched = 0;
    facts = newest_match(path, matched);
    if (facts) described = facts->path + " (newest of " + std::to_string(matched) + " matching " + path + ")";
  } else {
    facts = stat_file(path);
  }

  Verdict verdict;
  if (!facts) {
    verdict.raise(missing_state, is_glob(path) ? "no file matches " + path : path + " does not exist or is not a regular file");
    return verdict.report("");
  }
  const double age_seconds =
      std::chrono::duration<double>(context.clock.now() - facts->modified).count();
  verdict.measure("size", facts->size, "B", size, 0.0);
  verdict.measure("age", age_seconds, "s", age);
  return verdict.report(described + ": " + human_bytes(facts->size) + ", modified " + human_age(age_seconds) + " ago");
}

}  // namespace baton::worker::checks
