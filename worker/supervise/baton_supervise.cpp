// baton-supervise: the process a worker's job runs under (see
// worker/jobs/supervise_protocol.hpp for the contract with the worker).
//
// A program of its own, linked statically against libc only, rather than a
// fork of the worker: forking the worker copies the page tables of a process
// with protobuf, SQLite, OpenSSL and nine threads mapped, twice per job (the
// supervisor, then the job), and that copying was most of a worker's CPU
// when it ran short jobs. The worker now starts this with posix_spawn
// (vfork semantics, no copy), and this small process starts the job the same
// way. A worker keeps supervisors started ahead of need (--spare), and hands
// such a supervisor job after job, so a job costs no exec but its own.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/sys/job_spawnattr.hpp"
#include "worker/jobs/supervise_protocol.hpp"

extern char** environ;

namespace {

using baton::worker::supervise::ExitReport;
using baton::worker::supervise::Handshake;
using baton::worker::supervise::kExitReportAck;
using baton::worker::supervise::kFlushAfterMs;
using baton::worker::supervise::kHandshakeFd;
using baton::worker::supervise::Stage;

enum class End : int { exited = 0, timed_out = 1, cancelled = 2 };

volatile sig_atomic_t g_cancel_requested = 0;

void on_cancel_signal(int) { g_cancel_requested = 1; }

struct Options {
  const char* exit_path = nullptr;
  const char* cwd = nullptr;
  int64_t timeout_ms = 0;  // 0: none
  int64_t grace_ms = 5000;
  char** argv = nullptr;   // the job's; argv[0] is an absolute path
  char** envp = environ;   // the job's environment
  const char* log_path = nullptr;  // spare mode: the job's log, opened here
  bool spare = false;
  bool report = false;  // --spare --report: a job's end is told on the socket
};

int64_t clock_ms(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

[[noreturn]] void usage(const char* problem) {
  ::fprintf(stderr,
            "baton-supervise: %s\n"
            "usage: baton-supervise --exit PATH [--timeout-ms N] [--grace-ms N] [--cwd DIR] -- PROGRAM [ARG...]\n"
            "Started by baton-worker for each job, with fd 3 open on its handshake pipe; not meant to be run by "
            "hand.\n",
            problem);
  ::_exit(2);
}

bool parse_ms(const char* text, int64_t* out) {
  char* end = nullptr;
  errno = 0;
  long long value = ::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value < 0) return false;
  *out = value;
  return true;
}

Options parse(int argc, char** argv) {
  Options options;
  if (argc == 2 && ::strcmp(argv[1], "--protocol") == 0) {
    ::printf("baton-supervise protocol %d\n", baton::worker::supervise::kProtocol);
    ::exit(0);
  }
  // A worker that asks for --report answers ExitReports; one that does not
  // (an older worker, during an upgrade) reads exit files only.
  if ((argc == 2 || (argc == 3 && ::strcmp(argv[2], "--report") == 0)) && ::strcmp(argv[1], "--spare") == 0) {
    options.spare = true;
    options.report = argc == 3;
    return options;
  }
  int i = 1;
  for (; i < argc; ++i) {
    const char* arg = argv[i];
    if (::strcmp(arg, "--") == 0) {
      ++i;
      break;
    }
    if (i + 1 >= argc) usage("an option without its value");
    const char* value = argv[++i];
    if (::strcmp(arg, "--exit") == 0) {
      options.exit_path = value;
    } else if (::strcmp(arg, "--cwd") == 0) {
      options.cwd = value;
    } else if (::strcmp(arg, "--timeout-ms") == 0) {
      if (!parse_ms(value, &options.timeout_ms)) usage("--timeout-ms needs a number of milliseconds");
    } else if (::strcmp(arg, "--grace-ms") == 0) {
      if (!parse_ms(value, &options.grace_ms)) usage("--grace-ms needs a number of milliseconds");
    } else {
      usage("unknown option");
    }
  }
  if (options.exit_path == nullptr || options.exit_path[0] != '/') usage("--exit needs an absolute path");
  if (i >= argc || argv[i][0] != '/') usage("the program must be an absolute path after --");
  options.argv = argv + i;
  return options;
}

// WNOWAIT leaves the zombie in place, so the job's pid (and with it the
// process group id) cannot be reused while we may still signal the group.
bool job_exited(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true;
  }
  return info.si_pid == pid;
}

void stop_group(pid_t job, int64_t grace_ms) {
  ::kill(-job, SIGTERM);
  ::kill(-job, SIGCONT);
  const int64_t until = clock_ms(CLOCK_MONOTONIC) + grace_ms;
  while (!job_exited(job) && clock_ms(CLOCK_MONOTONIC) < until) sleep_ms(20);
  // Also reaches children that outlived their parent's SIGTERM.
  ::kill(-job, SIGKILL);
}

