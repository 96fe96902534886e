#include "batching/plan_stats.h"

#include <cmath>

namespace longalign::host {

PlanStats plan_stats(const std::vector<Plan>& plans, uint32_t max_tokens) {
  PlanStats s;
  double slots = 0, pieces = 0;
  for (const Plan& p : plans) {
    s.steps += static_cast<double>(p.steps.size());
    s.rows += static_cast<double>(p.rows.size());
    s.dropped += static_cast<double>(p.dropped.size());
    for (auto& [sequence, reason] : p.dropped) ++s.drop_reasons[reason];
    pieces += static_cast<double>(p.segments.size());
    for (const la_row& r : p.rows) slots += r.width;
    for (const la_segment& seg : p.segments) s.real_tokens += seg.length;
  }
  s.padded_slots = slots - s.real_tokens;
  s.efficiency = slots > 0 ? s.real_tokens / slots : 0;
  s.sequences_per_row = s.rows > 0 ? pieces / s.rows : 0;
  s.rows_lower_bound = max_tokens ? std::ceil(s.real_tokens / max_tokens) : 0;
  return s;
}

std::vector<std::pair<std::string, double>> PlanStats::named() const {
  std::vector<std::pair<std::string, double>> out = {{"plan.steps", steps},
                                                     {"plan.rows", rows},
                                                     {"plan.real_tokens", real_tokens},
                                                     {"plan.padded_slots", padded_slots},
                                                     {"plan.efficiency", efficiency},
                                                     {"plan.sequences_per_row", sequences_per_row},
                                                     {"plan.dropped", dropped},
                                                     {"plan.rows_lower_bound", rows_lower_bound}};
  for (auto& [reason, n] : drop_reasons) out.push_back({"plan.dropped." + reason, n});
  return out;
}

}  // namespace longalign::host
