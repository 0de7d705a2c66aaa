// Subcommands of the `warden` binary. Each add_*_command registers its
// subcommand on the top-level CLI11 app and sets *exit_code when it runs.
// Called only by tools/main.cc.
#pragma once

#include <CLI/CLI.hpp>
#include <vector>

namespace warden::tools {

void add_sim_command(CLI::App& app, int* exit_code);
void add_lincheck_command(CLI::App& app, int* exit_code);
void add_serve_command(CLI::App& app, int* exit_code);
void add_cli_command(CLI::App& app, int* exit_code);
void add_bench_command(CLI::App& app, int* exit_code);
void add_mysql_command(CLI::App& app, int* exit_code);
void add_router_command(CLI::App& app, int* exit_code);
// `warden mysql status` and `warden mysql maintenance`, under `mysql`.
void add_mysql_topology_commands(CLI::App& mysql, int* exit_code);

// argv with zkCli.sh's spelling "-server" turned into "--server" (CLI11 has
// no single-dash long options): for `bench` wherever it appears, for `cli`
// only right after the subcommand, where zkCli.sh users put it, so that a
// command's data is never rewritten.
std::vector<const char*> zkcli_style_arguments(int argc, char** argv);

}  // namespace warden::tools
