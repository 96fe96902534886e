#include "cell/cell_spec.h"

#include "plugin/library.h"

namespace longalign::host {

std::shared_ptr<PluginLibrary> load_plugin(const nlohmann::json& plugins, const std::string& name) {
  if (!plugins.contains(name)) throw std::runtime_error("no file is known for plugin '" + name + "'");
  return PluginLibrary::load(plugins[name]["file"].get<std::string>());
}

nlohmann::json CellSpec::to_json() const {
  return {{"sweep", sweep}, {"cell_id", cell_id}, {"seed", seed},         {"config", config.to_json()},
          {"grid", grid},   {"plugins", plugins}, {"eval_ids", eval_ids}, {"threads", threads}};
}

CellSpec CellSpec::from_json(const nlohmann::json& j) {
  try {
    CellSpec s;
    s.sweep = j.at("sweep");
    s.cell_id = j.at("cell_id");
    s.seed = j.at("seed");
    s.config = CellConfig::from_json(j.at("config"));
    s.grid = j.at("grid");
    s.plugins = j.at("plugins");
    s.eval_ids = j.value("eval_ids", nlohmann::json::object());
    s.threads = j.value("threads", 1);
    return s;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("bad cell spec: ") + e.what());
  }
}

}  // namespace longalign::host
