#include "worker/jobs/supervisor.hpp"

#include "common/sys/process.hpp"
#include "worker/jobs/supervise_protocol.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <utility>

namespace baton::worker {

namespace {

using supervise::Handshake;
using supervise::Stage;

// Keeps every fd the children dup2() from well above the standard ones.
int lift(int fd) {
  if (fd < 0 || fd >= 10) return fd;
  int high = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
  ::close(fd);
  return high;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit " + std::to_string(WEXITSTATUS(status));
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
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// The job's program: argv[0] as given when it has a '/', else looked up in
// the job's PATH.
Result<std::string> resolve_program(const SupervisorRequest& request) {
  if (request.argv.empty()) return make_error(Errc::invalid_argument, "empty argv");
  const std::string& name = request.argv[0];
  if (name.find('/') != std::string::npos) return name;
  auto path = request.env.find("PATH");
  auto found = sys::find_in_path(name, path != request.env.end() ? path->second : "/usr/local/bin:/usr/bin:/bin");
  if (!found) return make_error(Errc::not_found, "cannot execute " + name + ": not found in PATH");
  return *found;
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

std::string default_supervisor_program() {
  if (const char* env = std::getenv("BATON_SUPERVISE"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ((ec ? std::filesystem::path(".") : self.parent_path()) / "baton-supervise").string();
}

Status check_supervisor_program(const std::string& path) {
  if (::access(path.c_str(), X_OK) != 0) {
    return make_error(Errc::not_found, "cannot run the job supervisor " + path + ": " + errno_text(errno) +
                                          " (it is built beside baton-worker; set jobs.supervisor to its path)");
  }
  sys::ProcessOptions ask;
  ask.argv = {path, "--protocol"};
  ask.timeout = std::chrono::seconds(10);
  auto answer = sys::run_process(ask);
  const std::string expected = "baton-supervise protocol " + std::to_string(supervise::kProtocol) + "\n";
  if (!answer || answer->exit_code != 0 || answer->out != expected) {
    std::string heard = !answer ? answer.error().message
                        : answer->out.empty() ? "no protocol (it is older than this worker)"
                                              : "\"" + answer->out.substr(0, answer->out.find('\n')) + "\"";
    return make_error(Errc::invalid_argument, "the job supervisor " + path + " does not speak protocol " +
                                                  std::to_string(supervise::kProtocol) + " of this worker: " + heard +
                                                  "; install the baton-supervise built with this baton-worker");
  }
  return {};
}

namespace {

// posix_spawn clones without copying the worker's memory (vfork
// semantics). The supervisor gets a session of its own (no terminal's
// SIGHUP, and signals to the worker's group do not reach it), default
// signal dispositions, and fds 0-3 only. SIGUSR1 (cancel) stays blocked
// until it has its handler, so an early cancel waits instead of killing it.
Result<pid_t> spawn_supervisor_process(const std::string& program, std::vector<char*>& argv,
                                       std::vector<char*>& envp, int in_fd, int out_fd, int fd3) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawnattr_init(&attr);
  ::posix_spawn_file_actions_adddup2(&actions, in_fd, 0);
  ::posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
  ::posix_spawn_file_actions_adddup2(&actions, out_fd, 2);
  ::posix_spawn_file_actions_adddup2(&actions, fd3, supervise::kHandshakeFd);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, supervise::kHandshakeFd + 1);
  sigset_t all;
  sigset_t cancel_only;
  sigfillset(&all);
  sigemptyset(&cancel_only);
  sigaddset(&cancel_only, SIGUSR1);
  ::posix_spawnattr_setsigdefault(&attr, &all);
  ::posix_spawnattr_setsigmask(&attr, &cancel_only);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) return make_error(Errc::io_error, "cannot start the job supervisor " + program + ": " + errno_text(rc));
  return pid;
}

}  // namespace

Result<StartingSupervisor> start_spare(const std::string& supervisor_program) {
  const std::string supervisor = supervisor_program.empty() ? default_supervisor_program() : supervisor_program;
  Fd devnull(lift(::open("/dev/null", O_RDWR | O_CLOEXEC)));
  if (devnull.get() < 0) return make_error(Errc::io_error, "cannot open /dev/null: " + errno_text(errno));
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return make_error(Errc::io_error, "socketpair: " + errno_text(errno));
  Fd ours(lift(pair[0]));
  Fd theirs(lift(pair[1]));
  if (ours.get() < 0 || theirs.get() < 0) return make_error(Errc::io_error, "socketpair: " + errno_text(errno));
  std::vector<std::string> args{supervisor, "--spare", "--report"};
  std::vector<char*> argv{args[0].data(), args[1].data(), args[2].data(), nullptr};
  std::vector<char*> envp{nullptr};  // the job brings its own
  auto spawned = spawn_supervisor_process(supervisor, argv, envp, devnull.get(), devnull.get(), theirs.get());
  if (!spawned) return spawned.error();
  StartingSupervisor spare;
  spare.supervisor_pid = *spawned;
  if (auto stat = proc_stat(*spawned)) spare.supervisor_start = stat->start;
  spare.handshake_fd = ours.release();
  spare.reusable = true;
  return spare;
}

Result<SpareJob> describe_for_spare(const SupervisorRequest& request) {
  auto program = resolve_program(request);
  if (!program) return program.error();
  std::error_code ec;
  std::string spec;
  auto field = [&spec](const std::string& text) {
    spec += text;
    spec += '\0';
  };
  field(std::filesystem::absolute(request.exit_path, ec).string());
  field(std::to_string(request.timeout.count()));
  field(std::to_string(request.kill_grace.count()));
  field(request.cwd);
  field(std::filesystem::absolute(request.log_path, ec).string());
  field(std::to_string(request.argv.size()));
  field(std::filesystem::absolute(*program, ec).string());
  for (size_t i = 1; i < request.argv.size(); ++i) field(request.argv[i]);
  field(std::to_string(request.env.size()));
  for (const auto& [key, value] : request.env) field(key + "=" + value);
  if (spec.size() > supervise::kMaxSpecBytes) return make_error(Errc::invalid_argument, "the job's description is too large");
  const uint32_t size = static_cast<uint32_t>(spec.size());
  spec.insert(0, reinterpret_cast<const char*>(&size), sizeof size);
  return SpareJob{std::move(spec), *program};
}

Result<StartingSupervisor> hand_to_spare(StartingSupervisor spare, const SpareJob& job, const SupervisorRequest& request) {
  const char* p = job.bytes.data();
  size_t left = job.bytes.size();
  while (left > 0) {
    const ssize_t n = ::send(spare.handshake_fd, p, left, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      retire_spare(spare);
      return make_error(Errc::io_error, "the spare job supervisor is gone: " + errno_text(err));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  spare.program = job.program;
  spare.name = request.argv[0];
  spare.cwd = request.cwd;
  return spare;
}

void retire_spare(StartingSupervisor& spare) {
  std::deque<StartingSupervisor> one;
  one.push_back(std::move(spare));
  retire_spares(one);
}

void retire_spares(std::deque<StartingSupervisor>& spares) {
  // Each exits at the EOF: all are told first, then waited for.
  for (auto& spare : spares) {
    if (spare.handshake_fd >= 0) ::close(spare.handshake_fd);
    spare.handshake_fd = -1;
  }
  for (auto& spare : spares) {
    int status;
    if (spare.supervisor_pid <= 0) continue;
    while (::waitpid(spare.supervisor_pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  spares.clear();
}

Result<StartingSupervisor> start_supervisor(const SupervisorRequest& request) {
  auto program = resolve_program(request);
  if (!program) return program.error();
  std::error_code ec;
  const std::string exit_path = std::filesystem::absolute(request.exit_path, ec).string();
  const std::string program_path = std::filesystem::absolute(*program, ec).string();
  const std::string supervisor =
      request.supervisor_program.empty() ? default_supervisor_program() : request.supervisor_program;

  std::vector<std::string> args{supervisor, "--exit", exit_path, "--timeout-ms", std::to_string(request.timeout.count()),
                                "--grace-ms", std::to_string(request.kill_grace.count())};
  if (!request.cwd.empty()) {
    args.push_back("--cwd");
    args.push_back(request.cwd);
  }
  args.push_back("--");
  args.push_back(program_path);
  args.insert(args.end(), request.argv.begin() + 1, request.argv.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : request.env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& kv : env_strings) envp.push_back(kv.data());
  envp.push_back(nullptr);

  Fd log(lift(::open(request.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
  if (log.get() < 0) return make_error(Errc::io_error, "cannot open " + request.log_path + ": " + errno_text(errno));
  Fd devnull(lift(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
  if (devnull.get() < 0) return make_error(Errc::io_error, "cannot open /dev/null: " + errno_text(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error(Errc::io_error, "pipe: " + errno_text(errno));
  Fd hs_read(lift(pipe_fds[0]));
  Fd hs_write(lift(pipe_fds[1]));
  if (hs_read.get() < 0 || hs_write.get() < 0) return make_error(Errc::io_error, "pipe: " + errno_text(errno));

  auto spawned = spawn_supervisor_process(supervisor, argv, envp, devnull.get(), log.get(), hs_write.get());
  if (!spawned) return spawned.error();
  const pid_t supervisor_pid = *spawned;
  StartingSupervisor starting;
  starting.supervisor_pid = supervisor_pid;
  // posix_spawn returns once the child has exec'd, so this is the supervisor.
  if (auto stat = proc_stat(supervisor_pid)) starting.supervisor_start = stat->start;
  starting.handshake_fd = hs_read.release();
  starting.program = *program;
  starting.name = request.argv[0];
  starting.cwd = request.cwd;
  return starting;
}

Result<SupervisedJob> confirm_start(StartingSupervisor& starting) {
  // A spare's socket stays open for its next job; a pipe is done with.
  Fd hs_read(std::exchange(starting.handshake_fd, -1));
  const pid_t supervisor_pid = starting.supervisor_pid;

  Handshake hs{};
  ssize_t n;
  while ((n = ::read(hs_read.get(), &hs, sizeof hs)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof hs) || hs.job_pid <= 0) {
    int status = 0;
    while (::waitpid(supervisor_pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof hs)) {
      return make_error(Errc::io_error, "the job supervisor (pid " + std::to_string(supervisor_pid) +
                                            ") died before starting " + starting.name + " (" + describe_status(status) + ")");
    }
    switch (static_cast<Stage>(hs.stage)) {
      case Stage::chdir: return sys::chdir_failure(starting.cwd, starting.name, hs.error);
      case Stage::exec: return sys::exec_failure(starting.program, hs.error);
      case Stage::setup: break;
    }
    return make_error(Errc::io_error, "cannot set up the job " + starting.name + ": " + errno_text(hs.error));
  }
  SupervisedJob job;
  job.supervisor_pid = supervisor_pid;
  job.supervisor_start = starting.supervisor_start;
  job.job_pid = hs.job_pid;
  if (starting.reusable) starting.handshake_fd = hs_read.release();
  return job;
}

std::optional<SocketExit> read_exit_report(int fd) {
  // Without waiting (the caller holds the job lock): the supervisor writes
  // a report whole, so anything else is a broken or foreign peer.
  supervise::ExitReport report{};
  ssize_t n;
  while ((n = ::recv(fd, &report, sizeof report, MSG_DONTWAIT)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof report)) return std::nullopt;
  if (report.end < 0 || report.end > static_cast<int64_t>(ExitRecord::End::cancelled)) return std::nullopt;
  SocketExit out;
  out.exit.exit_code = static_cast<int>(report.exit_code);
  out.exit.signal = static_cast<int>(report.signal);
  out.exit.end = static_cast<ExitRecord::End>(report.end);
  out.exit.finished_at_ms = report.finished_ms;
  out.filed = report.filed != 0;
  return out;
}

bool acknowledge_exit_report(int fd) {
  const char ack = supervise::kExitReportAck;
  ssize_t n;
  while ((n = ::send(fd, &ack, 1, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n == 1;
}

StartingSupervisor::StartingSupervisor(StartingSupervisor&& other) noexcept { *this = std::move(other); }

StartingSupervisor& StartingSupervisor::operator=(StartingSupervisor&& other) noexcept {
  if (this != &other) {
    if (handshake_fd >= 0) ::close(handshake_fd);
    supervisor_pid = other.supervisor_pid;
    supervisor_start = other.supervisor_start;
    handshake_fd = std::exchange(other.handshake_fd, -1);
    reusable = other.reusable;
    program = std::move(other.program);
    name = std::move(other.name);
    cwd = std::move(other.cwd);
  }
  return *this;
}

StartingSupervisor::~StartingSupervisor() {
  if (handshake_fd >= 0) ::close(handshake_fd);
}

bool try_reap_supervisor(pid_t pid) {
  if (pid <= 0) return true;
  int status;
  pid_t r;
  while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  return r != 0;
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
