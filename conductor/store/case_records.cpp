#include "conductor/store/case_records.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace baton::conductor {

namespace {

constexpr std::array<std::pair<CaseStatus, const char*>, 6> kCaseStatuses{{
    {CaseStatus::queued, "QUEUED"},
    {CaseStatus::processing, "PROCESSING"},
    {CaseStatus::executing, "EXECUTING"},
    {CaseStatus::completed, "COMPLETED"},
    {CaseStatus::failed, "FAILED"},
    {CaseStatus::cancelled, "CANCELLED"},
}};

constexpr std::array<std::pair<AttemptStatus, const char*>, 8> kAttemptStatuses{{
    {AttemptStatus::dispatched, "DISPATCHED"},
    {AttemptStatus::running, "RUNNING"},
    {AttemptStatus::succeeded, "SUCCEEDED"},
    {AttemptStatus::failed, "FAILED"},
    {AttemptStatus::timed_out, "TIMED_OUT"},
    {AttemptStatus::cancelled, "CANCELLED"},
    {AttemptStatus::rejected, "REJECTED"},
    {AttemptStatus::lost, "LOST"},
}};

template <class Enum, size_t N>
const char* name_of(const std::array<std::pair<Enum, const char*>, N>& table, Enum value) {
  for (const auto& [v, name] : table)
    if (v == value) return name;
  return "UNKNOWN";
}

template <class Enum, size_t N>
std::optional<Enum> parse(const std::array<std::pair<Enum, const char*>, N>& table, std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  for (const auto& [v, name] : table)
    if (text == name) return v;
  return std::nullopt;
}

}  // namespace

const char* to_string(CaseStatus status) { return name_of(kCaseStatuses, status); }
std::optional<CaseStatus> parse_case_status(const std::string& text) { return parse(kCaseStatuses, text); }
const char* to_string(AttemptStatus status) { return name_of(kAttemptStatuses, status); }
std::optional<AttemptStatus> parse_attempt_status(const std::string& text) { return parse(kAttemptStatuses, text); }

}  // namespace baton::conductor
