#include "common/app/run_main.hpp"
#include "worker/app.hpp"

int main(int argc, char** argv) {
  using namespace baton::worker;
  return baton::run_main<WorkerConfig, WorkerApp>(
      argc, argv, "baton-worker", "runs what this host allows and reports to the conductor",
      "config/worker.yaml", load_worker_config);
}
