// Answer-quality metrics on text, as LongBench computes them: answers are normalised (lower
// case, punctuation and the articles a/an/the removed, whitespace collapsed) and split into
// words; token F1 is the F1 of the two bags of words, ROUGE-L the F1 of their longest common
// subsequence. char_match is the graded score of short exact answers.
#pragma once
#include <string>
#include <vector>

namespace longalign::plugins {

std::vector<std::string> normalized_words(const std::string& text);
std::string trimmed(const std::string& s);  // without surrounding whitespace
double token_f1(const std::string& prediction, const std::string& reference);
double rouge_l(const std::string& prediction, const std::string& reference);
// The share of the reference's characters the reply has at the same place (both trimmed of
// surrounding whitespace): a graded score that moves before exact answers do (a pass key with 2
// of 5 digits right: 0.4).
double char_match(const std::string& reply, const std::string& reference);

}  // namespace longalign::plugins
