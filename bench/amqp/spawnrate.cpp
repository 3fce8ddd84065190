#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/amqp/bench_connection.hpp"

extern char** environ;

namespace baton::bench {

namespace {

// posix_spawn + waitpid of `program` (no arguments, stdio inherited); false if
// it could not be started or did not exit 0.
bool spawn_and_reap(const char* program) {
  char* argv[] = {const_cast<char*>(program), nullptr};
  pid_t pid = 0;
  if (::posix_spawn(&pid, program, nullptr, nullptr, argv, environ) != 0) return false;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

double cpu_seconds(int who) {
  rusage r{};
  ::getrusage(who, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

int64_t realtime_ns() {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Starts `/bin/date +%s%N` with its stdout on a pipe and returns the
// milliseconds from just before posix_spawn to the clock reading it prints.
double date_start_ms() {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) die(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  char program[] = "/bin/date";
  char format[] = "+%s%N";
  char* argv[] = {program, format, nullptr};
  pid_t pid = 0;
  const int64_t before = realtime_ns();
  const int rc = ::posix_spawn(&pid, program, &actions, nullptr, argv, environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (rc != 0) die(std::string("posix_spawn /bin/date: ") + std::strerror(rc));
  std::string text;
  char buf[64];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  char* end = nullptr;
  const long long stamp = std::strtoll(text.c_str(), &end, 10);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || end == text.c_str() || stamp <= 0)
    die("/bin/date +%s%N printed '" + text + "'");
  return static_cast<double>(stamp - before) / 1e6;
}

}  // namespace

// The job's own share of the dispatch path: from just before posix_spawn of
// `/bin/date +%s%N` to the clock reading that program prints, as the latency
// stage stamps Baton's and Celery's jobs, with no broker, no supervisor and
// nothing else of ours running. COUNT samples, INTERVAL_MS apart (the latency
// stage's pace, so the caches are as cold as there).
int run_spawnlat(const Args& args) {
  const uint64_t count = args.num("count", 200);
  const uint64_t interval_ms = args.num("interval-ms", 100);
  for (int i = 0; i < 5; ++i) (void)date_start_ms();  // the loader's files in the page cache
  std::vector<double> ms;
  ms.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ms.push_back(date_start_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
  double sum = 0;
  for (double x : ms) sum += x;
  std::cout << "{\"count\": " << count << ", \"p50_ms\": " << percentile(ms, 0.5)
            << ", \"p99_ms\": " << percentile(ms, 0.99) << ", \"max_ms\": " << percentile(ms, 1.0)
            << ", \"mean_ms\": " << (ms.empty() ? 0 : sum / static_cast<double>(ms.size())) << "}" << std::endl;
  return 0;
}

// The machine's ceiling for trivial jobs: PARALLEL threads, each starting
// PROGRAM and waiting for it COUNT times, all at once, with nothing else of
// ours running. Any system that runs one such program per case is bounded by
// the rate printed here. CPU time (ours and the reaped children's) is printed
// too, as the cost of one start.
int run_spawnrate(const Args& args) {
  const std::string program = args.str("program", "/bin/true");
  const uint64_t count = args.num("count", 2000);
  unsigned parallel = static_cast<unsigned>(args.num("parallel", 0));
  if (parallel == 0) parallel = std::max(1u, std::thread::hardware_concurrency());
  if (::access(program.c_str(), X_OK) != 0) die(program + " is not executable: " + std::strerror(errno));

  // A few untimed starts first: the program's pages are in the page cache and
  // the loader's files are warm before the clock starts.
  for (int i = 0; i < 10; ++i) {
    if (!spawn_and_reap(program.c_str())) die("could not run " + program);
  }

  std::atomic<unsigned> ready{0};
  std::atomic<bool> go{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::thread> spawners;
  spawners.reserve(parallel);
  for (unsigned t = 0; t < parallel; ++t) {
    spawners.emplace_back([&] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (uint64_t i = 0; i < count; ++i) {
        if (!spawn_and_reap(program.c_str())) failures.fetch_add(1);
      }
    });
  }
  while (ready.load() < parallel) std::this_thread::yield();
  const double cpu0 = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : spawners) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN) - cpu0;
  if (failures.load() != 0) die(std::to_string(failures.load()) + " starts of " + program + " failed");

  const double total = static_cast<double>(count) * parallel;
  std::cout << "{\"program\": \"" << program << "\", \"parallel\": " << parallel << ", \"count\": " << count
            << std::fixed << ", \"seconds\": " << seconds << ", \"per_s\": " << total / seconds
            << ", \"cpu_seconds\": " << cpu << ", \"cpu_ms_per_spawn\": " << cpu * 1e3 / total << "}" << std::endl;
  return 0;
}

}  // namespace baton::bench
