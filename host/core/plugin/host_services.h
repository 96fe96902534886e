// The service table every plugin receives: log, metrics, the LLM client and the model service.
// Services this host cannot offer answer with LA_ERR_UNAVAILABLE and a message saying so.
#pragma once
#include <longalign/plugin.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace longalign::host {

using Tags = std::vector<std::pair<std::string, std::string>>;

class HostServices {
 public:
  using LogFn = std::function<void(la_log_level, std::string_view message)>;
  using MetricFn = std::function<void(std::string_view name, double value, const Tags& tags)>;

  // Logs go to stderr as "[plugin] message" until set_log() replaces that.
  explicit HostServices(std::string plugin_name);
  HostServices(const HostServices&) = delete;
  HostServices& operator=(const HostServices&) = delete;

  void set_log(LogFn fn) { log_ = std::move(fn); }
  void set_metric(MetricFn fn) { metric_ = std::move(fn); }
  void set_model(const la_model_service* model) { table_.model = model ? model : &unavailable_model(); }
  void set_llm(const la_llm_client* llm) { table_.llm = llm ? llm : &unavailable_llm(); }
  const la_host_services* table() const { return &table_; }

  static const la_llm_client& unavailable_llm();
  static const la_model_service& unavailable_model();

 private:
  std::string plugin_;
  LogFn log_;
  MetricFn metric_;
  la_host_services table_{};
};

}  // namespace longalign::host
