#include "common/sys/process.hpp"

#include "common/sys/job_spawnattr.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string_view>
#include <utility>

extern char** environ;

namespace baton::sys {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

std::string errno_text(int err) {
  char buf[256];
  return ::strerror_r(err, buf, sizeof buf);  // GNU variant: thread-safe, returns the text
}

// The child dup2()s onto 0-2; keeping every other fd at 3 or above means no
// dup2 can clobber a pipe end still needed, even if the daemon runs with
// one of its standard fds closed.
int lift_above_stdio(int fd) {
  if (fd < 0 || fd >= 3) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  ::close(fd);
  return high;
}

Status make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return make_error(Errc::io_error, "pipe: " + errno_text(errno));
  read_end.reset(lift_above_stdio(fds[0]));
  write_end.reset(lift_above_stdio(fds[1]));
  if (!read_end.valid() || !write_end.valid()) return make_error(Errc::io_error, "pipe: " + errno_text(errno));
  return {};
}

void set_nonblocking(const Fd& fd) { ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK); }

std::map<std::string, std::string> build_env(const ProcessOptions& options) {
  std::map<std::string, std::string> env;
  if (options.inherit_env) {
    for (char** entry = environ; entry && *entry; ++entry) {
      std::string_view kv(*entry);
      auto eq = kv.find('=');
      if (eq == std::string_view::npos) continue;
      env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
    }
  }
  for (const auto& [key, value] : options.env_overrides) env[key] = value;
  return env;
}


// Writing to a child that closed its stdin raises SIGPIPE, which would kill
// the daemon. Blocking it on this thread only turns it into EPIPE without
// touching the process-wide disposition other code may rely on.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending;
    ::sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlock() {
    if (!was_pending_) {
      timespec zero{};
      while (::sigtimedwait(&pipe_, nullptr, &zero) > 0) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

struct Stream {
  Fd fd;
  std::string data;
  bool truncated = false;
};

void keep_tail(Stream& s, size_t cap, bool final) {
  if (s.data.size() <= cap) return;
  s.truncated = true;
  // Trimming on every read would be quadratic for chatty children.
  if (final || s.data.size() >= 2 * cap + 64 * 1024) s.data.erase(0, s.data.size() - cap);
}

void drain(Stream& s, size_t cap) {
  char buf[16 * 1024];
  while (s.fd.valid()) {
    ssize_t n = ::read(s.fd.get(), buf, sizeof buf);
    if (n > 0) {
      s.data.append(buf, static_cast<size_t>(n));
      keep_tail(s, cap, false);
    } else if (n == 0) {
      s.fd.reset();
    } else if (errno == EINTR) {
      continue;
    } else {
      if (errno != EAGAIN && errno != EWOULDBLOCK) s.fd.reset();
      return;
    }
  }
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  // WNOWAIT leaves the zombie in place: while it exists the pid, and so the
  // process group id, cannot be reused, so kill(-pid) stays safe.
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (errno != EINTR) return true;
  }
  return info.si_pid == pid;
}

// Empty when someone else reaped the child (SIGCHLD set to SIG_IGN, or a
// stray waitpid(-1)): the status is lost, and must not read as "exit 0".
std::optional<int> reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::nullopt;
  }
  return status;
}

