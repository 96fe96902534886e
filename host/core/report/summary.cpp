#include "report/summary.h"

#include <cmath>

namespace longalign::host {
namespace {

// The two-sided 95% quantile of Student's t with df degrees of freedom.
double t95(size_t df) {
  static const double table[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                 2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                 2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  return df >= 1 && df <= 30 ? table[df - 1] : 1.96;
}

}  // namespace

Summary summarize(const std::vector<double>& v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(s.n);
  if (s.n > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / static_cast<double>(s.n - 1));
  }
  const double half = s.n > 1 ? t95(s.n - 1) * s.std / std::sqrt(static_cast<double>(s.n)) : 0;
  s.lo = s.mean - half;
  s.hi = s.mean + half;
  return s;
}

}  // namespace longalign::host
