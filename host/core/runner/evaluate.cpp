#include "runner/evaluate.h"

#include <fstream>
#include <iostream>
#include <thread>

#include "cell/cell_spec.h"
#include "runner/runner.h"
#include "store/results_layout.h"
#include "store/store.h"
#include "util/input_error.h"
#include "util/nearest.h"
#include "util/subprocess.h"

namespace longalign::host {

int evaluate_sweep(const ResolvedSweep& resolved, const EvalOptions& o) {
  namespace fs = std::filesystem;
  const std::string db = o.db.empty() ? default_db_path(resolved.sweep) : o.db;
  if (!fs::exists(db)) throw InputError(Location{db}, "", "no results file: run the sweep first");
  std::vector<std::string> known;
  for (auto& c : resolved.cells)
    for (auto& [name, id] : c.eval_ids)
      if (std::find(known.begin(), known.end(), name) == known.end()) known.push_back(name);
  for (auto& name : o.evaluations)
    if (std::find(known.begin(), known.end(), name) == known.end())
      throw InputError(Location{resolved.sweep.file}, "evaluate", "no [[evaluate]] entry '" + name + "'" + did_you_mean(name, known));

  Store store(db, OpenMode::kExisting);
  const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int ran = 0, failed = 0, skipped = 0;
  for (const Cell& cell : resolved.cells) {
    auto row = store.run(cell.id);
    if (!row || row->status != "done") {
      ++skipped;
      continue;
    }
    // The cell's files are where the sweep that ran it put them, which may be another sweep's.
    CellSpec spec = cell_spec(row->sweep, cell, resolved.plugins, threads);
    spec.eval_ids = nlohmann::json::object();  // only those asked for and not yet done, below
    for (auto& [name, id] : cell.eval_ids) {
      if (!o.evaluations.empty() && std::find(o.evaluations.begin(), o.evaluations.end(), name) == o.evaluations.end()) continue;
      if (!o.force && store.has_eval_results(id)) continue;
      spec.eval_ids[name] = id;
    }
    if (spec.eval_ids.empty()) continue;
    const fs::path dir = sweep_cells_dir(db, row->sweep) / cell.id;
    fs::create_directories(dir);
    std::ofstream(dir / "spec-evaluate.json") << spec.to_json().dump(2) << "\n";
    auto res = run_process({o.exe.string(), "--spec", (dir / "spec-evaluate.json").string(), "--db", (dir / "cell.sqlite").string(),
                            "--evaluate"},
                           o.timeout_s > 0 ? std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000))
                                           : std::chrono::hours(24 * 365));
    std::string names;
    for (auto& [name, id] : spec.eval_ids.items()) names += (names.empty() ? "" : ", ") + name;
    if (fs::exists(dir / "cell.sqlite")) store.merge((dir / "cell.sqlite").string());
    // The report names a cell's evaluations by the entries of its stored config: add these.
    RunRecord record = *store.run(cell.id);
    auto stored = nlohmann::json::parse(record.params_json);
    for (auto& [name, id] : spec.eval_ids.items()) stored["evaluate"][name] = cell.config.evaluate.at(name).to_json();
    record.params_json = stored.dump();
    store.upsert_run(record);
    if (!res.ok() || store.failed_evaluations(cell.id) > 0) {
      ++failed;
      std::cout << "cell " << cell.id << ": " << names << " failed: "
                << (res.ok() ? "see eval_results (metric 'failed')" : res.describe() + ": " + res.err.substr(0, 500)) << "\n";
    } else {
      ++ran;
      std::cout << "cell " << cell.id << ": evaluated " << names << "\n";
    }
  }
  std::cout << ran << " cells evaluated, " << failed << " failed, " << skipped << " not done (skipped)\n";
  return failed ? 1 : 0;
}

}  // namespace longalign::host
