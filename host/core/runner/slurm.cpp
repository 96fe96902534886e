#include "runner/slurm.h"

#include <ctime>
#include <fstream>

#include "cell/cell_spec.h"
#include "runner/runner.h"
#include "store/results_layout.h"
#include "store/store.h"
#include "util/input_error.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

SubmitResult submit_to_slurm(const ResolvedSweep& resolved, const SubmitOptions& o) {
  const Sweep& sw = resolved.sweep;
  const std::string db_file = o.db.empty() ? default_db_path(sw) : o.db;
  make_results_dir(db_file);
  Store store(db_file, OpenMode::kCreateIfMissing);
  const fs::path cells_dir = sweep_cells_dir(db_file, sw.name);
  store.upsert_sweep(sw.name, fs::absolute(sw.file).string(), sha256_file(sw.file), sweep_summary(resolved).dump());

  SubmitResult result;
  std::vector<const Cell*> pending;
  for (auto& c : resolved.cells) {
    auto prev = store.run(c.id);
    const fs::path cell_db = cells_dir / c.id / "cell.sqlite";
    if ((!prev || prev->status != "done") && fs::exists(cell_db)) {
      try {  // a task that finished since the last submit; an unfinished file stays out
        store.merge(cell_db.string());
        ++result.merged;
        prev = store.run(c.id);
      } catch (const std::exception&) {
      }
    }
    if (prev && prev->status == "done") {
      ++result.done;
      continue;
    }
    pending.push_back(&c);
  }
  if (pending.empty()) return result;

  const fs::path job_dir = fs::absolute(db_file).parent_path() / sw.name / "slurm";
  fs::create_directories(job_dir);
  std::string ids;
  for (const Cell* c : pending) {
    const fs::path dir = cells_dir / c->id;
    fs::create_directories(dir);
    for (const char* stale : {"cell.sqlite", "cell.sqlite-wal", "cell.sqlite-shm"})
      if (!fs::exists(dir / "checkpoints")) fs::remove(dir / stale);  // without checkpoints a task starts over
    const CellSpec spec = cell_spec(sw.name, *c, resolved.plugins, o.cpus_per_task);
    std::ofstream(dir / "spec.json") << spec.to_json().dump(2) << "\n";
    ids += " " + c->id;
    RunRecord r = store.run(c->id).value_or(RunRecord{});
    r.cell_id = c->id;
    r.sweep = sw.name;
    r.seed = static_cast<int64_t>(c->seed);
    r.grid_json = c->grid.dump();
    r.params_json = c->config.to_json().dump();
    r.status = "pending";
    store.upsert_run(r);
  }
  // The script runs one cell per array task. A task runs in the batch step: the cell process starts
  // a cell's other data-parallel ranks itself, on the task's node and cores.
  result.script = job_dir / ("submit-" + std::to_string(::time(nullptr)) + ".sh");
  std::ofstream script(result.script);
  script << "#!/bin/bash\n"
         << "#SBATCH --job-name=" << quoted("longalign-" + sw.name) << "\n"
         << "#SBATCH --array=0-" << pending.size() - 1 << "\n"
         << "#SBATCH --cpus-per-task=" << o.cpus_per_task << "\n"
         << "#SBATCH --output=" << quoted((cells_dir / "slurm-%A_%a.out").string()) << "\n"
         << "set -euo pipefail\n"
         << "cells=(" << ids << " )\n"
         << "cell=${cells[$SLURM_ARRAY_TASK_ID]}\n"
         << "dir=" << quoted(cells_dir.string()) << "/$cell\n"
         << "unset SLURM_PROCID SLURM_NTASKS  # one process per task; the cell process starts its own ranks\n"
         << (o.pushgateway.empty() ? "" : "export LONGALIGN_PUSHGATEWAY=" + quoted(o.pushgateway) + "\n")
         << "exec " << quoted(o.exe.string()) << " --spec \"$dir/spec.json\" --db \"$dir/cell.sqlite\" 2>\"$dir/stderr.log\"\n";
  script.close();
  fs::permissions(result.script, fs::perms::owner_exec, fs::perm_options::add);
  result.submitted = pending.size();
  if (o.dry_run) return result;

  auto sbatch = find_program("sbatch");
  if (!sbatch) throw InputError({"--slurm"}, "", "sbatch is not on PATH: is this a Slurm login node? (--dry-run writes the script alone)");
  std::vector<std::string> argv = {*sbatch, "--parsable"};
  argv.insert(argv.end(), o.sbatch_args.begin(), o.sbatch_args.end());
  argv.push_back(result.script.string());
  ProcessResult r = run_process(argv, std::chrono::seconds(120));
  if (!r.ok()) throw std::runtime_error("sbatch " + r.describe() + ": " + r.err);
  result.job_id = r.out.substr(0, r.out.find_first_of(";\n"));
  return result;
}

}  // namespace longalign::host
