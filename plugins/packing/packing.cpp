// packing: several sequences per row of at most max_tokens, boundaries kept, so attention stays
// inside each sequence. Algorithms: next-fit over a shuffled order (the paper's code: one open
// row), first-fit-decreasing and best-fit-decreasing; the rows are shuffled afterwards. Sequences
// over max_tokens are skipped (counted as dropped) or split into pieces that share one N_i.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <algorithm>
#include <numeric>
#include <set>

namespace {

struct Item {  // a sequence, or a piece of a split one
  uint32_t sequence, offset, length;
};

// First fit in O(log bins): a max-tree over the bins' free space finds the leftmost that fits.
class FirstFit {
 public:
  explicit FirstFit(size_t max_bins, uint32_t capacity) : cap_(capacity) {
    size_ = 1;
    while (size_ < max_bins) size_ *= 2;
    tree_.assign(2 * size_, 0);
  }
  size_t place(uint32_t len) {
    size_t bin;
    if (tree_[1] >= len) {
      size_t node = 1;
      while (node < size_) node = tree_[2 * node] >= len ? 2 * node : 2 * node + 1;
      bin = node - size_;
    } else {
      bin = used_++;
      set(bin, cap_);
    }
    set(bin, tree_[size_ + bin] - len);
    return bin;
  }
  size_t bins() const { return used_; }

 private:
  void set(size_t bin, uint32_t free) {
    size_t i = size_ + bin;
    tree_[i] = free;
    for (i /= 2; i >= 1; i /= 2) tree_[i] = std::max(tree_[2 * i], tree_[2 * i + 1]);
  }
  uint32_t cap_;
  size_t size_ = 1, used_ = 0;
  std::vector<uint32_t> tree_;
};

class Packing : public longalign::Batching {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("packing", "1.0.0",
                             "Several sequences per row of at most max_tokens, attention kept inside each sequence")
        .param(longalign::Param::string("algorithm", "best-fit-decreasing", "How sequences are put into rows")
                   .choices({"next-fit", "first-fit-decreasing", "best-fit-decreasing"}))
        .param(longalign::Param::string("overlong", "skip", "Sequences over max_tokens: skip them, or split them into pieces")
                   .choices({"skip", "split"}))
        .param(longalign::Param::string("reshuffle", "once", "Build and shuffle the rows once (the paper) or each epoch")
                   .choices({"once", "per-epoch"}));
  }

  Packing(const longalign::Params& p, const longalign::Host&)
      : algorithm_(p.get_string("algorithm")),
        split_(p.get_string("overlong") == "split"),
        per_epoch_(p.get_string("reshuffle") == "per-epoch") {}

  longalign::Plan plan(const la_batch_input& in) override {
    longalign::Plan plan;
    plan.layout = LA_LAYOUT_PACKED;
    const uint32_t cap = in.max_tokens;
    std::vector<Item> items;
    for (uint32_t i = 0; i < in.n_sequences; ++i) {
      uint32_t len = in.lengths[i];
      if (len == 0) {
        plan.dropped.emplace_back(i, "empty");
      } else if (len <= cap) {
        items.push_back({i, 0, len});
      } else if (split_) {
        for (uint32_t off = 0; off < len; off += cap) items.push_back({i, off, std::min(cap, len - off)});
      } else {
        plan.dropped.emplace_back(i, "longer than max_tokens (overlong = skip)");
      }
    }
    auto rng = longalign::Rng::for_epoch(in.seed, per_epoch_ ? in.epoch : 0);
    std::vector<std::vector<Item>> rows;
    if (algorithm_ == "next-fit") {
      longalign::shuffle(items, rng);
      uint32_t used = cap + 1;
      for (const Item& it : items) {
        if (used + it.length > cap) {
          rows.emplace_back();
          used = 0;
        }
        rows.back().push_back(it);
        used += it.length;
      }
    } else {
      std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.length > b.length; });
      if (algorithm_ == "first-fit-decreasing") {
        FirstFit ff(items.size() + 1, cap);
        for (const Item& it : items) {
          size_t bin = ff.place(it.length);
          if (bin == rows.size()) rows.emplace_back();
          rows[bin].push_back(it);
        }
      } else {  // best fit: the row with the least free space that still fits
        std::multiset<std::pair<uint32_t, size_t>> free;  // (free tokens, row)
        for (const Item& it : items) {
          auto at = free.lower_bound({it.length, 0});
          size_t row;
          uint32_t left;
          if (at == free.end()) {
            row = rows.size();
            rows.emplace_back();
            left = cap;
          } else {
            row = at->second;
            left = at->first;
            free.erase(at);
          }
          rows[row].push_back(it);
          if (left - it.length > 0) free.insert({left - it.length, row});
        }
      }
      longalign::shuffle(rows, rng);
    }
    for (size_t r = 0; r < rows.size(); ++r) {
      if (r % in.rows_per_micro_batch == 0)
        plan.micro_batches.push_back({static_cast<uint32_t>(plan.rows.size()), 0});
      uint32_t width = 0;
      for (const Item& it : rows[r]) width += it.length;
      plan.rows.push_back({static_cast<uint32_t>(plan.segments.size()), static_cast<uint32_t>(rows[r].size()), width});
      for (const Item& it : rows[r]) plan.segments.push_back({it.sequence, it.offset, it.length});
      plan.micro_batches.back().count += 1;
    }
    longalign::group_into_steps(in, plan);
    return plan;
  }

 private:
  std::string algorithm_;
  bool split_, per_epoch_;
};

}  // namespace

LONGALIGN_PLUGIN(Packing)
