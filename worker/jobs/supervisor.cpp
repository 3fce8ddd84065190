#include "worker/jobs/supervisor.hpp"

#include "common/sys/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace baton::worker {

namespace {

// Everything below up to spawn_supervised() runs in forked children of a
// multi-threaded process: async-signal-safe calls only, no allocation. All
// strings and arrays are built by the parent before fork().

volatile sig_atomic_t g_cancel_requested = 0;

void on_cancel_signal(int) { g_cancel_requested = 1; }

enum class Stage : int { setup = 1, chdir = 2, exec = 3 };

struct Handshake {
  int job_pid;  // -1: the job did not start
  int error;
  int stage;
};

struct Plan {
  const char* program;
  char* const* argv;
  char* const* envp;
  const char* cwd;  // nullptr: keep the worker's
  int devnull_fd, log_fd, handshake_fd;
  const char* exit_path;
  const char* exit_tmp_path;
  int64_t timeout_ms;
  int64_t grace_ms;
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

void write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    size -= static_cast<size_t>(n);
  }
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

void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

void close_from(unsigned first) {
  if (::close_range(first, ~0U, 0) != 0) {
    long max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 65536); ++fd) ::close(static_cast<int>(fd));
  }
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

[[noreturn]] void report_failure(int fd, Stage stage) {
  int failure[2] = {static_cast<int>(stage), errno};
  write_all(fd, failure, sizeof failure);
  ::_exit(127);
}

[[noreturn]] void exec_job(const Plan& plan, int report_fd) {
  if (::setpgid(0, 0) != 0) report_failure(report_fd, Stage::setup);
  reset_signals();
  // fd 3 is the supervisor's handshake pipe: the job must not hold it.
  if (::dup3(report_fd, 3, O_CLOEXEC) < 0) report_failure(report_fd, Stage::setup);
  close_from(4);
  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0) report_failure(3, Stage::chdir);
  ::execve(plan.program, plan.argv, plan.envp);
  report_failure(3, Stage::exec);
}

void write_exit_file(const Plan& plan, int status, ExitRecord::End end) {
  char text[128];
  char* p = text;
  p = put_int(p, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  *p++ = ' ';
  p = put_int(p, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  *p++ = ' ';
  p = put_int(p, static_cast<int>(end));
  *p++ = ' ';
  p = put_int(p, clock_ms(CLOCK_REALTIME));
  *p++ = '\n';
  int fd = ::open(plan.exit_tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, text, static_cast<size_t>(p - text));
  ::fsync(fd);
  ::close(fd);
  ::rename(plan.exit_tmp_path, plan.exit_path);
}

[[noreturn]] void run_supervisor(const Plan& plan) {
  // A session of its own: no terminal's SIGHUP/SIGINT, and the worker's
  // process group can be signalled without touching it.
  ::setsid();
  reset_signals();
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU}) ::sigaction(sig, &ignore, nullptr);
  struct sigaction cancel {};
  cancel.sa_handler = on_cancel_signal;
  ::sigaction(SIGUSR1, &cancel, nullptr);

  // Source fds are all >= 10 (see lift()), so no dup2 clobbers another.
  if (::dup2(plan.devnull_fd, 0) < 0 || ::dup2(plan.log_fd, 1) < 0 || ::dup2(plan.log_fd, 2) < 0 ||
      ::dup2(plan.handshake_fd, 3) < 0) {
    ::_exit(126);
  }
  // Drops the worker's AMQP sockets, SQLite files and everything else.
  close_from(4);

  Handshake hs{-1, 0, static_cast<int>(Stage::setup)};
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) {
    hs.error = errno;
    write_all(3, &hs, sizeof hs);
    ::_exit(1);
  }
  const pid_t job = ::fork();
  if (job < 0) {
    hs.error = errno;
    write_all(3, &hs, sizeof hs);
    ::_exit(1);
  }
  if (job == 0) exec_job(plan, report[1]);
  ::setpgid(job, job);
  ::close(report[1]);

  int failure[2] = {0, 0};
  ssize_t n;
  while ((n = ::read(report[0], failure, sizeof failure)) < 0 && errno == EINTR) {
  }
  ::close(report[0]);
  if (n == static_cast<ssize_t>(sizeof failure)) {
    int status;
    while (::waitpid(job, &status, 0) < 0 && errno == EINTR) {
    }
    hs.stage = failure[0];
    hs.error = failure[1];
    write_all(3, &hs, sizeof hs);
    ::_exit(0);
  }
  hs = Handshake{job, 0, 0};
  write_all(3, &hs, sizeof hs);
  ::close(3);

  const int64_t started = clock_ms(CLOCK_MONOTONIC);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, job, 0));
  ExitRecord::End end = ExitRecord::End::exited;
  while (!job_exited(job)) {
    if (g_cancel_requested) {
      end = ExitRecord::End::cancelled;
      stop_group(job, plan.grace_ms);
      break;
    }
    if (plan.timeout_ms > 0 && clock_ms(CLOCK_MONOTONIC) - started >= plan.timeout_ms) {
      end = ExitRecord::End::timed_out;
      stop_group(job, plan.grace_ms);
      break;
    }
    // Woken by the job's exit (its pidfd), by the cancel signal (EINTR), or
    // at the deadline; only a kernel without pidfds falls back to a short nap.
    int wait_ms = 1000;
    if (plan.timeout_ms > 0)
      wait_ms = static_cast<int>(std::clamp<int64_t>(plan.timeout_ms - (clock_ms(CLOCK_MONOTONIC) - started), 0, 1000));
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, wait_ms);
    } else {
      sleep_ms(std::min(wait_ms, 50));
    }
  }
  if (pidfd >= 0) ::close(pidfd);
  int status = 0;
  while (::waitpid(job, &status, 0) < 0 && errno == EINTR) {
  }
  write_exit_file(plan, status, end);
  ::_exit(0);
}