int millis_until(Clock::time_point now, std::optional<Clock::time_point> when) {
  if (!when) return -1;
  if (*when <= now) return 0;
  auto ms = std::chrono::ceil<milliseconds>(*when - now).count();
  return static_cast<int>(std::min<long long>(ms, 60'000));
}

}  // namespace

Error chdir_failure(const std::string& cwd, const std::string& program, int error) {
  return make_error(Errc::io_error, "cannot chdir to " + cwd + " to run " + program + ": " + errno_text(error));
}

Error exec_failure(const std::string& program, int error) {
  const Errc code = error == ENOENT ? Errc::not_found : (error == EACCES || error == EPERM) ? Errc::refused : Errc::io_error;
  return make_error(code, "cannot execute " + program + ": " + errno_text(error));
}

std::optional<std::string> find_in_path(const std::string& name, std::string_view path_var) {
  size_t start = 0;
  while (start <= path_var.size()) {
    size_t end = path_var.find(':', start);
    if (end == std::string_view::npos) end = path_var.size();
    std::string dir(path_var.substr(start, end - start));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

Result<ProcessResult> run_process(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) {
    return make_error(Errc::invalid_argument, "run_process: empty argv");
  }
  std::map<std::string, std::string> env = build_env(options);

  std::string program = options.argv[0];
  if (program.find('/') == std::string::npos) {
    auto path_it = env.find("PATH");
    std::string path_var = path_it != env.end() ? path_it->second : "/usr/local/bin:/usr/bin:/bin";
    auto found = find_in_path(program, path_var);
    if (!found) return make_error(Errc::not_found, program + ": not found in PATH (" + path_var + ")");
    program = *found;
  }

  // Everything the child gets is built before it is started.
  std::vector<char*> argv_ptrs;
  for (const auto& arg : options.argv) argv_ptrs.push_back(const_cast<char*>(arg.c_str()));
  argv_ptrs.push_back(nullptr);
  std::vector<std::string> env_entries;
  for (const auto& [key, value] : env) env_entries.push_back(key + "=" + value);
  std::vector<char*> env_ptrs;
  for (auto& entry : env_entries) env_ptrs.push_back(entry.data());
  env_ptrs.push_back(nullptr);

  Fd in_read, in_write;
  Stream out, err;
  Fd out_write, err_write;
  if (options.stdin_data.empty()) {
    in_read.reset(lift_above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    if (!in_read.valid()) return make_error(Errc::io_error, "open /dev/null: " + errno_text(errno));
  } else if (auto s = make_pipe(in_read, in_write); !s) {
    return s.error();
  }
  if (auto s = make_pipe(out.fd, out_write); !s) return s.error();
  if (auto s = make_pipe(err.fd, err_write); !s) return s.error();
  // posix_spawn reports a chdir failure like an exec failure; looking
  // first keeps "cannot chdir" apart from "cannot execute".
  if (!options.cwd.empty()) {
    struct stat dir {};
    int err = 0;
    if (::stat(options.cwd.c_str(), &dir) != 0) err = errno;
    else if (!S_ISDIR(dir.st_mode)) err = ENOTDIR;
    else if (::access(options.cwd.c_str(), X_OK) != 0) err = errno;
    if (err != 0) return chdir_failure(options.cwd, program, err);
  }

  std::optional<SigpipeBlock> sigpipe_block;
  if (in_write.valid()) sigpipe_block.emplace();

  // posix_spawn clones without copying this process's memory (vfork
  // semantics): the child gets a process group of its own, default signal
  // dispositions (SIG_IGN would otherwise survive exec), an empty mask and
  // fds 0-2 only: not the AMQP socket, SQLite files or other pipes.
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  init_job_spawnattr(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  ::posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!options.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
  const auto started = Clock::now();
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv_ptrs.data(), env_ptrs.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return exec_failure(program, rc);

  in_read.reset();
  out_write.reset();
  err_write.reset();

  set_nonblocking(out.fd);
  set_nonblocking(err.fd);
  if (in_write.valid()) set_nonblocking(in_write);

  // A pidfd wakes poll() when the child exits; without one (old kernels),
  // poll in short slices instead.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

  ProcessResult result;
  const milliseconds grace = std::max(options.kill_grace, milliseconds(0));
  std::optional<Clock::time_point> deadline;
  if (options.timeout.count() > 0) deadline = started + options.timeout;
  std::optional<Clock::time_point> kill_at;      // SIGKILL the group
  std::optional<Clock::time_point> drain_until;  // stop waiting for output after the child exited
  bool exited = false;
  size_t stdin_offset = 0;

  while (true) {
    auto now = Clock::now();
    if (!exited) exited = has_exited(pid);
    bool output_open = out.fd.valid() || err.fd.valid();
    if (exited && !output_open) break;
    if (deadline && !result.timed_out && now >= *deadline) {
      result.timed_out = true;
      ::kill(-pid, SIGTERM);
      kill_at = now + grace;
    }
    if (kill_at && now >= *kill_at) {
      ::kill(-pid, SIGKILL);
      kill_at.reset();
    }
    // Something that outlived the child (a background grandchild) still
    // holds our pipes: give it the grace period, not forever.
    if (exited && !drain_until) drain_until = now + grace;
    if (drain_until && now >= *drain_until) break;

    pollfd fds[4];
    nfds_t count = 0;
    auto watch = [&](const Fd& fd, short events, bool wanted = true) {
      if (!fd.valid() || !wanted) return -1;
      fds[count] = {fd.get(), events, 0};
      return static_cast<int>(count++);
    };
    const int out_slot = watch(out.fd, POLLIN);
    const int err_slot = watch(err.fd, POLLIN);
    const int in_slot = watch(in_write, POLLOUT);
    watch(pidfd, POLLIN, !exited);

    int wait_ms = -1;
    for (auto when : {result.timed_out ? std::nullopt : deadline, kill_at, drain_until}) {
      int ms = millis_until(now, when);
      if (ms >= 0) wait_ms = wait_ms < 0 ? ms : std::min(wait_ms, ms);
    }
    if (!pidfd.valid() && !exited) wait_ms = wait_ms < 0 ? 20 : std::min(wait_ms, 20);

    int ready = ::poll(fds, count, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      break;  // not expected with valid fds; fall through to kill and reap
    }
    if (out_slot >= 0 && fds[out_slot].revents != 0) drain(out, options.max_output_bytes);
    if (err_slot >= 0 && fds[err_slot].revents != 0) drain(err, options.max_output_bytes);
    if (in_slot >= 0 && fds[in_slot].revents != 0) {
      if (fds[in_slot].revents & (POLLERR | POLLHUP)) {
        in_write.reset();
      } else {
        const std::string& data = options.stdin_data;
        ssize_t n = ::write(in_write.get(), data.data() + stdin_offset, data.size() - stdin_offset);
        if (n > 0) stdin_offset += static_cast<size_t>(n);
        if (stdin_offset == data.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) in_write.reset();
      }
    }
  }

  // The leader is not reaped yet, so the group id cannot have been reused.
  if (result.timed_out || out.fd.valid() || err.fd.valid()) ::kill(-pid, SIGKILL);
  std::optional<int> status = reap(pid);
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - started);

  if (status && WIFEXITED(*status)) {
    result.exit_code = WEXITSTATUS(*status);
  } else if (status && WIFSIGNALED(*status)) {
    result.term_signal = WTERMSIG(*status);
  }
  keep_tail(out, options.max_output_bytes, true);
  keep_tail(err, options.max_output_bytes, true);
  result.out = std::move(out.data);
  result.err = std::move(err.data);
  result.stdout_truncated = out.truncated;
  result.stderr_truncated = err.truncated;
  return result;
}

std::string describe(const ProcessResult& result) {
  std::string text;
  if (result.term_signal != 0) {
    const char* abbrev = ::sigabbrev_np(result.term_signal);
    text = abbrev ? std::string("killed by SIG") + abbrev : "killed by signal " + std::to_string(result.term_signal);
  } else {
    text = "exit " + std::to_string(result.exit_code);
  }
  if (result.timed_out) text += " after timeout (ran " + std::to_string(result.elapsed.count()) + " ms)";
  return text;
}

}  // namespace baton::sys
