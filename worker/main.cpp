#include "common/app/run_main.hpp"
#include "worker/app.hpp"

int main(int argc, char** argv) {
  using namespace baton::worker;
  bool drain = false;
  return baton::run_main<WorkerConfig, WorkerApp>(
      argc, argv, "baton-worker", "runs what this host allows and reports to the conductor",
      "config/worker.yaml", load_worker_config,
      [&](CLI::App& cli) { cli.add_flag("--drain", drain, "on SIGTERM, finish running jobs before exiting"); },
      [&](WorkerConfig& config) { config.jobs.drain_on_stop = config.jobs.drain_on_stop || drain; });
}
