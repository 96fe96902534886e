// Held-out evaluation of a cell: examples set aside before batching (a seeded choice), their
// mean target-token loss after training, and the baseline it must beat: the cross-entropy of
// the same targets under the training targets' unigram distribution (add-one smoothed), which
// is what a model that ignores context would reach.
#pragma once
#include <cstdint>
#include <vector>

#include "cell/dataset.h"
#include "engine.h"

namespace longalign::host {

// Moves `n` examples, chosen by `seed`, out of `d` (order kept in both); throws when d has
// fewer than n + 1.
Dataset hold_out(Dataset& d, size_t n, uint64_t seed);

// One sequence per micro-batch, every target weighted 1 / (all held-out targets): the trainer's
// weighted loss over them is the mean target-token loss in nats.
std::vector<engine::MicroBatch> heldout_micro_batches(const Dataset& heldout);

// Mean cross-entropy (nats) of heldout's targets under train's target unigram distribution.
double unigram_loss(const Dataset& train, const Dataset& heldout, uint32_t vocab_size);

}  // namespace longalign::host
