// What a cell process is given: the runner writes it as spec.json in the cell's dir, and the same
// file is what a Slurm array task runs (`longalign cell --spec FILE --db FILE`).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cell/cell_config.h"

namespace longalign::host {

class PluginLibrary;

// Loads plugin `name` from a spec's plugins table (name -> {"file": ...}); throws naming it.
std::shared_ptr<PluginLibrary> load_plugin(const nlohmann::json& plugins, const std::string& name);

struct CellSpec {
  std::string sweep, cell_id;
  uint64_t seed = 0;
  CellConfig config;       // resolved (sweep/resolve.h)
  nlohmann::json grid;     // the values that set this cell apart
  nlohmann::json plugins;  // name -> {file, sha256, version}
  nlohmann::json eval_ids = nlohmann::json::object();
  int threads = 1;  // intra-op threads of the cell (shared among its local ranks)

  nlohmann::json to_json() const;
  static CellSpec from_json(const nlohmann::json& j);  // throws std::runtime_error on a bad spec
};

}  // namespace longalign::host