char* put_int(char* out, int64_t value) {
  char digits[24];
  int n = 0;
  const bool negative = value < 0;
  uint64_t v = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v > 0);
  if (negative) *out++ = '-';
  while (n > 0) *out++ = digits[--n];
  return out;
}

int exit_code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
int signal_of(int status) { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

// false when the record could not be written whole (a full disk, say):
// then no file appears at all.
bool write_exit_file(const char* exit_path, int status, End end, bool flush) {
  char text[128];
  char* p = text;
  p = put_int(p, exit_code_of(status));
  *p++ = ' ';
  p = put_int(p, signal_of(status));
  *p++ = ' ';
  p = put_int(p, static_cast<int>(end));
  *p++ = ' ';
  p = put_int(p, clock_ms(CLOCK_REALTIME));
  *p++ = '\n';
  char tmp[4096];
  if (::snprintf(tmp, sizeof tmp, "%s.tmp", exit_path) >= static_cast<int>(sizeof tmp)) return false;
  int fd = ::open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (!write_all(fd, text, static_cast<size_t>(p - text))) {
    ::close(fd);
    ::unlink(tmp);
    return false;
  }
  // Complete before the rename makes it visible, so the worker (woken by the
  // rename) never reads half of it; flushed after, so the worker does not
  // wait for the disk. A machine crash before the flush loses the record,
  // which reads as "job lost", the same as a crash before the job ended. A
  // short job is not flushed at all: the file lives only until the worker
  // has reported it (a millisecond or so), a flush per job forced a journal
  // commit per job (and the worker's unlink of the file waited on it), and
  // such a job is cheaper to run again than a disk flush on every run. (A
  // spare's short job usually needs no file at all: report_on_socket.)
  if (::rename(tmp, exit_path) != 0) {
    ::close(fd);
    ::unlink(tmp);
    return false;
  }
  if (flush) ::fsync(fd);
  ::close(fd);
  return true;
}

[[noreturn]] void fail(Stage stage, int error) {
  Handshake hs{-1, error, static_cast<int>(stage)};
  write_all(kHandshakeFd, &hs, sizeof hs);
  ::_exit(1);
}

// Starts the job in a process group of its own with default signal
// dispositions and an empty mask, inheriting fds 0-2 only (3 is close-on-exec).
pid_t start_job(const Options& options) {
  posix_spawnattr_t attr;
  if (const int rc = baton::sys::init_job_spawnattr(&attr); rc != 0) fail(Stage::setup, rc);
  pid_t job = -1;
  const int rc = ::posix_spawn(&job, options.argv[0], nullptr, &attr, options.argv, options.envp);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) fail(Stage::exec, rc);
  return job;
}

