#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
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

}  // namespace

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
