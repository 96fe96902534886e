// "Did you mean ...?" suggestions for misspelt keys and names.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace longalign::host {

size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `word`, if one is close enough to be a plausible typo.
std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates);
// " (did you mean 'x'?)" or "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace longalign::host
