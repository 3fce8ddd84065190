#include "common/app/run_main.hpp"
#include "conductor/app.hpp"

int main(int argc, char** argv) {
  using namespace baton::conductor;
  return baton::run_main<ConductorConfig, ConductorApp>(
      argc, argv, "baton-conductor", "owns Baton's state, tracks workers and serves the API",
      "config/conductor.yaml", load_conductor_config);
}
