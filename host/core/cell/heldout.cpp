#include "cell/heldout.h"

#include <longalign/batching.hpp>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace longalign::host {

Dataset hold_out(Dataset& d, size_t n, uint64_t seed) {
  if (n == 0) return Dataset{{}, {}, {}, d.pad, d.vocab_size};
  if (d.tokens.size() <= n)
    throw std::runtime_error("eval.heldout asks for " + std::to_string(n) + " examples, and the cell's data has " +
                             std::to_string(d.tokens.size()) + ": nothing would be left to train on");
  std::vector<uint32_t> order(d.tokens.size());
  std::iota(order.begin(), order.end(), 0u);
  longalign::Rng rng(seed ^ 0x68656c646f7574ull);  // "heldout": its own stream, apart from batching's
  longalign::shuffle(order, rng);
  std::vector<bool> out(d.tokens.size(), false);
  for (size_t i = 0; i < n; ++i) out[order[i]] = true;
  Dataset kept{{}, {}, {}, d.pad, d.vocab_size}, held{{}, {}, {}, d.pad, d.vocab_size};
  for (size_t i = 0; i < d.tokens.size(); ++i) {
    Dataset& to = out[i] ? held : kept;
    to.lengths.push_back(d.lengths[i]);
    to.targets.push_back(d.targets[i]);
    to.tokens.push_back(std::move(d.tokens[i]));
  }
  d = std::move(kept);
  return held;
}

std::vector<engine::MicroBatch> heldout_micro_batches(const Dataset& heldout, HeldoutMean mean) {
  auto targets_of = [](const Tokenized& t) {
    double n = 0;
    for (size_t k = 1; k < t.ids.size(); ++k) n += t.target[k];
    return n;
  };
  double total = 0, sequences = 0;  // sequences: M, those with targets
  for (auto& t : heldout.tokens) total += targets_of(t), sequences += targets_of(t) > 0;
  std::vector<engine::MicroBatch> mbs;
  for (auto& t : heldout.tokens) {
    if (mean == HeldoutMean::kSequence) total = targets_of(t) * sequences;
    engine::MicroBatch mb;
    mb.rows = 1;
    mb.width = static_cast<int64_t>(t.ids.size());
    for (size_t k = 0; k < t.ids.size(); ++k) {
      mb.ids.push_back(t.ids[k]);
      mb.positions.push_back(static_cast<int64_t>(k));
      mb.weights.push_back(k > 0 && t.target[k] ? static_cast<float>(1.0 / total) : 0.0f);
    }
    mbs.push_back(std::move(mb));
  }
  return mbs;
}

double unigram_loss(const Dataset& train, const Dataset& heldout) {
  const uint32_t vocab_size = train.vocab_size;
  std::vector<double> count(vocab_size, 1.0);  // add-one
  double n = vocab_size;
  for (auto& t : train.tokens)
    for (size_t k = 1; k < t.ids.size(); ++k)
      if (t.target[k]) count[t.ids[k]] += 1, n += 1;
  double loss = 0, targets = 0;
  for (auto& t : heldout.tokens)
    for (size_t k = 1; k < t.ids.size(); ++k)
      if (t.target[k]) loss -= std::log(count[t.ids[k]] / n), targets += 1;
  return targets > 0 ? loss / targets : 0.0;
}

}  // namespace longalign::host
