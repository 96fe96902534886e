#include "cell/dataset.h"

#include "cell/cell_spec.h"
#include "plugin/instance.h"

namespace longalign::host {

Dataset load_dataset(const nlohmann::json& config, const nlohmann::json& plugins, uint64_t seed,
                     std::vector<DataPart>& parts) {
  ByteTokenizer tok;
  auto tmpl = make_chat_template(config["chat_template"]);
  Dataset d;
  d.pad = tok.pad();
  for (auto& [name, entry] : config["data"].items()) {
    const std::string source = entry["source"];
    DataSourceInstance src(load_plugin(plugins, source), entry["params"]);
    src.open(seed);
    const int64_t want = entry.contains("count") ? entry["count"].get<int64_t>() : -1;
    Example e;
    DataPart part{name, 0, 0};
    while ((want < 0 || part.examples < want) && src.next(e)) {
      Tokenized t;
      try {
        t = tmpl->render(e, tok);
      } catch (const std::invalid_argument& err) {
        throw std::runtime_error("data '" + name + "' example " + std::to_string(part.examples) + ": " + err.what());
      }
      d.lengths.push_back(static_cast<uint32_t>(t.ids.size()));
      d.targets.push_back(t.targets());
      part.tokens += static_cast<int64_t>(t.ids.size());
      d.tokens.push_back(std::move(t));
      ++part.examples;
    }
    if (want >= 0 && part.examples < want)
      throw std::runtime_error("data '" + name + "' asked for " + std::to_string(want) + " examples; source '" + source +
                               "' gave " + std::to_string(part.examples));
    parts.push_back(part);
  }
  return d;
}

}  // namespace longalign::host
