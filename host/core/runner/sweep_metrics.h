// The runner's live metrics, fed by its cells' progress events. Series, all labelled by sweep
// (and cell where per cell; cardinality: a few series per cell of the sweep):
//   longalign_cells{sweep,state}                       cells pending, running, done, failed, interrupted
//   longalign_cell_info{sweep,cell,seed,<grid keys>} 1 one per cell, to join on its grid values
//   longalign_cell_step, _steps, _loss, _lr, _grad_norm, _tokens_per_second, _padding_efficiency
//   longalign_cell_real_tokens_total, _padded_slots_total            counters
//   longalign_cell_step_seconds                                    histogram of step times
//   longalign_cell_resident_memory_bytes                           a running cell's RSS
//   process_resident_memory_bytes, process_cpu_seconds_total       the runner itself
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "metrics/registry.h"
#include "sweep/plan.h"

namespace longalign::host {

class SweepMetrics {
 public:
  SweepMetrics(metrics::Registry& registry, const SweepPlan& plan);
  void state(const Cell& cell, const std::string& state);  // pending, running, done, failed, interrupted
  void progress(const Cell& cell, const nlohmann::json& event);
  void sample_memory(const Cell& cell, pid_t pid);  // a running cell's RSS, from /proc
  void forget_memory(const Cell& cell);
  void sample_process();  // the runner's own RSS and CPU time

 private:
  metrics::Labels cell_labels(const Cell& cell) const;
  std::string sweep_;
  std::map<std::string, std::string> states_;  // cell id -> state
  metrics::Family<metrics::Gauge>& cells_;
  metrics::Family<metrics::Gauge>& info_;
  metrics::Family<metrics::Gauge>& step_;
  metrics::Family<metrics::Gauge>& steps_;
  metrics::Family<metrics::Gauge>& loss_;
  metrics::Family<metrics::Gauge>& lr_;
  metrics::Family<metrics::Gauge>& grad_norm_;
  metrics::Family<metrics::Gauge>& tokens_per_second_;
  metrics::Family<metrics::Gauge>& efficiency_;
  metrics::Family<metrics::Counter>& real_tokens_;
  metrics::Family<metrics::Counter>& padded_slots_;
  metrics::Family<metrics::Histogram>& step_seconds_;
  metrics::Family<metrics::Gauge>& cell_rss_;
  metrics::Family<metrics::Gauge>& rss_;
  metrics::Family<metrics::Counter>& cpu_;
};

}  // namespace longalign::host
