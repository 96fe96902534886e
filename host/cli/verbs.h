// Each verb of the longalign CLI adds its subcommand and returns what runs it.
#pragma once
#include <CLI/CLI.hpp>

#include <functional>

namespace longalign::cli {

// Exit codes, the same for every verb.
constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;    // the work ran, and some of it failed (cells, checks)
constexpr int kExitBadInput = 2;  // bad command line, file or config: nothing was run

struct Verb {
  CLI::App* command;
  std::function<int()> run;
};

Verb add_plugins_verb(CLI::App& app);
Verb add_plan_verb(CLI::App& app);
Verb add_run_verb(CLI::App& app);
Verb add_cell_verb(CLI::App& app);
Verb add_merge_verb(CLI::App& app);
// score, generate: tokenized here, run by longalign-model (the engine) on token ids.
Verb add_score_verb(CLI::App& app);
Verb add_generate_verb(CLI::App& app);
Verb add_model_init_verb(CLI::App& model);
Verb add_plugin_check_verb(CLI::App& plugin);
Verb add_db_check_verb(CLI::App& db);
Verb add_data_verb(CLI::App& app);
Verb add_report_verb(CLI::App& app);
Verb add_eval_verb(CLI::App& app);
Verb add_submit_verb(CLI::App& app);

}  // namespace longalign::cli
