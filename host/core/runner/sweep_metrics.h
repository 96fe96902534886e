// The runner's live metrics, fed by its cells' progress events. Series, all labelled by sweep
// (and cell where per cell; cardinality: a few series per cell of the sweep):
//   longalign_cells{sweep,state}                       cells pending, running, done, failed, interrupted
//   longalign_cell_info{sweep,cell,seed,<grid keys>} 1 one per cell, to join on its grid values
//   longalign_cell_step, _steps, _loss, _lr, _grad_norm, _tokens_per_second, _padding_efficiency
//   longalign_cell_real_tokens_total, _padded_slots_total            counters
//   longalign_cell_step_seconds                                    histogram of step times
//   longalign_cell_resident_memory_bytes                           a running cell's RSS
//   longalign_cell_eval{evaluation,metric}   headline metrics of evaluations during training (eval.every_steps)
//   longalign_cell_eval_step                 the optimizer step they were taken at
//   process_resident_memory_bytes, process_cpu_seconds_total       the runner itself
// The registry is prometheus-cpp's; what is ours is which series exist and how events feed them
// (prometheus-cpp collects no process metrics in C++, so the runner samples its own).
#pragma once
#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sweep/resolve.h"

namespace longalign::host {

// "train.rows_per_micro_batch" -> "train_rows_per_micro_batch": a valid label name.
std::string sanitize_label_name(const std::string& key);

class SweepMetrics {
 public:
  SweepMetrics(prometheus::Registry& registry, const ResolvedSweep& resolved);
  void state(const Cell& cell, const std::string& state);  // pending, running, done, failed, interrupted
  void progress(const Cell& cell, const nlohmann::json& event);
  void evaluated_during(const Cell& cell, const nlohmann::json& event);
  void sample_memory(const Cell& cell, pid_t pid);  // a running cell's RSS, from /proc
  void forget_memory(const Cell& cell);
  void sample_process();  // the runner's own RSS and CPU time

 private:
  prometheus::Labels cell_labels(const Cell& cell) const;
  std::string sweep_;
  std::map<std::string, std::string> states_;  // cell id -> state
  prometheus::Family<prometheus::Gauge>& cells_;
  prometheus::Family<prometheus::Gauge>& info_;
  prometheus::Family<prometheus::Gauge>& step_;
  prometheus::Family<prometheus::Gauge>& steps_;
  prometheus::Family<prometheus::Gauge>& loss_;
  prometheus::Family<prometheus::Gauge>& lr_;
  prometheus::Family<prometheus::Gauge>& grad_norm_;
  prometheus::Family<prometheus::Gauge>& loss_weight_;
  prometheus::Family<prometheus::Gauge>& tokens_per_second_;
  prometheus::Family<prometheus::Gauge>& efficiency_;
  prometheus::Family<prometheus::Counter>& real_tokens_;
  prometheus::Family<prometheus::Counter>& padded_slots_;
  prometheus::Family<prometheus::Histogram>& step_seconds_;
  prometheus::Family<prometheus::Gauge>& cell_rss_;
  prometheus::Family<prometheus::Gauge>& eval_;
  prometheus::Family<prometheus::Gauge>& eval_step_;
  prometheus::Family<prometheus::Gauge>& rss_;
  prometheus::Family<prometheus::Counter>& cpu_;
};

}  // namespace longalign::host
