#include "runner/sweep_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cctype>
#include <fstream>

namespace longalign::host {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

const prometheus::Histogram::BucketBoundaries kStepSecondsBuckets = {0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100};

double rss_bytes(const std::string& statm) {
  std::ifstream in(statm);
  long pages_total = 0, pages_resident = 0;
  if (!(in >> pages_total >> pages_resident)) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

std::string json_value(const nlohmann::json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::string sanitize_label_name(const std::string& key) {
  std::string out;
  for (char c : key) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
  while (out.rfind("__", 0) == 0) out.erase(0, 1);  // names starting "__" are Prometheus' own
  return out;
}

SweepMetrics::SweepMetrics(prometheus::Registry& r, const ResolvedSweep& resolved)
    : sweep_(resolved.sweep.name),
      cells_(BuildGauge().Name("longalign_cells").Help("Cells of the sweep by state").Register(r)),
      info_(BuildGauge().Name("longalign_cell_info").Help("One series per cell with its seed and grid values as labels").Register(r)),
      step_(BuildGauge().Name("longalign_cell_step").Help("Optimizer steps a cell has taken").Register(r)),
      steps_(BuildGauge().Name("longalign_cell_steps").Help("Optimizer steps a cell plans").Register(r)),
      loss_(BuildGauge().Name("longalign_cell_loss").Help("The latest step's loss (sum of w_t * l_t)").Register(r)),
      lr_(BuildGauge().Name("longalign_cell_lr").Help("The latest step's learning rate").Register(r)),
      grad_norm_(BuildGauge().Name("longalign_cell_grad_norm").Help("The latest step's gradient norm, before clipping").Register(r)),
      loss_weight_(BuildGauge()
                       .Name("longalign_cell_loss_weight")
                       .Help("How the latest step's loss weight spreads over its sequences (stat: longest_quarter_share, "
                             "or min, median, max of a sequence's weight over the per-sequence mean's); weighting: the "
                             "cell's, or token_mean for comparison")
                       .Register(r)),
      tokens_per_second_(BuildGauge().Name("longalign_cell_tokens_per_second").Help("Real tokens per second of the latest step").Register(r)),
      efficiency_(BuildGauge().Name("longalign_cell_padding_efficiency").Help("Real tokens over token slots so far").Register(r)),
      real_tokens_(BuildCounter().Name("longalign_cell_real_tokens_total").Help("Real tokens trained on").Register(r)),
      padded_slots_(BuildCounter().Name("longalign_cell_padded_slots_total").Help("Padding slots computed").Register(r)),
      step_seconds_(BuildHistogram().Name("longalign_cell_step_seconds").Help("Optimizer step durations").Register(r)),
      cell_rss_(BuildGauge().Name("longalign_cell_resident_memory_bytes").Help("A running cell's resident memory").Register(r)),
      eval_(BuildGauge().Name("longalign_cell_eval").Help("A headline metric of an evaluation during training, at its latest step").Register(r)),
      eval_step_(BuildGauge().Name("longalign_cell_eval_step").Help("The optimizer step of a cell's latest evaluation during training").Register(r)),
      rss_(BuildGauge().Name("process_resident_memory_bytes").Help("Resident memory of the runner").Register(r)),
      cpu_(BuildCounter().Name("process_cpu_seconds_total").Help("CPU time of the runner, user and system").Register(r)) {
  for (const char* s : {"pending", "running", "done", "failed", "interrupted"}) cells_.Add({{"sweep", sweep_}, {"state", s}});
  for (auto& c : resolved.cells) {
    prometheus::Labels l = cell_labels(c);
    l["seed"] = std::to_string(c.seed);
    for (auto& [key, value] : c.grid.items()) l[sanitize_label_name(key)] = json_value(value);
    info_.Add(l).Set(1);
  }
}

prometheus::Labels SweepMetrics::cell_labels(const Cell& cell) const { return {{"sweep", sweep_}, {"cell", cell.id}}; }

void SweepMetrics::state(const Cell& cell, const std::string& state) {
  auto it = states_.find(cell.id);
  if (it != states_.end()) cells_.Add({{"sweep", sweep_}, {"state", it->second}}).Decrement();
  states_[cell.id] = state;
  cells_.Add({{"sweep", sweep_}, {"state", state}}).Increment();
}

void SweepMetrics::progress(const Cell& cell, const nlohmann::json& e) {
  const prometheus::Labels l = cell_labels(cell);
  auto number = [&](const char* key) { return e.contains(key) && e[key].is_number() ? e[key].get<double>() : 0.0; };
  step_.Add(l).Set(number("step"));
  steps_.Add(l).Set(number("steps"));
  if (e.contains("loss")) loss_.Add(l).Set(number("loss"));
  if (e.contains("lr")) lr_.Add(l).Set(number("lr"));
  if (e.contains("grad_norm")) grad_norm_.Add(l).Set(number("grad_norm"));
  if (e.contains("weights") && e["weights"].is_object())
    for (auto& [weighting, stats] : e["weights"].items())
      for (auto& [stat, value] : stats.items())
        if (value.is_number()) {
          prometheus::Labels wl = l;
          wl["weighting"] = weighting;
          wl["stat"] = stat;
          loss_weight_.Add(wl).Set(value.get<double>());
        }
  if (e.contains("tokens_per_s")) tokens_per_second_.Add(l).Set(number("tokens_per_s"));
  // The event carries running totals: the counters take the difference.
  auto& real = real_tokens_.Add(l);
  auto& padded = padded_slots_.Add(l);
  const double real_total = number("real_tokens"), padded_total = number("padded_slots");
  if (real_total > real.Value()) real.Increment(real_total - real.Value());
  if (padded_total > padded.Value()) padded.Increment(padded_total - padded.Value());
  if (real_total + padded_total > 0) efficiency_.Add(l).Set(real_total / (real_total + padded_total));
  if (e.contains("step_seconds") && e["step_seconds"].is_array())
    for (auto& s : e["step_seconds"])
      if (s.is_number()) step_seconds_.Add(l, kStepSecondsBuckets).Observe(s.get<double>());
}

void SweepMetrics::evaluated_during(const Cell& cell, const nlohmann::json& e) {
  const prometheus::Labels l = cell_labels(cell);
  if (e.contains("step") && e["step"].is_number()) eval_step_.Add(l).Set(e["step"].get<double>());
  if (!e.contains("metrics") || !e["metrics"].is_object()) return;
  for (auto& [evaluation, metrics] : e["metrics"].items()) {
    if (!metrics.is_object()) continue;
    for (auto& [metric, value] : metrics.items()) {
      if (!value.is_number()) continue;
      prometheus::Labels ml = l;
      ml["evaluation"] = evaluation;
      ml["metric"] = metric;
      eval_.Add(ml).Set(value.get<double>());
    }
  }
}

void SweepMetrics::sample_memory(const Cell& cell, pid_t pid) {
  cell_rss_.Add(cell_labels(cell)).Set(rss_bytes("/proc/" + std::to_string(pid) + "/statm"));
}

void SweepMetrics::forget_memory(const Cell& cell) { cell_rss_.Remove(&cell_rss_.Add(cell_labels(cell))); }

void SweepMetrics::sample_process() {
  rss_.Add({}).Set(rss_bytes("/proc/self/statm"));
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const double cpu = static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
                     static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  auto& counter = cpu_.Add({});
  if (cpu > counter.Value()) counter.Increment(cpu - counter.Value());
}

}  // namespace longalign::host
