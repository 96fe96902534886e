// A model's effective context length as NoLiMa defines it: the longest evaluated length at which
// it keeps most of what it scores at the shortest (RULER's threshold is instead a fixed score,
// Llama-2-7B's at 4K). Lengths are read shortest first and
// the first whose score falls below `share` (85%) of the shortest's ends the run: a curve that
// dips and recovers is effective only up to the dip. A curve that scores 0 at its shortest
// length has nothing to keep, and an empty one nothing to read: both give 0.
#pragma once
#include <map>

namespace longalign::host {

constexpr double kEffectiveShare = 0.85;

// curve: length -> score.
double effective_length(const std::map<double, double>& curve, double share = kEffectiveShare);

}  // namespace longalign::host
