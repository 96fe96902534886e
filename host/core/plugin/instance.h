// Host-side handles on plugin instances, one class per kind. They call through the C vtables,
// copy what the plugin returns into host-owned values (longalign::Example, longalign::Plan), and
// turn error codes into PluginCallError naming the plugin and the call.
#pragma once
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugin/host_services.h"
#include "plugin/library.h"
#include "plugin/params.h"

namespace longalign::host {

class PluginCallError : public std::runtime_error {
 public:
  PluginCallError(int32_t status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int32_t status() const { return status_; }

 private:
  int32_t status_;
};

class PluginInstance {
 public:
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;
  virtual ~PluginInstance();
  const PluginInfo& info() const { return lib_->info(); }
  HostServices& host() { return *host_; }

 protected:
  // Resolves given `params` against the schema (ParamError when they do not fit) and calls create().
  PluginInstance(std::shared_ptr<PluginLibrary> lib, la_plugin_kind kind, const InstanceParams& params);
  // Throws PluginCallError unless status is LA_OK (or LA_END where allowed).
  void check(int32_t status, const la_error& error, const char* call) const;
  std::shared_ptr<PluginLibrary> lib_;
  std::unique_ptr<HostServices> host_;
  void* handle_ = nullptr;
};

class DataSourceInstance : public PluginInstance {
 public:
  // llm: the LLM client the source may ask (self-instruct); none: calls answer unavailable.
  DataSourceInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params, const la_llm_client* llm = nullptr);
  void open(uint64_t seed);
  std::optional<int64_t> count();  // nullopt when the source cannot tell before reading
  bool next(Example& out);          // false at the end of the stream
  // What the stream read since open(), a JSON object (empty when the plugin records nothing).
  nlohmann::json provenance();
};

class BatchingInstance : public PluginInstance {
 public:
  BatchingInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params);
  Plan plan(const la_batch_input& input);
};

class LossWeightingInstance : public PluginInstance {
 public:
  LossWeightingInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params);
  bool normalized() const { return !(info().flags & LA_WEIGHTS_UNNORMALIZED); }
  std::vector<double> weigh(const la_step& step);
};

struct EvalMetric {
  std::string name;
  double value;
  Tags tags;
};
struct EvalArtifact {
  std::string name, media_type, data;
};

class EvaluatorInstance : public PluginInstance {
 public:
  EvaluatorInstance(std::shared_ptr<PluginLibrary> lib, const InstanceParams& params,
                    const la_model_service* model = nullptr, const la_llm_client* llm = nullptr);
  // examples: what the sweep gave this evaluation ([[evaluate]] data), offered through the sink.
  void evaluate(std::vector<EvalMetric>& metrics, std::vector<EvalArtifact>& artifacts,
                const std::vector<Example>& examples = {});
};

}  // namespace longalign::host
