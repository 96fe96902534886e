#include "batching/plan_check.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace longalign::host {
namespace {

std::string s(uint64_t x) { return std::to_string(x); }

// Ranges [first, first+count) must tile [0, total) in order, none empty.
std::string check_ranges(const std::vector<la_range>& ranges, size_t total, const char* what, const char* whats,
                         const char* of, const char* ofs) {
  uint64_t next = 0;
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].count == 0) return std::string(what) + " " + s(i) + " is empty";
    if (ranges[i].first != next)
      return std::string(what) + " " + s(i) + " starts at " + of + " " + s(ranges[i].first) + ", expected " + s(next);
    next += ranges[i].count;
  }
  if (next != total) return std::string(whats) + " cover " + s(next) + " " + ofs + " of " + s(total);
  return {};
}

}  // namespace

std::string check_plan(const la_batch_input& in, const Plan& plan) {
  const size_t n = in.n_sequences;
  if (plan.layout != LA_LAYOUT_PADDED && plan.layout != LA_LAYOUT_PACKED) return "unknown layout";
  // Rows: their segments, in order, cover the segment array once.
  uint64_t next_segment = 0;
  for (size_t r = 0; r < plan.rows.size(); ++r) {
    const la_row& row = plan.rows[r];
    if (row.n_segments == 0) return "row " + s(r) + " is empty";
    if (row.first_segment != next_segment) return "row " + s(r) + " does not start where row " + s(r - 1) + " ends";
    next_segment += row.n_segments;
    if (next_segment > plan.segments.size()) return "row " + s(r) + " runs past the segment array";
    uint64_t used = 0;
    for (uint32_t k = row.first_segment; k < row.first_segment + row.n_segments; ++k) used += plan.segments[k].length;
    if (used > row.width) return "row " + s(r) + " holds " + s(used) + " tokens in a width of " + s(row.width);
    if (plan.layout == LA_LAYOUT_PACKED && row.width > in.max_tokens)
      return "packed row " + s(r) + " is " + s(row.width) + " wide, over max_tokens " + s(in.max_tokens);
    if (plan.layout == LA_LAYOUT_PADDED && row.n_segments != 1)
      return "padded row " + s(r) + " holds " + s(row.n_segments) + " segments";
  }
  if (next_segment != plan.segments.size()) return "segments outside every row";
  if (auto e = check_ranges(plan.micro_batches, plan.rows.size(), "micro-batch", "micro-batches", "row", "rows"); !e.empty()) return e;
  if (auto e = check_ranges(plan.steps, plan.micro_batches.size(), "step", "steps", "micro-batch", "micro-batches"); !e.empty()) return e;
  for (size_t m = 0; m < plan.micro_batches.size(); ++m) {
    const la_range& mb = plan.micro_batches[m];
    if (mb.count > in.rows_per_micro_batch)
      return "micro-batch " + s(m) + " has " + s(mb.count) + " rows, over rows_per_micro_batch " + s(in.rows_per_micro_batch);
    if (plan.layout == LA_LAYOUT_PADDED)
      for (uint32_t r = mb.first; r < mb.first + mb.count; ++r)
        if (plan.rows[r].width != plan.rows[mb.first].width)
          return "padded micro-batch " + s(m) + " has rows of different widths";
  }
  // Sequences: pieces tile [0, length) exactly once, or the sequence is dropped and not placed.
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> pieces(n);
  for (auto& seg : plan.segments) {
    if (seg.sequence >= n) return "a segment names sequence " + s(seg.sequence) + " of " + s(n);
    if (seg.length == 0) return "sequence " + s(seg.sequence) + " has an empty segment";
    pieces[seg.sequence].emplace_back(seg.offset, seg.length);
  }
  std::vector<char> dropped(n, 0);
  for (auto& [seq, reason] : plan.dropped) {
    if (seq >= n) return "dropped sequence " + s(seq) + " does not exist";
    if (dropped[seq]) return "sequence " + s(seq) + " is dropped twice";
    if (reason.empty()) return "sequence " + s(seq) + " is dropped without a reason";
    dropped[seq] = 1;
  }
  for (size_t i = 0; i < n; ++i) {
    if (dropped[i]) {
      if (!pieces[i].empty()) return "sequence " + s(i) + " is both placed and dropped";
      continue;
    }
    if (pieces[i].empty()) return "sequence " + s(i) + " is neither placed nor dropped";
    std::sort(pieces[i].begin(), pieces[i].end());
    uint64_t at = 0;
    for (auto& [off, len] : pieces[i]) {
      if (off != at) return "sequence " + s(i) + " has " + (off < at ? "overlapping pieces" : "a gap") + " at token " + s(at);
      at += len;
    }
    if (at != in.lengths[i]) return "sequence " + s(i) + " is placed with " + s(at) + " of its " + s(in.lengths[i]) + " tokens";
  }
  return {};
}

bool same_plan(const Plan& a, const Plan& b) {
  auto eq = [](auto& x, auto& y, size_t sz) {
    return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size() * sz) == 0);
  };
  return a.layout == b.layout && eq(a.segments, b.segments, sizeof(la_segment)) && eq(a.rows, b.rows, sizeof(la_row)) &&
         eq(a.micro_batches, b.micro_batches, sizeof(la_range)) && eq(a.steps, b.steps, sizeof(la_range)) &&
         a.dropped == b.dropped;
}

}  // namespace longalign::host
