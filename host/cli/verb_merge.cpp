// longalign merge DB CELL_DB...: folds cells' results files into a sweep's DB (for cells run
// elsewhere, e.g. as Slurm tasks). Merging twice changes nothing; an unfinished file is refused.
#include <filesystem>
#include <iostream>

#include "store/store.h"
#include "util/input_error.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  std::string db;
  std::vector<std::string> cells;
};

}  // namespace

Verb add_merge_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("merge", "Fold cells' results files into a sweep's results DB");
  cmd->add_option("DB", opt->db, "The sweep's results DB (created if missing)")->required();
  cmd->add_option("CELL_DB", opt->cells, "Cell results files")->required()->check(CLI::ExistingFile);
  return {cmd, [opt] {
            for (auto& f : opt->cells) {
              std::error_code ec;  // the same file under another name (a symlink, `..`) counts too
              if (f == opt->db || std::filesystem::equivalent(f, opt->db, ec))
                throw host::InputError({f}, "", "source and destination are the same file (" + opt->db + ")");
              // Every source is checked (and an older one migrated) before the destination is touched.
              host::Store check(f, host::OpenMode::kExisting);
            }
            host::Store store(opt->db, host::OpenMode::kCreateIfMissing);
            int refused = 0;
            for (auto& f : opt->cells) {
              std::vector<std::string> unfinished;
              {
                host::Store cell(f, host::OpenMode::kExisting);
                for (const host::RunRecord& run : cell.unfinished_runs()) unfinished.push_back(run.cell_id + " (" + run.status + ")");
              }
              if (!unfinished.empty()) {
                std::cerr << f << ": not merged: cell " << unfinished.front() << " has not finished\n";
                ++refused;
                continue;
              }
              auto ids = store.merge(f);
              std::cout << f << ": merged " << ids.size() << " cell" << (ids.size() == 1 ? "" : "s") << "\n";
            }
            return refused ? kExitFailed : kExitOk;
          }};
}

}  // namespace longalign::cli
