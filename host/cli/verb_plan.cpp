// longalign plan FILE: validates a sweep without running it and lists its cells with their ids.
#include <iomanip>
#include <iostream>

#include "sweep_args.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  SweepArgs sweep;
  bool json = false;
};

std::string grid_text(const nlohmann::json& grid) {
  std::string s;
  for (auto& [k, v] : grid.items()) s += (s.empty() ? "" : "  ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return s.empty() ? "(base config)" : s;
}

}  // namespace

Verb add_plan_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("plan", "Check a sweep and list its cells, without running anything");
  opt->sweep.add_to(cmd);
  cmd->add_flag("--json", opt->json, "Print the cells, resolved configs and ids as JSON");
  cmd->footer("Exit code 0 when the sweep is valid, 2 with a located error when it is not. Nothing is written.");
  return {cmd, [opt] {
            host::SweepPlan plan = opt->sweep.plan();
            if (opt->json) {
              nlohmann::json cells = nlohmann::json::array();
              for (auto& c : plan.cells)
                cells.push_back({{"id", c.id}, {"seed", c.seed}, {"grid", c.grid}, {"config", c.config}, {"eval_ids", c.eval_ids}});
              std::cout << nlohmann::json{{"sweep", plan.sweep.name}, {"cells", cells}, {"plugins", plan.plugins}}.dump(2) << "\n";
              return kExitOk;
            }
            std::cout << "sweep " << plan.sweep.name << ": " << plan.cells.size() << " cells\n";
            std::cout << std::left << std::setw(18) << "CELL" << std::setw(6) << "SEED" << "GRID\n";
            for (auto& c : plan.cells)
              std::cout << std::setw(18) << c.id << std::setw(6) << c.seed << grid_text(c.grid) << "\n";
            return kExitOk;
          }};
}

}  // namespace longalign::cli
