// Answer-quality metrics on text, as LongBench computes them: answers are normalised (lower
// case, punctuation and the articles a/an/the removed, whitespace collapsed) and split into
// words; token F1 is the F1 of the two bags of words, ROUGE-L the F1 of their longest common
// subsequence.
#pragma once
#include <string>
#include <vector>

namespace longalign::plugins {

std::vector<std::string> normalized_words(const std::string& text);
double token_f1(const std::string& prediction, const std::string& reference);
double rouge_l(const std::string& prediction, const std::string& reference);

}  // namespace longalign::plugins
