// longalign score | generate ...: verbs that need the engine. They exec longalign-model, the
// binary beside this one that links libtorch, with the command line as given; it parses and
// checks the options (and answers --help), so they are defined in one place.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "plugin/registry.h"
#include "verbs.h"

namespace longalign::cli {

Verb add_model_verb(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* cmd = app.add_subcommand(name, description + " (`longalign " + name + " --help` for its options)");
  cmd->set_help_flag();  // longalign-model answers --help
  cmd->allow_extras();
  cmd->prefix_command();
  return {cmd, [cmd, name] {
            const std::string exe = (host::host_scanner().parent_path() / "longalign-model").string();
            std::vector<std::string> args = {exe, name};
            for (auto& a : cmd->remaining()) args.push_back(a);
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(a.data());
            argv.push_back(nullptr);
            execv(exe.c_str(), argv.data());
            std::cerr << "longalign " << name << ": cannot execute " << exe << ": " << std::strerror(errno) << "\n";
            return kExitFailed;
          }};
}

}  // namespace longalign::cli
