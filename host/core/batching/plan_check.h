// What every batch plan must satisfy, whoever made it: the host checks each plan a batching
// plugin returns before it trains on it, and `plugin check` runs the same code.
#pragma once
#include <longalign/plugin.hpp>

#include <string>

namespace longalign::host {

// Empty when `plan` is valid for `input`, else the first problem found:
// every sequence is placed exactly once (its pieces tile [0, length)) or listed as dropped;
// rows, micro-batches and steps are contiguous, non-empty ranges that cover everything once;
// a micro-batch has at most rows_per_micro_batch rows; a row fits its segments; packed rows
// fit max_tokens; padded rows hold one segment and share their micro-batch's width.
std::string check_plan(const la_batch_input& input, const Plan& plan);

// Field for field: the same layout, segments, rows, micro-batches, steps and dropped list.
bool same_plan(const Plan& a, const Plan& b);

}  // namespace longalign::host