bool read_all(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

// A spare's report of its job's end to the worker (supervise_protocol.hpp):
// true once the worker has answered that the end is recorded.
bool report_on_socket(int status, End end, bool filed) {
  const ExitReport report{exit_code_of(status), signal_of(status), static_cast<int64_t>(end),
                          clock_ms(CLOCK_REALTIME), filed ? 1 : 0};
  if (!write_all(kHandshakeFd, &report, sizeof report)) return false;
  char answer = 0;
  return read_all(kHandshakeFd, &answer, 1) && answer == kExitReportAck;
}

// Spare mode: started ahead of need, it waits for a job's description on
// fd 3 (see supervise_protocol.hpp), and for the next one once that job's
// end is recorded. Each description's buffer lives until the next one.
struct Spec {
  char* buf = nullptr;
  char** argv = nullptr;
  char** envp = nullptr;
  void release() {
    ::free(buf);
    ::free(argv);
    ::free(envp);
    *this = Spec{};
  }
};

Options read_spec(Options options, Spec& spec) {
  spec.release();
  uint32_t size = 0;
  // EOF before a job: the worker stopped, or needs no more supervisors.
  if (!read_all(kHandshakeFd, &size, sizeof size)) ::_exit(0);
  if (size == 0 || size > baton::worker::supervise::kMaxSpecBytes) fail(Stage::setup, EPROTO);
  char* buf = spec.buf = static_cast<char*>(::malloc(size));
  if (buf == nullptr) fail(Stage::setup, ENOMEM);
  if (!read_all(kHandshakeFd, buf, size) || buf[size - 1] != '\0') fail(Stage::setup, EPROTO);
  // NUL-terminated fields: exit, timeout, grace, cwd, log, argc, argv..., envc, env...
  char* p = buf;
  char* const end = buf + size;
  auto next = [&]() -> char* {
    if (p >= end) fail(Stage::setup, EPROTO);
    char* field = p;
    p += ::strlen(p) + 1;
    return field;
  };
  auto list = [&]() -> char** {
    int64_t count = 0;
    if (!parse_ms(next(), &count) || count > 100000) fail(Stage::setup, EPROTO);
    char** out = static_cast<char**>(::calloc(static_cast<size_t>(count) + 1, sizeof(char*)));
    if (out == nullptr) fail(Stage::setup, ENOMEM);
    for (int64_t i = 0; i < count; ++i) out[i] = next();
    return out;
  };
  options.exit_path = next();
  if (!parse_ms(next(), &options.timeout_ms) || !parse_ms(next(), &options.grace_ms)) fail(Stage::setup, EPROTO);
  options.cwd = next();
  if (*options.cwd == '\0') options.cwd = nullptr;
  options.log_path = next();
  options.argv = spec.argv = list();
  options.envp = spec.envp = list();
  if (options.exit_path[0] != '/' || options.argv[0] == nullptr || options.argv[0][0] != '/') fail(Stage::setup, EINVAL);
  return options;
}

// Runs one job to its end and records it: starts it, answers on fd 3,
// enforces the timeout and a cancel, and records the end (on the socket,
// in the exit file, or both: supervise_protocol.hpp). Exits when the end
// cannot be recorded: the worker then sees the job as lost rather than
// waiting for an end that never comes from a supervisor that lives on.
void supervise(const Options& options) {
  // The job inherits this directory; the exit path is absolute.
  if (options.cwd != nullptr && ::chdir(options.cwd) != 0) fail(Stage::chdir, errno);
  const pid_t job = start_job(options);
  const Handshake started{job, 0, 0};
  write_all(kHandshakeFd, &started, sizeof started);
  if (!options.spare) ::close(kHandshakeFd);

  const int64_t begun = clock_ms(CLOCK_MONOTONIC);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, job, 0));
  End end = End::exited;
  while (!job_exited(job)) {
    if (g_cancel_requested) {
      end = End::cancelled;
      stop_group(job, options.grace_ms);
      break;
    }
    const int64_t elapsed = clock_ms(CLOCK_MONOTONIC) - begun;
    if (options.timeout_ms > 0 && elapsed >= options.timeout_ms) {
      end = End::timed_out;
      stop_group(job, options.grace_ms);
      break;
    }
    // Woken by the job's exit (its pidfd), by the cancel signal (EINTR), or
    // at the deadline; only a kernel without pidfds falls back to a short nap.
    int64_t wait_ms = 1000;
    if (options.timeout_ms > 0 && options.timeout_ms - elapsed < wait_ms) wait_ms = options.timeout_ms - elapsed;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(wait_ms));
    } else {
      sleep_ms(static_cast<int>(wait_ms < 50 ? wait_ms : 50));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  int status = 0;
  while (::waitpid(job, &status, 0) < 0 && errno == EINTR) {
  }
  // A long job's end goes to disk first, flushed; a short job's is told on
  // the socket alone, unless no worker answers there. A file that cannot be
  // written while a worker listens is not the end: the socket still is.
  const bool flush = clock_ms(CLOCK_MONOTONIC) - begun >= kFlushAfterMs;
  if (!options.report) {
    if (!write_exit_file(options.exit_path, status, end, flush)) ::_exit(1);
    return;
  }
  const bool filed = flush && write_exit_file(options.exit_path, status, end, true);
  if (!report_on_socket(status, end, filed) && !filed && !write_exit_file(options.exit_path, status, end, flush))
    ::_exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  if (::fcntl(kHandshakeFd, F_GETFD) < 0) usage("fd 3 (the handshake pipe) is not open");
  // Whatever else the worker let through stays with the worker.
  ::close_range(kHandshakeFd + 1, ~0U, 0);
  ::fcntl(kHandshakeFd, F_SETFD, FD_CLOEXEC);

  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  const int ignored[] = {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
  for (int sig : ignored) ::sigaction(sig, &ignore, nullptr);
  struct sigaction cancel {};
  cancel.sa_handler = on_cancel_signal;
  ::sigaction(SIGUSR1, &cancel, nullptr);
  // The worker starts this with SIGUSR1 blocked; a cancel sent meanwhile
  // is delivered now.
  sigset_t cancel_only;
  sigemptyset(&cancel_only);
  sigaddset(&cancel_only, SIGUSR1);
  ::sigprocmask(SIG_UNBLOCK, &cancel_only, nullptr);

  if (!options.spare) {
    supervise(options);
    return 0;
  }
  // The worker may hand this supervisor job after job; each starts from the
  // directory and the /dev/null output it was started with.
  const int home = ::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (home < 0) ::_exit(1);  // a later job would start where the one before it did
  Spec spec;
  while (true) {
    const Options job = read_spec(options, spec);
    // A cancel meant for the job before (sent while it was ending) is not
    // this one's: it was delivered before this description could be read.
    g_cancel_requested = 0;
    const int log = ::open(job.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0) fail(Stage::setup, errno);
    if (::dup2(log, 1) < 0 || ::dup2(log, 2) < 0) fail(Stage::setup, errno);
    ::close(log);
    supervise(job);
    // Nothing holds the finished job's log or directory open.
    if (::dup2(0, 1) < 0 || ::dup2(0, 2) < 0 || ::fchdir(home) != 0) ::_exit(1);
  }
}
