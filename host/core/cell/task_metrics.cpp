#include "cell/task_metrics.h"

#include <cstdio>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "metrics/pushgateway.h"

namespace longalign::host {

TaskMetrics::TaskMetrics(const std::string& url, std::string sweep, std::string cell)
    : gateway_(std::make_unique<metrics::Pushgateway>(url)), sweep_(std::move(sweep)), cell_(std::move(cell)) {}

TaskMetrics::~TaskMetrics() = default;

void TaskMetrics::observe(const nlohmann::json& event) {
  const std::string kind = event.value("event", "");
  if (kind == "progress") last_progress_ = event;
  else if (kind == "done") state_ = "done";
  else if (kind == "error") state_ = "failed";
  else if (kind != "started") return;
  auto r = std::make_shared<prometheus::Registry>();
  const prometheus::Labels l = {{"sweep", sweep_}, {"cell", cell_}};
  auto& state = prometheus::BuildGauge().Name("longalign_task_state").Help("1 for the task's cell's state").Register(*r);
  for (const char* s : {"running", "done", "failed"}) {
    prometheus::Labels sl = l;
    sl["state"] = s;
    state.Add(sl).Set(state_ == s ? 1 : 0);
  }
  for (auto [key, name, help] : {std::tuple<const char*, const char*, const char*>{"step", "longalign_cell_step", "Optimizer steps done"},
                                 {"steps", "longalign_cell_steps", "Optimizer steps in all"},
                                 {"loss", "longalign_cell_loss", "The latest step's loss"},
                                 {"tokens_per_s", "longalign_cell_tokens_per_second", "The latest step's real tokens per second"}})
    if (last_progress_.contains(key) && last_progress_[key].is_number())
      prometheus::BuildGauge().Name(name).Help(help).Register(*r).Add(l).Set(last_progress_[key].get<double>());
  std::string err = gateway_->push({{"sweep", sweep_}, {"cell", cell_}}, r);
  if (!err.empty() && !warned_) {
    warned_ = true;
    std::fprintf(stderr, "longalign-cell: warning: %s; the cell goes on (later push failures are not reported)\n", err.c_str());
  }
}

}  // namespace longalign::host
