// longalign plan FILE: validates a sweep without running it and lists its cells with their ids.
#include <iomanip>
#include <iostream>

#include "batching/plan_stats.h"
#include "cell/cell_spec.h"
#include "cell/step_batches.h"
#include "plugin/instance.h"
#include "text/cell_tokenizer.h"
#include "text/shown_example.h"
#include "util/input_error.h"
#include "sweep_args.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  SweepArgs sweep;
  bool json = false, batching = false;
  int64_t show_example = -1;
};

host::Dataset cell_data(const host::ResolvedSweep& resolved, const host::Cell& c) {
  std::vector<host::DataPart> parts;
  return host::load_dataset(c.config, resolved.plugins, c.seed, parts);
}

// The batch plan's statistics for a cell: its data read and planned, and its first optimizer
// step weighed by its loss weighting (weights that a cell would refuse are refused here, as bad
// input at the sweep's loss.plugin), nothing trained.
host::PlanStats batching_stats(const host::ResolvedSweep& resolved, const host::Cell& c, const host::Dataset& data) {
  host::BatchingInstance b(host::load_plugin(resolved.plugins, c.config.batching.plugin), c.config.batching.params);
  const host::TrainSection& train = c.config.train;
  std::vector<Plan> epochs = host::plan_epochs(b, data, train, c.seed);
  if (!epochs.empty() && !epochs[0].steps.empty()) {
    host::LossWeightingInstance loss(host::load_plugin(resolved.plugins, c.config.loss.plugin), c.config.loss.params);
    const uint32_t world = static_cast<uint32_t>(train.world_size);
    const la_range& first = epochs[0].steps[0];
    try {
      host::weigh_step(loss, epochs[0], first, data, host::sequence_targets(epochs[0], data),
                       world > 1 ? host::assign_ranks(epochs[0], first, world) : std::vector<uint32_t>{}, world, 0);
    } catch (const std::runtime_error& e) {
      throw host::InputError(resolved.sweep.locate("loss.plugin"), "loss.plugin", "cell " + c.id + ": " + e.what());
    }
  }
  return host::plan_stats(epochs, static_cast<uint32_t>(train.max_tokens));
}

// Example n of a cell's data as the cell trains on it: its tokens' text, targets marked.
std::vector<host::ShownSpan> shown(const host::Cell& c, const host::Dataset& data, int64_t n) {
  if (n >= static_cast<int64_t>(data.tokens.size()))
    throw std::out_of_range("--show-example " + std::to_string(n) + ": cell " + c.id + " has " + std::to_string(data.tokens.size()) +
                                " examples");
  return host::show_example(data.tokens[static_cast<size_t>(n)], *host::cell_tokenizer(c.config.tokenizer));
}

std::string grid_text(const nlohmann::json& grid) {
  std::string s;
  for (auto& [k, v] : grid.items()) s += (s.empty() ? "" : "  ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return s.empty() ? "(base config)" : s;
}

// The cells, with their batching plans and shown examples where asked.
int list_cells(const Options& opt) {
  host::ResolvedSweep resolved = opt.sweep.resolve();
  if (opt.json) {
    nlohmann::json cells = nlohmann::json::array();
    for (auto& c : resolved.cells) {
      cells.push_back({{"id", c.id}, {"seed", c.seed}, {"grid", c.grid}, {"config", c.config.to_json()}, {"eval_ids", c.eval_ids}});
      if (!opt.batching && opt.show_example < 0) continue;
      const host::Dataset data = cell_data(resolved, c);
      if (opt.batching)
        for (auto& [k, v] : batching_stats(resolved, c, data).named()) cells.back()["batching"][k.substr(5)] = v;
      if (opt.show_example >= 0) cells.back()["example"] = host::shown_json(shown(c, data, opt.show_example));
    }
    std::cout << nlohmann::json{{"sweep", resolved.sweep.name}, {"cells", cells}, {"plugins", resolved.plugins}}.dump(2) << "\n";
    return kExitOk;
  }
  std::cout << "sweep " << resolved.sweep.name << ": " << resolved.cells.size() << " cells\n";
  std::cout << std::left << std::setw(18) << "CELL" << std::setw(6) << "SEED";
  if (opt.batching)
    std::cout << std::setw(8) << "ROWS" << std::setw(8) << "BOUND" << std::setw(12) << "EFFICIENCY" << std::setw(9)
              << "SEQ/ROW" << std::setw(9) << "DROPPED";
  std::cout << "GRID\n";
  for (auto& c : resolved.cells) {
    std::cout << std::setw(18) << c.id << std::setw(6) << c.seed;
    host::PlanStats st;
    host::Dataset data;
    if (opt.batching || opt.show_example >= 0) data = cell_data(resolved, c);
    if (opt.batching) {
      st = batching_stats(resolved, c, data);
      char eff[16], spr[16];
      std::snprintf(eff, sizeof eff, "%.3f", st.efficiency);
      std::snprintf(spr, sizeof spr, "%.2f", st.sequences_per_row);
      std::cout << std::setw(8) << st.rows << std::setw(8) << st.rows_lower_bound << std::setw(12) << eff
                << std::setw(9) << spr << std::setw(9) << st.dropped;
    }
    std::cout << grid_text(c.grid) << "\n";
    for (auto& [reason, n] : st.drop_reasons) std::cout << "    dropped " << n << ": " << reason << "\n";
    if (opt.show_example >= 0) {
      const std::string text = host::shown_text(shown(c, data, opt.show_example));
      std::cout << "  example " << opt.show_example << ", " << text;
    }
  }
  return kExitOk;
}

}  // namespace

Verb add_plan_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("plan", "Check a sweep and list its cells, without running anything");
  opt->sweep.add_to(cmd);
  cmd->add_flag("--json", opt->json, "Print the cells, resolved configs and ids as JSON");
  cmd->add_flag("--batching", opt->batching,
                "Also read each cell's data and plan its batches (no training): rows, padding efficiency, "
                "sequences per row, dropped, the packing lower bound");
  cmd->add_option("--show-example", opt->show_example,
                  "Also show each cell's example N as it trains on it: its tokens as text, the targets marked")
      ->check(CLI::NonNegativeNumber);
  cmd->footer("Exit code 0 when the sweep is valid, 2 with a located error when it is not. Nothing is written.");
  return {cmd, [opt] {
            try {
              return list_cells(*opt);
            } catch (const std::out_of_range& e) {  // an example past a cell's data
              std::cerr << "longalign plan: " << e.what() << "\n";
              return kExitBadInput;
            }
          }};
}

}  // namespace longalign::cli
