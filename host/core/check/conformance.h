// `longalign plugin check FILE`: the conformance tests a plugin of each kind must pass before it
// is published. They run in a forked child, so a plugin that crashes mid-check is reported as
// such instead of taking the checker down.
#pragma once
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/library.h"

namespace longalign::host {

struct CheckResult {
  std::string name;
  bool passed = false;
  std::string detail;  // what was checked, or why it failed
};

struct CheckReport {
  std::string file;
  std::optional<PluginInfo> info;
  std::string load_error;  // set when the file could not be loaded at all
  std::vector<CheckResult> results;
  bool passed() const;
  nlohmann::json to_json() const;
};

// Loads the plugin and runs its kind's checks with `params` (a JSON object; empty: the schema's
// defaults), each reported as it finishes; a plugin still running after `timeout` is killed and
// reported as hung. A plugin that reads files needs params naming some.
CheckReport check_plugin(const std::filesystem::path& file,
                         std::chrono::milliseconds timeout = std::chrono::minutes(2),
                         const nlohmann::json& params = nlohmann::json::object());

namespace checks {
// The kind-specific suites, on instances made with params; each appends results via `report` and throws nothing.
using Report = std::function<void(CheckResult)>;
void data_source(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report);
void batching(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report);
void loss_weighting(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report);
void evaluator(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report);
// Runs `body`; an exception becomes a failed result with its message.
void run_check(const Report& report, const std::string& name, const std::function<std::string()>& body);
}  // namespace checks

}  // namespace longalign::host
