#pragma once

// What baton-worker and baton-supervise (worker/supervise/) agree on. The
// worker starts the supervisor program with
//
//   baton-supervise --exit PATH [--timeout-ms N] [--grace-ms N] [--cwd DIR] -- PROGRAM ARG...
//
// in a session of its own, with the job's environment, fd 0 on /dev/null, fds
// 1 and 2 on the job's log and fd 3 on a pipe. The supervisor writes one
// Handshake to fd 3 once the job runs (or could not be started) and closes
// it; later it writes the job's end to PATH atomically (PATH.tmp, then
// rename) in the format read_exit_file() reads: "exit signal end finished_ms\n".
// SIGUSR1 asks it to stop the job.

#include <cstdint>

namespace baton::worker::supervise {

enum class Stage : int { setup = 1, chdir = 2, exec = 3 };

struct Handshake {
  int job_pid;  // -1: the job did not start; stage and error say why
  int error;    // an errno value
  int stage;    // a Stage, when job_pid is -1
};

constexpr int kHandshakeFd = 3;

// `baton-supervise --spare` is started before its job is known, with fd 3 on
// a socket instead of a pipe, and fds 1 and 2 on /dev/null. It reads a
// uint32 byte count, then that many bytes of NUL-terminated fields: exit
// path, timeout ms, grace ms, cwd (empty: keep), log path, argc, argv...,
// envc, env... (the job's environment). Then it opens the log for fds 1 and
// 2 and goes on as above, answering with the Handshake on the same socket.
// Once its end is recorded (below) it points fds 1 and 2 back at /dev/null,
// returns to its first directory and reads the next job's description: a
// supervisor may run many jobs, one at a time. A SIGUSR1 that arrives
// before a description is read is dropped (it was meant for the job
// before). EOF before the count means no job will come: it exits quietly.
// A job that cannot be started ends it, as in the argv form.
constexpr uint32_t kMaxSpecBytes = 4u << 20;

// Started as `baton-supervise --spare --report`, a spare also tells its
// job's end on the socket: one ExitReport, answered by the worker with
// kExitReportAck once that end is in its job store. Then no exit file is
// needed, and a short job gets none: creating, renaming and removing a file
// per job (and the wake-ups of watching for it) cost more than the rest of
// the worker's part of such a job, and on ext4 without a journal each file
// a job removed made the next files' inodes slower to allocate for a minute.
// The file is written when the socket cannot take the report or no answer
// comes (the worker died or closed it: a restarted worker looks for the
// file), and for a job that ran kFlushAfterMs or longer, flushed to disk
// before the report is sent (report.filed = 1), so a machine crash cannot
// lose the end of a long job; the worker records such an end with a
// flushed commit before it removes the file. Without --report (a worker
// from before this protocol, during an upgrade) a spare writes exit files
// only; an older supervisor refuses --report and exits, and the worker then
// starts a supervisor per job.
struct ExitReport {
  int64_t exit_code;    // -1 when killed by a signal
  int64_t signal;
  int64_t end;          // 0 exited, 1 timed out, 2 cancelled (ExitRecord::End)
  int64_t finished_ms;  // unix time
  int64_t filed;        // 1: the exit file was written too
};
// Both programs are built from this header, but one links libc statically.
static_assert(sizeof(ExitReport) == 40, "ExitReport is read and written as 40 bytes");
constexpr char kExitReportAck = 'R';

// `baton-supervise --protocol` prints "baton-supervise protocol N\n": the
// worker checks at start that the program beside it speaks this one (an
// older program, without --report, would leave a spare's jobs unreported).
constexpr int kProtocol = 2;
constexpr int64_t kFlushAfterMs = 1000;

}  // namespace baton::worker::supervise
