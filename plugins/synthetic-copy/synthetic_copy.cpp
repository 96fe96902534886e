// synthetic-copy: a data source of learnable chat examples made by code. The user gives a
// string of random words and asks for it copied or reversed; the assistant answers exactly.
// Deterministic for a seed; a template for data-source plugins.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <string>

namespace {

using longalign::Example;

class SyntheticCopy : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("synthetic-copy", "1.0.0",
                             "Random-word strings to copy or reverse: short, checkable chat examples made by code")
        .param(longalign::Param::integer("count", 1000, "Examples in the stream").min(0))
        .param(longalign::Param::integer("min_words", 4, "Fewest words in a string").min(1))
        .param(longalign::Param::integer("max_words", 24, "Most words in a string").min(1))
        .param(longalign::Param::string("task", "copy", "What the assistant does with the string")
                   .choices({"copy", "reverse"}));
  }

  SyntheticCopy(const longalign::Params& p, const longalign::Host&)
      : count_(p.get_int("count")),
        min_words_(p.get_int("min_words")),
        max_words_(p.get_int("max_words")),
        task_(p.get_string("task")) {
    if (min_words_ > max_words_)
      throw longalign::Error(LA_ERR_INVALID_ARGUMENT, "min_words (" + std::to_string(min_words_) +
                                                          ") is above max_words (" + std::to_string(max_words_) + ")");
  }

  void open(uint64_t seed) override {
    rng_ = longalign::Rng(seed);
    made_ = 0;
  }

  int64_t count() override { return count_; }

  bool next(Example& out) override {
    if (made_ >= count_) return false;
    ++made_;
    int64_t words = min_words_ + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(max_words_ - min_words_ + 1)));
    std::string text;
    for (int64_t w = 0; w < words; ++w) {
      if (w) text += ' ';
      size_t letters = 2 + rng_.below(7);
      for (size_t i = 0; i < letters; ++i) text += static_cast<char>('a' + rng_.below(26));
    }
    std::string answer = task_ == "copy" ? text : std::string(text.rbegin(), text.rend());
    std::string ask = task_ == "copy" ? "Repeat the following text exactly:\n" : "Write the following text backwards:\n";
    out.messages = {{"user", ask + text}, {"assistant", answer}};
    out.source = "synthetic";
    out.task = task_;
    out.metadata_json = "{\"words\":" + std::to_string(words) + "}";
    return true;
  }

 private:
  int64_t count_, min_words_, max_words_;
  std::string task_;
  longalign::Rng rng_{0};
  int64_t made_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(SyntheticCopy)
