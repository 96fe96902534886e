// What a cell worker is given: the runner writes it as spec.json in the cell's dir, and the same
// file is what a Slurm array task runs (`longalign cell --spec FILE --db FILE`).
#pragma once
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace longalign::host {

class PluginLibrary;

// Loads plugin `name` from a spec's plugins table (name -> {"file": ...}); throws naming it.
std::shared_ptr<PluginLibrary> load_plugin(const nlohmann::json& plugins, const std::string& name);

// The plugins a resolved cell config names: batching, loss weighting, data sources, evaluators
// and their data sources.
std::vector<std::string> plugins_used(const nlohmann::json& config);

struct CellSpec {
  std::string sweep, cell_id;
  uint64_t seed = 0;
  nlohmann::json config;   // resolved (sweep/plan.h)
  nlohmann::json grid;     // the values that set this cell apart
  nlohmann::json plugins;  // name -> {file, sha256, version}
  nlohmann::json eval_ids = nlohmann::json::object();
  int threads = 1;

  nlohmann::json to_json() const;
  static CellSpec from_json(const nlohmann::json& j);  // throws std::runtime_error on a bad spec
};

}  // namespace longalign::host
