// Subcommands of the `warden` binary. Each add_*_command registers its
// subcommand on the top-level CLI11 app and sets *exit_code when it runs.
// Called only by tools/main.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace warden::tools {

void add_sim_command(CLI::App& app, int* exit_code);
void add_lincheck_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);

}  // namespace warden::tools
