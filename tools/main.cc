// Entry point of build/warden: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include "tools/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Warden: a ZooKeeper-compatible coordination service for MySQL high availability"};
  app.require_subcommand(1);
  int exit_code = 0;
  warden::tools::add_sim_command(app, &exit_code);
  warden::tools::add_lincheck_command(app, &exit_code);
  warden::tools::add_serve_command(app, &exit_code);
  warden::tools::add_cli_command(app, &exit_code);
  warden::tools::add_bench_command(app, &exit_code);
  warden::tools::add_mysql_command(app, &exit_code);
  warden::tools::add_router_command(app, &exit_code);
  const std::vector<const char*> args = warden::tools::zkcli_style_arguments(argc, argv);
  CLI11_PARSE(app, static_cast<int>(args.size()), args.data());
  return exit_code;
}
