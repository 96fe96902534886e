// longalign cell --spec FILE --db FILE: one cell, as the runner (or a Slurm task) starts it.
#include <fstream>
#include <iostream>

#include "cell/worker.h"
#include "store/store.h"
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
            host::EventSink events(opt->events_fd);
            host::CellSpec spec;
            try {
              std::ifstream in(opt->spec);
              spec = host::CellSpec::from_json(nlohmann::json::parse(in));
              host::run_cell(spec, opt->db, events);
              return kExitOk;
            } catch (const std::exception& e) {
              std::cerr << "longalign cell: " << e.what() << "\n";
              events.emit({{"event", "error"}, {"message", e.what()}});
              try {
                host::Store store(opt->db);
                if (store.run(spec.cell_id)) store.set_status(spec.cell_id, "failed", std::string(e.what()), std::nullopt);
              } catch (const std::exception&) {
                // The runner records the failure from the exit code and the event.
              }
              return kExitFailed;
            }
          }};
}

}  // namespace longalign::cli
