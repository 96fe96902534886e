// longalign: the command line. Each verb lives in its own verb_*.cpp; this file wires them up.
#include <longalign/plugin.h>

#include <iostream>

#include "util/build_info.h"
#include "util/input_error.h"
#include <vector>

#include "verbs.h"


int main(int argc, char** argv) {
  using namespace longalign::cli;
  CLI::App app{"longalign: long-context alignment experiments (LongAlign, Bai et al. 2024) as TOML sweeps"};
  app.require_subcommand(1);
  app.set_version_flag("--version", longalign::host::longalign_version() + " (" + longalign::host::short_commit(longalign::host::git_commit()) +
                                        ", plugin API " + std::to_string(LA_API_VERSION) + ")");
  app.footer("Exit codes: 0 ok, 1 some work failed, 2 bad input.");

  std::vector<Verb> verbs;
  verbs.push_back(add_plan_verb(app));
  verbs.push_back(add_run_verb(app));
  verbs.push_back(add_cell_verb(app));
  verbs.push_back(add_merge_verb(app));
  verbs.push_back(add_score_verb(app));
  verbs.push_back(add_generate_verb(app));
  verbs.push_back(add_plugins_verb(app));
  verbs.push_back(add_data_verb(app));
  verbs.push_back(add_report_verb(app));
  verbs.push_back(add_eval_verb(app));
  verbs.push_back(add_submit_verb(app));
  CLI::App* plugin = app.add_subcommand("plugin", "Work with one plugin file");
  plugin->require_subcommand(1);
  verbs.push_back(add_plugin_check_verb(*plugin));
  CLI::App* model = app.add_subcommand("model", "Make models");
  model->require_subcommand(1);
  verbs.push_back(add_model_init_verb(*model));
  CLI::App* db = app.add_subcommand("db", "Work with one results database");
  db->require_subcommand(1);
  verbs.push_back(add_db_check_verb(*db));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  try {
    for (auto& v : verbs)
      if (v.command->parsed()) return v.run();
  } catch (const longalign::host::InputError& e) {
    std::cerr << "longalign: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "longalign: " << e.what() << "\n";
    return kExitFailed;
  }
  return kExitBadInput;
}
