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

// n distinct lower-case words for a word list: the 160 English adjectives and nouns in an order
// drawn from rng, then made-up pronounceable words ("bamoki") in a fixed order, none of them an
// English word of the list or containing one (replies are scored by substring). The first words
// do not depend on n.
std::vector<std::string> list_words(Rng& rng, size_t n);

// n distinct random lower-case strings of `length` letters (fwe's coded words).
std::vector<std::string> coded_words(Rng& rng, size_t n, size_t length);

}  // namespace longalign::plugins