// Keeps every fd the children dup2() from well above the standard ones.
int lift(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

std::string errno_text(int err) {
  char buf[256];
  return ::strerror_r(err, buf, sizeof buf);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

std::optional<std::string> resolve_program(const std::string& name, const std::map<std::string, std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  auto path = env.find("PATH");
  return sys::find_in_path(name, path != env.end() ? path->second : "/usr/local/bin:/usr/bin:/bin");
}

struct ProcStat {
  char state = '?';
  pid_t pgrp = 0;
  int64_t start = 0;
};

std::optional<ProcStat> proc_stat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), {});
  auto paren = text.rfind(')');
  if (paren == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(paren + 1));
  // Fields 3.. of proc(5): state ppid pgrp session tty_nr tpgid flags minflt
  // cminflt majflt cmajflt utime stime cutime cstime priority nice
  // num_threads itrealvalue starttime.
  ProcStat out;
  std::string skip;
  fields >> out.state >> skip >> out.pgrp;
  for (int i = 0; i < 16; ++i) fields >> skip;
  fields >> out.start;
  if (!fields) return std::nullopt;
  return out;
}

}  // namespace

Result<SupervisedJob> spawn_supervised(const SupervisorRequest& request) {
  if (request.argv.empty()) return make_error(Errc::invalid_argument, "empty argv");
  auto program = resolve_program(request.argv[0], request.env);
  if (!program) return make_error(Errc::not_found, "cannot execute " + request.argv[0] + ": not found in PATH");

  std::vector<char*> argv;
  for (const auto& arg : request.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : request.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (const auto& kv : env_strings) envp.push_back(const_cast<char*>(kv.c_str()));
  envp.push_back(nullptr);
  const std::string exit_tmp = request.exit_path + ".tmp";

  Fd log(lift(::open(request.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
  if (log.get() < 0) return make_error(Errc::io_error, "cannot open " + request.log_path + ": " + errno_text(errno));
  Fd devnull(lift(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (devnull.get() < 0) return make_error(Errc::io_error, "cannot open /dev/null: " + errno_text(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error(Errc::io_error, "pipe: " + errno_text(errno));
  Fd hs_read(lift(pipe_fds[0]));
  Fd hs_write(lift(pipe_fds[1]));
  if (hs_read.get() < 0 || hs_write.get() < 0) return make_error(Errc::io_error, "pipe: " + errno_text(errno));

  const Plan plan{program->c_str(),
                  argv.data(),
                  envp.data(),
                  request.cwd.empty() ? nullptr : request.cwd.c_str(),
                  devnull.get(),
                  log.get(),
                  hs_write.get(),
                  request.exit_path.c_str(),
                  exit_tmp.c_str(),
                  request.timeout.count(),
                  request.kill_grace.count()};

  const pid_t supervisor = ::fork();
  if (supervisor < 0) return make_error(Errc::io_error, "fork: " + errno_text(errno));
  if (supervisor == 0) run_supervisor(plan);
  hs_write.reset();
  log.reset();
  devnull.reset();

  Handshake hs{};
  ssize_t n;
  while ((n = ::read(hs_read.get(), &hs, sizeof hs)) < 0 && errno == EINTR) {
  }
  // Read before any reaping: a zombie still has its /proc entry.
  auto stat = proc_stat(supervisor);
  if (n != static_cast<ssize_t>(sizeof hs) || hs.job_pid <= 0) {
    int status;
    while (::waitpid(supervisor, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof hs)) {
      return make_error(Errc::io_error, "the job supervisor died before starting " + request.argv[0]);
    }
    const std::string reason = errno_text(hs.error);
    switch (static_cast<Stage>(hs.stage)) {
      case Stage::chdir:
        return make_error(Errc::io_error, "cannot chdir to " + request.cwd + " to run " + request.argv[0] + ": " + reason);
      case Stage::exec:
        return make_error(hs.error == ENOENT ? Errc::not_found
                          : (hs.error == EACCES || hs.error == EPERM) ? Errc::refused
                                                                       : Errc::io_error,
                          "cannot execute " + *program + ": " + reason);
      case Stage::setup:
        break;
    }
    return make_error(Errc::io_error, "cannot set up the job " + request.argv[0] + ": " + reason);
  }
  SupervisedJob job;
  job.supervisor_pid = supervisor;
  job.supervisor_start = stat ? stat->start : 0;
  job.job_pid = hs.job_pid;
  return job;
}

std::optional<ExitRecord> read_exit_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  ExitRecord record;
  int end = 0;
  in >> record.exit_code >> record.signal >> end >> record.finished_at_ms;
  if (!in) return std::nullopt;
  record.end = end == 1 ? ExitRecord::End::timed_out : end == 2 ? ExitRecord::End::cancelled : ExitRecord::End::exited;
  return record;
}

std::optional<int64_t> process_start_time(pid_t pid) {
  auto stat = proc_stat(pid);
  if (!stat || stat->state == 'Z' || stat->state == 'X') return std::nullopt;
  return stat->start;
}

bool supervisor_alive(pid_t pid, int64_t start_time) {
  if (pid <= 0) return false;
  int status;
  if (::waitpid(pid, &status, WNOHANG) == pid) return false;
  auto start = process_start_time(pid);
  return start && *start == start_time;
}

Status request_cancel(pid_t pid, int64_t start_time) {
  if (!supervisor_alive(pid, start_time)) return make_error(Errc::not_found, "the job's supervisor is gone");
  if (::kill(pid, SIGUSR1) != 0) return make_error(Errc::io_error, "kill: " + errno_text(errno));
  return {};
}

void kill_orphaned_group(pid_t job_pid, int64_t not_before) {
  if (job_pid <= 0) return;
  auto stat = proc_stat(job_pid);
  if (!stat || stat->state == 'Z' || stat->pgrp != job_pid || stat->start < not_before) return;
  ::kill(-job_pid, SIGKILL);
}

}  // namespace baton::worker
