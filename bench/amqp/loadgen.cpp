#include <unistd.h>

#include <algorithm>
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

// CPU use of a process between two calls of sample(), in percent of one core.
class CpuMeter {
 public:
  explicit CpuMeter(long pid) : pid_(pid), last_(cpu_seconds(pid)), last_t_(epoch_seconds()) {}
  double sample(double now) {
    const double cpu = cpu_seconds(pid_);
    const double pct = (cpu >= 0 && last_ >= 0 && now > last_t_) ? 100.0 * (cpu - last_) / (now - last_t_) : -1;
    last_ = cpu;
    last_t_ = now;
    return pct;
  }

 private:
  long pid_;
  double last_;
  double last_t_;
};

struct Sample {
  double t;
  uint64_t results;
  uint64_t heartbeats;
  uint64_t confirmed;
  uint32_t ready;
  double cpu_percent;
  double broker_cpu_percent;
  double self_cpu_percent;  // the load generator's own
};

// Waits until `queue` holds no ready message on two looks 20 ms apart (the
// consumer's prefetch window, at most 200, may still be unacked); returns the
// seconds until the first of them, or -1 after `limit` seconds.
double wait_drained(BenchConnection& sampler, const std::string& queue, double limit) {
  const double t0 = epoch_seconds();
  double first_empty = -1;
  while (epoch_seconds() - t0 < limit) {
    const double now = epoch_seconds();
    if (sampler.ready(queue) != 0) first_empty = -1;
    else if (first_empty < 0) first_empty = now;
    else return first_empty - t0;
    ::usleep(20'000);
  }
  return -1;
}

}  // namespace

