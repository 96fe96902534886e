// Conformance of evaluators, against the reference model service and a few checkable examples
// (as an [[evaluate]] entry's data gives them): at least one finite metric with a valid name, and
// the same metrics on a second run.
#include <cmath>

#include "check/conformance.h"
#include "check/reference_model.h"
#include "plugin/instance.h"

namespace longalign::host::checks {
namespace {

bool metric_name_ok(const std::string& s) {
  if (s.empty() || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// Pass-key chats with their answers in the metadata, as corpus-tasks makes them.
std::vector<Example> examples() {
  std::vector<Example> out;
  for (int i = 0; i < 4; ++i) {
    const std::string key = std::to_string(31415 + 1111 * i);
    Example e;
    e.messages = {{"user", "Some text before. The pass key is " + key + ". Remember it. " + key +
                               " is the pass key. Some text after.\n\nWhat is the pass key? Answer with the number only."},
                  {"assistant", key}};
    e.source = "conformance";
    e.task = "passkey";
    e.metadata_json = nlohmann::json{{"answer", key}, {"match", "exact"}}.dump();
    out.push_back(e);
  }
  return out;
}

std::vector<EvalMetric> run(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params) {
  ReferenceModel model;
  EvaluatorInstance ev(lib, params, model.service());
  std::vector<EvalMetric> metrics;
  std::vector<EvalArtifact> artifacts;
  ev.evaluate(metrics, artifacts, examples());
  return metrics;
}

}  // namespace

void evaluator(const std::shared_ptr<PluginLibrary>& lib, const nlohmann::json& params, const Report& report) {
  run_check(report, "metrics on the reference model", [&] {
    auto metrics = run(lib, params);
    if (metrics.empty()) throw std::runtime_error("evaluate() reported no metric");
    for (auto& m : metrics) {
      if (!metric_name_ok(m.name)) throw std::runtime_error("metric name '" + m.name + "' is not [a-z][a-z0-9_]*");
      if (!std::isfinite(m.value)) throw std::runtime_error("metric '" + m.name + "' is not finite");
    }
    std::string shown;
    for (size_t i = 0; i < metrics.size() && i < 3; ++i)
      shown += (i ? ", " : "") + metrics[i].name + "=" + std::to_string(metrics[i].value);
    return std::to_string(metrics.size()) + " finite metrics (" + shown + (metrics.size() > 3 ? ", ..." : "") + ")";
  });
  run_check(report, "deterministic", [&] {
    auto a = run(lib, params), b = run(lib, params);
    if (a.size() != b.size()) throw std::runtime_error("two runs reported different numbers of metrics");
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i].name != b[i].name || a[i].value != b[i].value || a[i].tags != b[i].tags)
        throw std::runtime_error("metric '" + a[i].name + "' differs between two runs");
    return std::string("two runs gave the same metrics");
  });
}

}  // namespace longalign::host::checks
