// The keys of a cell's config, typed, with defaults and docs: what [config], the grid, includes
// and --set may name. Plugin parameters (batching.params, loss.params, data.<name>.params,
// evaluate.<name>.params) are checked against each plugin's own schema instead.
#pragma once
#include <vector>

#include "plugin/descriptor.h"

namespace longalign::host {

// Each entry's name is a dotted config path, e.g. "train.max_tokens".
const std::vector<ParamInfo>& config_schema();

// Keys of one [[data]] entry (source, params, count, ratio) and one [[evaluate]] entry.
const std::vector<ParamInfo>& data_entry_schema();
const std::vector<ParamInfo>& evaluate_entry_schema();

}  // namespace longalign::host
