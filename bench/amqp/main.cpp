#include <iostream>
#include <string>

#include "bench/amqp/bench_connection.hpp"

namespace baton::bench {
int run_preload(const Args& args);
int run_drain(const Args& args);
int run_watch(const Args& args);
int run_depth(const Args& args);
int run_declare(const Args& args);
int run_loadgen(const Args& args);
int run_submit(const Args& args);
int run_pingpong(const Args& args);
int run_spawnrate(const Args& args);
int run_spawnlat(const Args& args);
}  // namespace baton::bench

int main(int argc, char** argv) {
  using namespace baton::bench;
  const std::string usage =
      "usage: baton-bench-amqp COMMAND --url AMQP_URL [--key value ...]\n"
      "  declare                                   declare baton.events, baton.dlx, baton.conductor\n"
      "  preload  --count N --workers W [--seq-base S]   fill baton.conductor with confirmed heartbeats\n"
      "  drain    --count N [--prefetch 200] [--queue Q] raw consumer: ack each, nothing else\n"
      "  watch    [--queue Q] [--timeout S]          time a queue's drain from outside\n"
      "  depth    [--queue Q]                        print the ready count\n"
      "  loadgen  --rate R --seconds S --workers W [--heartbeat-ms 5000] [--register 1] [--pid P]\n"
      "           [--broker-pid P] [--wait-drained 1]   simulated fleet: registrations, then heartbeats and R check results/s\n"
      "  submit   --count N --workflow W [--prefix P] [--interval-ms M --out FILE]   cases to baton.intake\n"
      "  pingpong [--count N] [--interval-ms M]      raw two-hop round trip, p50/p99\n"
      "  spawnrate [--count N] [--parallel P] [--program PATH]   no broker: P threads each\n"
      "           posix_spawn + waitpid PATH (default /bin/true) N times; starts per second\n"
      "  spawnlat [--count N] [--interval-ms M]    no broker: posix_spawn of /bin/date +%s%N to the\n"
      "           clock reading it prints, p50/p99\n";
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string command = argv[1];
  const Args args(argc - 2, argv + 2);
  if (command == "declare") return run_declare(args);
  if (command == "preload") return run_preload(args);
  if (command == "drain") return run_drain(args);
  if (command == "watch") return run_watch(args);
  if (command == "depth") return run_depth(args);
  if (command == "loadgen") return run_loadgen(args);
  if (command == "submit") return run_submit(args);
  if (command == "pingpong") return run_pingpong(args);
  if (command == "spawnrate") return run_spawnrate(args);
  if (command == "spawnlat") return run_spawnlat(args);
  std::cerr << usage;
  return 2;
}
