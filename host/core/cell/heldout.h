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

// Two means of the held-out loss, the two objectives the paper's Eq. 3 contrasts: over all target
// tokens (what a token mean trains for), and over sequences of each one's token mean (the
// paper's L = (1/M) sum_i L_i/N_i, what longalign's weighting restores under packing).
enum class HeldoutMean { kToken, kSequence };

// One sequence per micro-batch, every target weighted so that the trainer's weighted loss over
// them is that mean, in nats: 1 / (all held-out targets), or 1 / (N_i * M).
std::vector<engine::MicroBatch> heldout_micro_batches(const Dataset& heldout, HeldoutMean mean = HeldoutMean::kToken);

// Mean cross-entropy (nats) of heldout's targets under train's target unigram distribution
// (add-one over train's tokenizer's vocabulary).
double unigram_loss(const Dataset& train, const Dataset& heldout);

}  // namespace longalign::host
