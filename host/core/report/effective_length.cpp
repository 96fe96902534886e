#include "report/effective_length.h"

namespace longalign::host {

double effective_length(const std::map<double, double>& curve, double share) {
  if (curve.empty() || !(curve.begin()->second > 0)) return 0;
  const double threshold = share * curve.begin()->second;
  double effective = 0;
  for (auto& [length, score] : curve) {
    if (!(score >= threshold)) break;
    effective = length;
  }
  return effective;
}

}  // namespace longalign::host
