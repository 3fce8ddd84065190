#pragma once

#include <string>

namespace baton::cli {

// Exit codes shared by every subcommand, so scripts can branch on them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;      // answered, but degraded / not found / refused
inline constexpr int kExitUnavailable = 2;  // unhealthy, unreachable or an unusable answer

struct GlobalOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string token;
  double timeout_seconds = 10;
};

// Subcommand callbacks run inside CLI11's parse; they report their exit code
// here and main returns it.
struct CliContext {
  GlobalOptions options;
  int exit_code = kExitOk;
};

}  // namespace baton::cli
