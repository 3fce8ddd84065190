#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <optional>
#include <vector>

#include "common/core/result.hpp"

namespace baton::sys {

// Runs a program directly, never through a shell, so nothing in argv is
// ever interpreted.
struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0] is the program; looked up in PATH if it has no '/'
  std::map<std::string, std::string> env_overrides;
  bool inherit_env = true;
  std::string cwd;                             // empty: the caller's
  std::chrono::milliseconds timeout{0};        // 0: none
  std::chrono::milliseconds kill_grace{2000};  // SIGTERM to SIGKILL
  size_t max_output_bytes = 64 * 1024;         // per stream; the tail is kept
  std::string stdin_data;                      // empty: the child reads /dev/null
};

struct ProcessResult {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // 0 when it exited
  bool timed_out = false;
  bool stdout_truncated = false;
  bool stderr_truncated = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

// Blocks until the child has exited and been reaped. The child runs in a
// process group of its own; on timeout the whole group gets SIGTERM, then
// SIGKILL after kill_grace. A program that cannot be started is an error
// (Errc::not_found when it does not exist), distinct from one that exits 127.
// Safe to call from several threads at once.
Result<ProcessResult> run_process(const ProcessOptions& options);

// "exit 3", "killed by SIGKILL after timeout (ran 5003 ms)".
std::string describe(const ProcessResult& result);

// Why a program could not be started, from the errno value of the failed
// chdir into `cwd` or of the failed exec: not_found, refused (permissions)
// or io_error, with a message naming what failed.
Error chdir_failure(const std::string& cwd, const std::string& program, int error);
Error exec_failure(const std::string& program, int error);

// The first executable regular file called `name` in a PATH-style list of
// directories (an empty entry means the current directory).
std::optional<std::string> find_in_path(const std::string& name, std::string_view path_var);

}  // namespace baton::sys
