#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"

namespace baton::worker {

// A job runs under a supervisor: a forked child of the worker in a session
// of its own, so it outlives the worker (a crash, a restart, a SIGKILL). The
// supervisor starts the job in its own process group with stdout and stderr
// appended to the log, enforces the timeout and cancellation (SIGTERM to the
// group, kill_grace, SIGKILL), and writes the job's end to exit_path
// atomically before it exits. The worker only reads files and sends signals,
// so a restarted worker picks up where the old one left off.
struct SupervisorRequest {
  std::vector<std::string> argv;            // argv[0]: a path, or a name looked up in PATH
  std::map<std::string, std::string> env;   // the job's whole environment
  std::string cwd;                          // empty: the worker's
  std::string log_path;
  std::string exit_path;
  std::chrono::milliseconds timeout{0};     // 0: none
  std::chrono::milliseconds kill_grace{5000};
};

struct SupervisedJob {
  pid_t supervisor_pid = 0;
  int64_t supervisor_start = 0;  // /proc start time, to tell the process from a later one with its pid
  pid_t job_pid = 0;             // also the job's process group id
};

// Errc::not_found / refused / io_error when the program could not be
// started; then nothing runs and no exit file will appear.
Result<SupervisedJob> spawn_supervised(const SupervisorRequest& request);

struct ExitRecord {
  enum class End { exited = 0, timed_out = 1, cancelled = 2 };
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  End end = End::exited;
  int64_t finished_at_ms = 0;  // unix time
};

// nullopt while the file does not exist (or is not complete, which the
// atomic rename rules out).
std::optional<ExitRecord> read_exit_file(const std::string& path);

// Start time of a process in clock ticks since boot (field 22 of
// /proc/<pid>/stat), nullopt if there is no such process or it is a zombie.
std::optional<int64_t> process_start_time(pid_t pid);

// True while the supervisor recorded with this pid and start time runs.
// Reaps it if it is this process's child.
bool supervisor_alive(pid_t pid, int64_t start_time);

// Asks a live supervisor to stop its job (SIGUSR1): SIGTERM to the group,
// kill_grace, SIGKILL; the exit file then says `cancelled`.
Status request_cancel(pid_t pid, int64_t start_time);

// SIGKILL to a job's process group, only if its leader is still the process
// started after `not_before` (a supervisor's start time).
void kill_orphaned_group(pid_t job_pid, int64_t not_before);

}  // namespace baton::worker
