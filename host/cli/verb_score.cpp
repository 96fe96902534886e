// longalign score --model DIR (--text TEXT | --ids 1,2,3) [--json]: scoring needs the engine, so
// this verb checks its command line and execs longalign-model, the binary beside this one that
// links libtorch.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "plugin/registry.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

struct Options {
  std::string model, text, ids;
  bool json = false;
};

}  // namespace

Verb add_score_verb(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("score", "Log-probability of each next token under a model (position t scores token t+1)");
  cmd->add_option("--model", opt->model, "A Hugging Face Llama directory (config.json + safetensors) or a cell's model/")
      ->required()
      ->check(CLI::ExistingDirectory);
  auto* text = cmd->add_option("--text", opt->text, "Text, with the byte tokenizer (BOS first)");
  auto* ids = cmd->add_option("--ids", opt->ids, "Token ids, comma-separated, e.g. 1,2,3");
  text->excludes(ids);
  cmd->add_flag("--json", opt->json, "Print a JSON list of log-probabilities");
  cmd->callback([text, ids] {
    if (!*text && !*ids) throw CLI::RequiredError("--text or --ids");
  });
  return {cmd, [opt, text] {
            const std::string exe = (host::host_scanner().parent_path() / "longalign-model").string();
            std::vector<std::string> args = {exe, "score", "--model", opt->model};
            if (*text) args.insert(args.end(), {"--text", opt->text});
            else args.insert(args.end(), {"--ids", opt->ids});
            if (opt->json) args.push_back("--json");
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(exe.c_str(), argv.data());
            std::cerr << "longalign score: cannot execute " << exe << ": " << std::strerror(errno) << "\n";
            return kExitFailed;
          }};
}

}  // namespace longalign::cli