// A fleet of simulated workers against a running conductor. First every
// worker registers (a registration storm, timed until the conductor's inbox
// is empty); then, for `seconds`, every worker heartbeats each
// `heartbeat-ms` and the fleet sends `rate` check results per second, cycling
// through the workers and their four checks (one worker in 50 has a disk
// WARNING, so alerts open too). Publisher confirms, at most 5000
// unconfirmed. Once a second it samples the conductor's inbox depth and the
// CPU use of the conductor (`pid`) and the broker (`broker-pid`).
int run_loadgen(const Args& args) {
  const std::string url = args.required("url");
  const std::string queue = args.str("queue", "baton.conductor");
  const double rate = static_cast<double>(args.num("rate", 1000));
  const double seconds = static_cast<double>(args.num("seconds", 20));
  const unsigned workers = static_cast<unsigned>(std::max<uint64_t>(1, args.num("workers", 1000)));
  const double heartbeat_ms = static_cast<double>(std::max<uint64_t>(1, args.num("heartbeat-ms", 5000)));
  const bool do_register = args.num("register", 1) != 0;
  // 0: only publish (a preload for a consumer started afterwards).
  const bool wait_for_consumer = args.num("wait-drained", 1) != 0;
  const long pid = static_cast<long>(args.num("pid", 0));
  const long broker_pid = static_cast<long>(args.num("broker-pid", 0));
  constexpr uint64_t kWindow = 5000;
  constexpr unsigned kChecks = std::size(kBenchChecks);
  const double heartbeat_rate = workers * 1000.0 / heartbeat_ms;

  BenchConnection conn(url, "bench loadgen");
  BenchConnection sampler(url, "bench loadgen sampler");
  conn.declare_conductor_inbox();
  conn.confirm_select();
  ConfirmWindow window(conn);
  PublishBatch batch(conn);

  // The registration storm: every worker at once, as after a power cut.
  double register_publish_s = 0, register_applied_s = -1;
  if (do_register) {
    const double t0 = epoch_seconds();
    for (unsigned w = 0; w < workers; ++w) {
      batch.add(register_envelope(worker_name(w)), worker_name(w));
      window.published();
      if (window.outstanding() >= kWindow) {
        batch.flush();
        window.wait_until_at_most(kWindow - 1);
      }
    }
    batch.flush();
    window.wait_until_at_most(0);
    register_publish_s = epoch_seconds() - t0;
    const double drained = wait_for_consumer ? wait_drained(sampler, queue, 60) : -1;
    register_applied_s = drained < 0 ? -1 : epoch_seconds() - t0;
  }

  std::vector<Sample> samples;
  uint64_t results = 0, heartbeats = 0;
  CpuMeter conductor_cpu(pid), broker_cpu(broker_pid), self_cpu(::getpid());
  const double t0 = epoch_seconds();
  double next_sample = t0 + 1;
  auto take_sample = [&](double now) {
    samples.push_back({now - t0, results, heartbeats, window.confirmed(), sampler.ready(queue),
                       conductor_cpu.sample(now), broker_cpu.sample(now), self_cpu.sample(now)});
  };

  while (true) {
    const double now = epoch_seconds();
    if (now >= next_sample) {
      take_sample(now);
      next_sample += 1;
    }
    if (now - t0 >= seconds) break;
    const auto result_target = static_cast<uint64_t>(rate * (now - t0));
    const auto heartbeat_target = static_cast<uint64_t>(heartbeat_rate * (now - t0));
    // The due messages go out in one write (see PublishBatch).
    while ((results < result_target || heartbeats < heartbeat_target) && window.outstanding() < kWindow) {
      // Whichever stream is further behind its own schedule goes next.
      const double result_lag = rate > 0 ? static_cast<double>(result_target - std::min(results, result_target)) / rate : 0;
      const double beat_lag =
          static_cast<double>(heartbeat_target - std::min(heartbeats, heartbeat_target)) / heartbeat_rate;
      if (results < result_target && result_lag >= beat_lag) {
        const unsigned w = static_cast<unsigned>(results % workers);
        const unsigned check = static_cast<unsigned>((results / workers) % kChecks);
        const bool warning = check == 0 && w % 50 == 0;
        const std::string name = worker_name(w);
        batch.add(check_result_envelope(name, check, results / workers / kChecks,
                                        warning ? v1::CHECK_STATE_WARNING : v1::CHECK_STATE_OK),
                  name);
        ++results;
      } else {
        const unsigned w = static_cast<unsigned>(heartbeats % workers);
        const std::string name = worker_name(w);
        batch.add(heartbeat_envelope(name, heartbeats / workers + 1), name);
        ++heartbeats;
      }
      window.published();
    }
    batch.flush();
    while (window.pump(0)) {
    }
    // Caught up: publish again on the next 1 ms tick, reading confirms as
    // they come meanwhile. rabbitmq-c waits in whole milliseconds (a shorter
    // wait polls with timeout 0 and spins), so each wait is 1 ms at most.
    if (results >= result_target && heartbeats >= heartbeat_target) {
      const double tick = now + 0.001;
      while (epoch_seconds() < tick) window.pump(1000);
    }
  }
  const double t_publish_end = epoch_seconds();
  window.wait_until_at_most(0);
  const double t_confirmed = epoch_seconds();

  // Let the conductor catch up; how long that takes says how far behind it was.
  const double drained_after = wait_for_consumer ? wait_drained(sampler, queue, 30) : -1;

  const double elapsed = t_publish_end - t0;
  std::cout << std::fixed << "{\"rate_target\": " << rate << ", \"heartbeat_rate\": " << heartbeat_rate
            << ", \"seconds\": " << seconds << ", \"workers\": " << workers << ", \"checks_per_worker\": " << kChecks
            << ", \"register_publish_s\": " << register_publish_s << ", \"register_applied_s\": " << register_applied_s
            << ", \"sent\": " << results << ", \"heartbeats_sent\": " << heartbeats
            << ", \"rate_achieved\": " << static_cast<double>(results) / elapsed
            << ", \"heartbeat_rate_achieved\": " << static_cast<double>(heartbeats) / elapsed
            << ", \"confirm_tail_s\": " << (t_confirmed - t_publish_end) << ", \"drained_after_s\": " << drained_after
            << ", \"samples\": [";
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& s = samples[i];
    std::cout << (i ? ", " : "") << "{\"t\": " << s.t << ", \"sent\": " << s.results
              << ", \"heartbeats\": " << s.heartbeats << ", \"confirmed\": " << s.confirmed
              << ", \"ready\": " << s.ready << ", \"cpu_percent\": " << s.cpu_percent
              << ", \"broker_cpu_percent\": " << s.broker_cpu_percent
              << ", \"loadgen_cpu_percent\": " << s.self_cpu_percent << "}";
  }
  std::cout << "]}" << std::endl;
  return 0;
}

}  // namespace baton::bench
