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
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}
