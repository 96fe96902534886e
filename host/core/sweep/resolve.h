// From a sweep to its cells: the grid's cartesian product, minus excludes, plus includes, times
// seeds; each cell's config resolved (defaults filled, plugin parameters checked against their
// schemas) and given an id that hashes exactly what determines its training.
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

#include "cell/cell_config.h"
#include "cell/cell_spec.h"
#include "plugin/registry.h"
#include "sweep/sweep.h"

namespace longalign::host {

struct Cell {
  std::string id;           // 16 hex digits of SHA-256(canonical {config, seed})
  uint64_t seed = 0;
  nlohmann::json grid;      // the grid (and include) values that set this cell apart: path -> value
  CellConfig config;        // resolved; its evaluations are kept out of the id
  std::map<std::string, std::string> eval_ids;  // evaluate entry name -> evaluation id
};

struct ResolvedSweep {
  Sweep sweep;
  std::vector<Cell> cells;
  // The plugins the cells use: name -> {file, sha256, version}, recorded with each run.
  nlohmann::json plugins = nlohmann::json::object();
};

// The canonical text of a JSON value (sorted keys, shortest round-trip numbers) and its id.
std::string canonical(const nlohmann::json& j);
std::string content_id(const nlohmann::json& j);  // 16 hex digits of SHA-256(canonical(j))

// What a cell's process is given (spec.json): the cell as `sweep` runs it, the files of the plugins
// its config names (from the resolved sweep's `plugins`), its evaluations and its threads.
CellSpec cell_spec(const std::string& sweep, const Cell& cell, const nlohmann::json& plugins, int threads);

// More cells than this in one sweep is a mistake (a runaway grid), reported before expanding.
constexpr size_t kMaxCells = 100000;

// Expands and resolves every cell. Data sources are opened to check that exact counts can be
// met. Throws InputError naming the file, line and key of the first problem.
ResolvedSweep resolve_sweep(const Sweep& sweep, const Registry& registry);

}  // namespace longalign::host
