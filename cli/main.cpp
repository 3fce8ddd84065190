#include <CLI/CLI.hpp>

#include "cli/alert_commands.hpp"
#include "cli/case_commands.hpp"
#include "cli/check_commands.hpp"
#include "cli/context.hpp"
#include "cli/ops_commands.hpp"
#include "cli/status_command.hpp"
#include "cli/worker_commands.hpp"

int main(int argc, char** argv) {
  using namespace baton::cli;
  CliContext context;
  CLI::App app{"batonctl: operate a Baton conductor over its HTTP API", "batonctl"};
  app.set_version_flag("--version", BATON_VERSION);
  app.require_subcommand(1);
  app.add_option("--url", context.options.url, "Conductor base URL")->envname("BATON_URL")->capture_default_str();
  app.add_option("--token", context.options.token, "API token for mutating calls")->envname("BATON_API_TOKEN");
  app.add_option("--timeout", context.options.timeout_seconds, "Seconds to wait for the conductor")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();

  add_status_command(app, context);
  add_worker_commands(app, context);
  add_case_commands(app, context);
  add_check_commands(app, context);
  add_alert_commands(app, context);
  add_ops_commands(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a success; every usage error is exit 2, like the commands' own.
    return app.exit(e) == 0 ? 0 : 2;
  }
  return context.exit_code;
}
