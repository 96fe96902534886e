// A sweep file, read once at the edge: TOML (toml++) becomes plain JSON values with the source
// location of every key kept, so later checks can still point at file:line:column.
//
//   name = "quickstart"          # required; also names results/<name>.sqlite
//   seeds = [0, 1]               # each cell of the grid runs once per seed (default [0])
//   plugin_dirs = ["plugins"]    # searched first, relative to the sweep file
//   timeout_s = 600              # per cell; 0 = none
//   [config]                     # the base cell config (see config_schema.h)
//   [grid]                       # "dotted.config.path" = [values...]: the cartesian product
//   [[exclude]] / [[include]]    # drop matching cells / add cells beyond the grid
//   [[data]]                     # name, source, params, count | ratio
//   [[evaluate]]                 # name, evaluator, params
#pragma once
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "util/input_error.h"

namespace longalign::host {

struct Sweep {
  std::string file, name, description;
  std::vector<uint64_t> seeds{0};
  std::vector<std::string> plugin_dirs;  // absolute
  double timeout_s = 0;
  // The base cell config: [config] plus "data" and "evaluate" entries keyed by their names.
  nlohmann::json base = nlohmann::json::object();
  std::vector<std::pair<std::string, std::vector<nlohmann::json>>> grid;  // in file order
  std::vector<std::map<std::string, nlohmann::json>> excludes, includes;
  // Where each config path was set: "train.lr" for [config], "grid.train.lr.1" for a grid value,
  // "include.0.train.lr" for an include.
  std::map<std::string, Location> where;

  Location locate(const std::string& key) const;  // the nearest recorded location
};

// Reads and checks the sweep's own structure (not yet the config values: see plan.h). `sets`
// are command-line overrides "dotted.path=toml-value" applied to the document before reading.
// Throws InputError.
Sweep load_sweep(const std::string& file, const std::vector<std::string>& sets = {});

// The same from TOML text, for tests and the fuzzer.
Sweep parse_sweep(const std::string& text, const std::string& file, const std::vector<std::string>& sets = {});

}  // namespace longalign::host
