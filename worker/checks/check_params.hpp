#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/core/result.hpp"
#include "worker/checks/check_state.hpp"
#include "worker/checks/range.hpp"

namespace baton::worker::checks {

// How a range's endpoints are written: plain numbers, byte sizes ("100MB",
// read as bytes) or durations ("7d", read as seconds).
enum class Unit { plain, bytes, seconds };

// The string params of one request, read with types. A check reads every
// param it knows, then asks status(): the first bad value, or a param it
// never asked for (a typo such as `warnign`), names the param, so the
// request comes back UNKNOWN instead of running with a default. Getters
// return the fallback after an error, so the reading code stays linear.
class CheckParams {
 public:
  explicit CheckParams(const std::map<std::string, std::string>& values);

  std::string text(const std::string& key, const std::string& fallback = {});
  // Absent or empty is an error.
  std::string required(const std::string& key);
  int64_t integer(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  std::chrono::milliseconds duration(const std::string& key, std::chrono::milliseconds fallback,
                                     std::chrono::milliseconds min, std::chrono::milliseconds max);
  bool boolean(const std::string& key, bool fallback);
  std::string one_of(const std::string& key, const std::string& fallback, const std::vector<std::string>& allowed);
  CheckState state(const std::string& key, CheckState fallback);
  // An absent param takes the fallback range text (empty: no range); an
  // empty value switches a default range off.
  std::optional<Range> range(const std::string& key, const std::string& fallback = {}, Unit unit = Unit::plain);
  Thresholds thresholds(const std::string& warning_key, const std::string& critical_key,
                        const std::string& warning_fallback = {}, const std::string& critical_fallback = {},
                        Unit unit = Unit::plain);

  bool has(const std::string& key) const;
  Status status() const;

 private:
  const std::string* find(const std::string& key);
  void fail(const std::string& key, const std::string& message);

  const std::map<std::string, std::string>& values_;
  std::set<std::string> known_;
  std::optional<Error> error_;
};

}  // namespace baton::worker::checks
