// Mean, standard deviation and a 95% confidence interval over a group's seeds (Student's t).
#pragma once
#include <cstddef>
#include <vector>

namespace longalign::host {

struct Summary {
  size_t n = 0;
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1); 0 for one value
  double lo = 0, hi = 0;     // the 95% interval of the mean; equal to mean for one value
};

Summary summarize(const std::vector<double>& values);

}  // namespace longalign::host
