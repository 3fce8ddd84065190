#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/core/result.hpp"

namespace baton::worker {

// A job runs under a supervisor: the small baton-supervise program
// (worker/supervise/), started by the worker in a session of its own, so it
// outlives the worker (a crash, a restart, a SIGKILL). The supervisor starts
// the job in its own process group with stdout and stderr appended to the
// log, enforces the timeout and cancellation (SIGTERM to the group,
// kill_grace, SIGKILL), and records the job's end: a spare tells it on its
// socket while the worker that handed it the job listens, and writes it to
// exit_path atomically when nobody does (and for a job of a second or more).
// So a restarted worker, which reads files and sends signals, picks up
// where the old one left off.
struct SupervisorRequest {
  std::vector<std::string> argv;            // argv[0]: a path, or a name looked up in PATH
  std::map<std::string, std::string> env;   // the job's whole environment
  std::string cwd;                          // empty: the worker's
  std::string log_path;
  std::string exit_path;
  std::chrono::milliseconds timeout{0};     // 0: none
  std::chrono::milliseconds kill_grace{5000};
  std::string supervisor_program;           // empty: default_supervisor_program()
};

// $BATON_SUPERVISE, else baton-supervise beside the running executable.
std::string default_supervisor_program();

// Errc::not_found, naming the path, when it cannot be run.
Status check_supervisor_program(const std::string& path);

struct SupervisedJob {
  pid_t supervisor_pid = 0;
  int64_t supervisor_start = 0;  // /proc start time, to tell the process from a later one with its pid
  pid_t job_pid = 0;             // also the job's process group id
};

// A supervisor that runs but has not yet said whether its job started.
// Owns the read end of the handshake pipe until confirm_start().
struct StartingSupervisor {
  StartingSupervisor() = default;
  StartingSupervisor(const StartingSupervisor&) = delete;
  StartingSupervisor& operator=(const StartingSupervisor&) = delete;
  StartingSupervisor(StartingSupervisor&& other) noexcept;
  StartingSupervisor& operator=(StartingSupervisor&& other) noexcept;
  ~StartingSupervisor();

  pid_t supervisor_pid = 0;
  int64_t supervisor_start = 0;
  int handshake_fd = -1;  // readable once the job runs or failed to start
  bool reusable = false;  // a spare: once its job's end is recorded it takes another job
  std::string program;    // for messages: the resolved program, the name asked for, the cwd
  std::string name;
  std::string cwd;
};

// Starts the supervisor and returns without waiting for the job: the worker
// goes on with other work while the supervisor starts it. Errors here mean
// nothing runs and no exit file will appear.
Result<StartingSupervisor> start_supervisor(const SupervisorRequest& request);

// Reads the supervisor's answer (blocks until it comes; poll handshake_fd
// first to avoid that). A started spare keeps handshake_fd open; a pipe is
// closed. Errc::not_found / refused / io_error when the job could not be
// started; then the supervisor is reaped, nothing runs and no exit file will
// appear.
Result<SupervisedJob> confirm_start(StartingSupervisor& starting);

// A supervisor started before its job is known (`baton-supervise --spare
// --report`),
// so starting a job costs only the job's own exec: hand_to_spare() sends the
// job and returns what start_supervisor() would (request.supervisor_program
// is not used). It fails only when the spare is gone; then it has been
// reaped and the caller starts a supervisor the ordinary way. A spare's
// socket survives confirm_start(); it tells the job's end there
// (read_exit_report), and once that is answered the same
// StartingSupervisor can be handed the next job.
Result<StartingSupervisor> start_spare(const std::string& supervisor_program);
// The job as a spare reads it. Built before a spare is taken, so a request
// that cannot be described (its program is not in PATH, it is too large)
// leaves the spare idle.
struct SpareJob {
  std::string bytes;
  std::string program;  // resolved
};
Result<SpareJob> describe_for_spare(const SupervisorRequest& request);
Result<StartingSupervisor> hand_to_spare(StartingSupervisor spare, const SpareJob& job, const SupervisorRequest& request);
// Tells unused spares no job will come and waits for them to exit.
void retire_spare(StartingSupervisor& spare);
void retire_spares(std::deque<StartingSupervisor>& spares);

struct ExitRecord {
  enum class End { exited = 0, timed_out = 1, cancelled = 2 };
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  End end = End::exited;
  int64_t finished_at_ms = 0;  // unix time
};

// A spare's report of its job's end, from its socket (see
// supervise_protocol.hpp), read without waiting once poll says the socket is
// readable. nullopt at EOF, on a broken socket or a partial report: the
// supervisor is gone or is not speaking the protocol; drop the socket and
// look for the exit file. `filed` says it wrote the exit file as well.
struct SocketExit {
  ExitRecord exit;
  bool filed = false;
};
std::optional<SocketExit> read_exit_report(int fd);
// Tells the supervisor its report is recorded, so it writes no exit file and
// waits for its next job. false when it is gone.
bool acknowledge_exit_report(int fd);

// Collects a supervisor this process started, without waiting: true once
// it is gone (reaped now, or not this process's child, e.g. adopted). A
// supervisor started for one job exits right after writing its exit file.
bool try_reap_supervisor(pid_t pid);

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
