// longalign data export SOURCE: a data-source plugin's examples as JSONL in the LongAlign-10k
// form ({"messages": [...]}, or {"text": ...} for plain text), with each example's source, task
// and metadata. To look at what a sweep would train on, or to save what self-instruct made so
// jsonl-messages reads it back.
#include <iostream>

#include "llm/llm_service.h"
#include "plugin/instance.h"
#include "plugin/registry.h"
#include "text/cell_tokenizer.h"
#include "text/shown_example.h"
#include "util/nearest.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  std::string source, params = "{}";
  int64_t count = -1;
  uint64_t seed = 0;
  host::LlmSection llm;  // no url: sources that ask an LLM are told none is there
  std::vector<std::string> dirs;
  int64_t show_example = -1;
  std::string tokenizer = "byte", chat_template = "auto";
};

// Example n rendered as a cell with this tokenizer and template trains on it.
int show_example(const Options& opt, host::DataSourceInstance& src) {
  Example e;
  for (int64_t n = 0; n <= opt.show_example; ++n)
    if (!src.next(e)) {
      std::cerr << "longalign data export: --show-example " << opt.show_example << ": the source has " << n << " examples\n";
      return kExitBadInput;
    }
  std::shared_ptr<const host::Tokenizer> tok;
  std::unique_ptr<host::ChatTemplate> tmpl;
  try {
    tok = host::cell_tokenizer(opt.tokenizer);
    tmpl = host::make_chat_template(opt.chat_template, opt.tokenizer);
  } catch (const std::invalid_argument& err) {
    std::cerr << "longalign data export: " << err.what() << "\n";
    return kExitBadInput;
  }
  std::cout << "example " << opt.show_example << ", " << host::shown_text(host::show_example(tmpl->render(e, *tok), *tok));
  return kExitOk;
}

const host::PluginEntry* find_source(const host::Registry& reg, const std::string& name) {
  std::vector<std::string> names;
  for (auto& p : reg.plugins) {
    if (p.info.kind != LA_KIND_DATA_SOURCE) continue;
    if (p.info.name == name) return &p;
    names.push_back(p.info.name);
  }
  std::cerr << "longalign data export: no data-source plugin '" << name << "'" << host::did_you_mean(name, names) << "\n";
  return nullptr;
}

nlohmann::json to_jsonl(const Example& e) {
  nlohmann::json j = nlohmann::json::object();
  if (e.messages.empty()) {
    j["text"] = e.text;
  } else {
    j["messages"] = nlohmann::json::array();
    for (auto& m : e.messages) j["messages"].push_back({{"role", m.role}, {"content", m.content}});
  }
  j["source"] = e.source;
  j["task"] = e.task;
  if (!e.metadata_json.empty()) j["metadata"] = nlohmann::json::parse(e.metadata_json, nullptr, false);
  return j;
}

}  // namespace

Verb add_data_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* data = app.add_subcommand("data", "Work with data sources");
  data->require_subcommand(1);
  CLI::App* cmd = data->add_subcommand("export", "Write a data source's examples to stdout as LongAlign-10k JSONL");
  cmd->add_option("SOURCE", opt->source, "The data-source plugin")->required();
  cmd->add_option("--params", opt->params, "Its parameters as a JSON object");
  cmd->add_option("--count", opt->count, "At most this many examples (default: all)");
  cmd->add_option("--seed", opt->seed, "The stream's seed");
  cmd->add_option("--plugin-dir", opt->dirs, "Also search this dir (first); repeatable");
  cmd->add_option("--llm-url", opt->llm.url, "An OpenAI-compatible endpoint for sources that ask an LLM (self-instruct)");
  cmd->add_option("--llm-model", opt->llm.model, "The model it serves");
  cmd->add_option("--llm-key-env", opt->llm.api_key_env, "The environment variable holding its API key");
  cmd->add_option("--show-example", opt->show_example,
                  "Instead, show example N as a cell trains on it (its tokens as text, the targets marked)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--tokenizer", opt->tokenizer, "With --show-example: byte, or a directory holding a tokenizer.json");
  cmd->add_option("--chat-template", opt->chat_template, "With --show-example: auto (the tokenizer directory's own template, else llama2), llama2 or plain");
  return {cmd, [opt] {
            auto params = nlohmann::json::parse(opt->params, nullptr, false);
            if (params.is_discarded() || !params.is_object()) {
              std::cerr << "longalign data export: --params: not a JSON object: " << opt->params << "\n";
              return kExitBadInput;
            }
            std::vector<std::filesystem::path> extra(opt->dirs.begin(), opt->dirs.end());
            host::ProbeCache cache(host::ProbeCache::default_file());
            host::Registry reg = host::scan_plugins(host::plugin_search_path(extra), {host::host_scanner()}, cache);
            const host::PluginEntry* entry = find_source(reg, opt->source);
            if (!entry) return kExitBadInput;
            const host::LlmConnection llm(opt->llm);
            std::unique_ptr<host::DataSourceInstance> src;
            try {  // bad parameters: the schema's check, or the plugin's own in create()
              src = std::make_unique<host::DataSourceInstance>(host::PluginLibrary::load(entry->file), params, llm.table());
            } catch (const std::exception& e) {
              std::cerr << "longalign data export: --params: " << e.what() << "\n";
              return kExitBadInput;
            }
            src->open(opt->seed);
            if (opt->show_example >= 0) return show_example(*opt, *src);
            Example e;
            for (int64_t n = 0; (opt->count < 0 || n < opt->count) && src->next(e); ++n)
              std::cout << to_jsonl(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
            std::cout.flush();
            return kExitOk;
          }};
}

}  // namespace longalign::cli
