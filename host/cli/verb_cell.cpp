// longalign cell --spec FILE --db FILE: one cell, as the runner (or a Slurm task) starts it. The
// work happens in longalign-cell, the cell binary beside this one, so that this binary and the
// runner never load libtorch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "plugin/registry.h"
#include "util/build_info.h"
#include "util/subprocess.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  std::string spec, db;
  int events_fd = -1;
};

}  // namespace

Verb add_cell_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("cell", "Run one cell from its spec (what `run` and Slurm tasks start)");
  cmd->add_option("--spec", opt->spec, "The cell's spec.json")->required()->check(CLI::ExistingFile);
  cmd->add_option("--db", opt->db, "The cell's own results file")->required();
  cmd->add_option("--events-fd", opt->events_fd, "Write NDJSON progress events to this file descriptor");
  return {cmd, [opt] {
            const std::string binary = host::sibling_binary("longalign-cell").string();
            host::exec_replacing({binary, "--spec", opt->spec, "--db", opt->db, "--events-fd", std::to_string(opt->events_fd)});
            std::cerr << "longalign cell: cannot execute " << binary << ": " << std::strerror(errno) << "\n";
            return kExitFailed;
          }};
}

}  // namespace longalign::cli
