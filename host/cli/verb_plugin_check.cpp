// longalign plugin check FILE: the conformance tests of the plugin's kind, for plugin authors.
#include <iostream>

#include "check/conformance.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  bool json = false;
  std::string file, params = "{}";
};

}  // namespace

Verb add_plugin_check_verb(CLI::App& plugin) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = plugin.add_subcommand("check", "Run the conformance tests of a plugin's kind on FILE");
  cmd->add_option("FILE", opt->file, "The plugin library (.so)")->required();
  cmd->add_flag("--json", opt->json, "Print JSON");
  cmd->add_option("--params", opt->params, "The plugin's parameters as a JSON object (default: its schema's defaults)");
  cmd->footer("Exit code 0 when every check passes, 1 when one fails, 2 when FILE is missing or --params is no JSON object.");
  return {cmd, [opt] {
            if (!std::filesystem::exists(opt->file)) {
              std::cerr << "longalign plugin check: " << opt->file << ": no such file\n";
              return kExitBadInput;
            }
            auto params = nlohmann::json::parse(opt->params, nullptr, false);
            if (params.is_discarded() || !params.is_object()) {
              std::cerr << "longalign plugin check: --params: not a JSON object: " << opt->params << "\n";
              return kExitBadInput;
            }
            host::CheckReport rep = host::check_plugin(opt->file, std::chrono::minutes(2), params);
            if (opt->json) {
              std::cout << rep.to_json().dump(2) << "\n";
              return rep.passed() ? kExitOk : kExitFailed;
            }
            if (!rep.load_error.empty()) {
              std::cout << "FAIL  load: " << rep.load_error << "\n";
              return kExitFailed;
            }
            if (rep.info)
              std::cout << rep.info->name << " (" << host::kind_name(rep.info->kind) << " " << rep.info->version << ")\n";
            size_t failed = 0;
            for (auto& r : rep.results) {
              std::cout << (r.passed ? "  ok    " : "  FAIL  ") << r.name << ": " << r.detail << "\n";
              failed += !r.passed;
            }
            std::cout << (rep.results.size() - failed) << " passed, " << failed << " failed\n";
            return rep.passed() ? kExitOk : kExitFailed;
          }};
}

}  // namespace longalign::cli
