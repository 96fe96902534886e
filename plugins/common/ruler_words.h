// The words RULER's task families are made of: needle keys ("adjective-noun", as RULER draws
// them with wonderwords), the words of the common-words list and fwe's coded words. Built in, so
// a task needs no download and is the same on every machine.
#pragma once
#include <longalign/batching.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace longalign::plugins {

// An "adjective-noun" key, e.g. "quiet-harbor" (6,400 of them).
std::string ruler_key(Rng& rng);

// Word `i` of an unbounded vocabulary of distinct lower-case words: English adjectives and nouns
// first, then pronounceable made-up words ("bamoki"), so a list can be as long as a length asks.
std::string vocabulary_word(size_t i);

// n distinct vocabulary words, drawn from the first `pool` (>= n) without replacement.
std::vector<std::string> distinct_words(Rng& rng, size_t n, size_t pool);

// n distinct random lower-case strings of `length` letters (fwe's coded words).
std::vector<std::string> coded_words(Rng& rng, size_t n, size_t length);

}  // namespace longalign::plugins
