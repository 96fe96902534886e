// The statistics of batch plans that sweeps compare: rows, real tokens, padded slots, padding
// efficiency, sequences per row, dropped sequences, and the packing lower bound.
#pragma once
#include <longalign/plugin.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace longalign::host {

struct PlanStats {
  double steps = 0, rows = 0, real_tokens = 0, padded_slots = 0, efficiency = 0, sequences_per_row = 0, dropped = 0;
  double rows_lower_bound = 0;  // ceil(real tokens / max_tokens): no packing needs fewer rows
  std::map<std::string, double> drop_reasons;  // the batching plugin's reason -> sequences dropped for it

  // ("plan.rows", value), ... in a fixed order, as the results store names them; then
  // ("plan.dropped.REASON", sequences) for each reason a sequence was dropped.
  std::vector<std::pair<std::string, double>> named() const;
};

// Over every epoch's plan; a split sequence counts once per row it appears in for
// sequences_per_row, once for the rest.
PlanStats plan_stats(const std::vector<Plan>& plans, uint32_t max_tokens);

}  // namespace longalign::host
