#include "cell/weight_spread.h"

#include <algorithm>
#include <map>

namespace longalign::host {
namespace {

struct Sequence {
  double length = 0;  // N_i, what "longest" ranks by
  double weight = 0;  // its share of the step's loss weight
};

WeightSpread spread(std::vector<Sequence> seqs) {
  WeightSpread s;
  double total = 0;
  for (auto& q : seqs) total += q.weight;
  if (seqs.empty() || total <= 0) return s;
  const double m = static_cast<double>(seqs.size());
  std::stable_sort(seqs.begin(), seqs.end(), [](const Sequence& a, const Sequence& b) { return a.length > b.length; });
  const size_t quarter = (seqs.size() + 3) / 4;
  for (size_t k = 0; k < quarter; ++k) s.longest_quarter_share += seqs[k].weight / total;
  std::vector<double> relative;
  for (auto& q : seqs) relative.push_back(q.weight * m / total);
  std::sort(relative.begin(), relative.end());
  const size_t n = relative.size();
  s.min = relative.front();
  s.max = relative.back();
  s.median = n % 2 ? relative[n / 2] : (relative[n / 2 - 1] + relative[n / 2]) / 2;
  return s;
}

}  // namespace

StepWeightSpread step_weight_spread(const std::vector<la_step_segment>& segments, const std::vector<double>& weights) {
  std::map<uint32_t, Sequence> weighted, token_mean;  // by sequence: its pieces together
  for (size_t k = 0; k < segments.size(); ++k) {
    const la_step_segment& seg = segments[k];
    if (seg.targets == 0) continue;
    Sequence& w = weighted[seg.sequence];
    Sequence& t = token_mean[seg.sequence];
    w.length = t.length = seg.sequence_targets;
    w.weight += weights[k] * seg.targets;
    t.weight += seg.targets;
  }
  auto values = [](const std::map<uint32_t, Sequence>& m) {
    std::vector<Sequence> v;
    for (auto& [_, q] : m) v.push_back(q);
    return v;
  };
  return {spread(values(weighted)), spread(values(token_mean))};
}

}  // namespace longalign::host
