#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include "bench/amqp/bench_connection.hpp"
#include "bench/amqp/confirm_window.hpp"
#include "bench/support/heartbeat_fixture.hpp"

namespace baton::bench {

namespace {

// utime + stime of `pid` in seconds; negative when it is gone.
double cpu_seconds(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!pid || !std::getline(in, stat)) return -1;
  // Fields after the command name, which may hold spaces, start at ") ".
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Sample {
  double t;
  uint64_t sent;
  uint64_t confirmed;
  uint32_t ready;
  double cpu_percent;
};

}  // namespace

// Publishes heartbeats of `workers` simulated workers at `rate` msgs/s for
// `seconds` (publisher confirms, at most 5000 unconfirmed), and once a second
// samples the conductor's inbox depth and the CPU use of process `pid`.
int run_loadgen(const Args& args) {
  const std::string url = args.required("url");
  const std::string queue = args.str("queue", "baton.conductor");
  const double rate = static_cast<double>(args.num("rate", 1000));
  const double seconds = static_cast<double>(args.num("seconds", 20));
  const unsigned workers = static_cast<unsigned>(args.num("workers", 1000));
  const uint64_t seq_base = args.num("seq-base", 0);
  const long pid = static_cast<long>(args.num("pid", 0));
  constexpr uint64_t kWindow = 5000;

  BenchConnection conn(url, "bench loadgen");
  BenchConnection sampler(url, "bench loadgen sampler");
  conn.declare_conductor_inbox();
  conn.confirm_select();
  ConfirmWindow window(conn);

  std::vector<Sample> samples;
  uint64_t sent = 0;
  const double t0 = epoch_seconds();
  double last_cpu = cpu_seconds(pid), last_t = t0, next_sample = t0 + 1;
  auto take_sample = [&](double now) {
    const double cpu = cpu_seconds(pid);
    const double pct = (cpu >= 0 && last_cpu >= 0) ? 100.0 * (cpu - last_cpu) / (now - last_t) : -1;
    samples.push_back({now - t0, sent, window.confirmed(), sampler.ready(queue), pct});
    last_cpu = cpu;
    last_t = now;
  };

  while (true) {
    double now = epoch_seconds();
    if (now >= next_sample) {
      take_sample(now);
      next_sample += 1;
    }
    if (now - t0 >= seconds) break;
    const auto target = static_cast<uint64_t>(rate * (now - t0));
    while (sent < target && window.outstanding() < kWindow) {
      publish_heartbeat(conn, worker_name(static_cast<unsigned>(sent % workers)), seq_base + sent / workers + 1);
      window.published();
      ++sent;
    }
    while (window.pump(0)) {
    }
    if (sent >= target) window.pump(1000);
  }
  const double t_publish_end = epoch_seconds();
  window.wait_until_at_most(0);
  const double t_confirmed = epoch_seconds();

  // Let the conductor catch up; how long that takes says how far behind it was.
  double drained_after = -1;
  while (epoch_seconds() - t_publish_end < 30) {
    if (sampler.ready(queue) == 0) {
      drained_after = epoch_seconds() - t_publish_end;
      break;
    }
    ::usleep(20'000);
  }

  std::cout << std::fixed << "{\"rate_target\": " << rate << ", \"seconds\": " << seconds << ", \"workers\": " << workers
            << ", \"sent\": " << sent << ", \"rate_achieved\": " << sent / (t_publish_end - t0)
            << ", \"confirm_tail_s\": " << (t_confirmed - t_publish_end) << ", \"drained_after_s\": " << drained_after
            << ", \"samples\": [";
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    std::cout << (i ? ", " : "") << "{\"t\": " << s.t << ", \"sent\": " << s.sent << ", \"confirmed\": " << s.confirmed
              << ", \"ready\": " << s.ready << ", \"cpu_percent\": " << s.cpu_percent << "}";
  }
  std::cout << "]}" << std::endl;
  return 0;
}

}  // namespace baton::bench
