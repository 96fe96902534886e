// length-mix: learnable chat examples whose lengths follow a LongAlign-like mix, scaled
// down for CPU training. Long examples: log-uniform in 8,192-65,536 tokens; short: log-normal
// with median 600 and sigma 1.0, clipped to 16-4,096; every length divided by `scale`. Each
// example is a document of random words with numbered markers; the user asks for the passage
// after one marker and the assistant quotes it, so the task is learnable (copy from context)
// and the answer's share of the example is a parameter (the paper's long tasks have short
// answers). Deterministic for a seed.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <algorithm>
#include <cmath>
#include <string>

namespace {

class LengthMix : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("length-mix", "1.0.0",
                             "Passage-recall chats with the LongAlign-like length mix, scaled (long and short examples)")
        .param(longalign::Param::string("kind", "mix", "Which examples: the long ones, the short ones, or both interleaved")
                   .choices({"mix", "long", "short"}))
        .param(longalign::Param::integer("long_count", 10000, "Long examples (8k-64k tokens before scaling)").min(0))
        .param(longalign::Param::integer("short_count", 50000, "Short examples (median 600 tokens before scaling)").min(0))
        .param(longalign::Param::integer("scale", 32, "Divide every length by this (16 to 64 keeps the shape on a CPU)").range(1, 1024))
        .param(longalign::Param::number("long_answer_share", 0.02, "Answer length as a share of a long example").range(0.0, 0.9))
        .param(longalign::Param::number("short_answer_share", 0.4, "Answer length as a share of a short example").range(0.0, 0.9));
  }

  LengthMix(const longalign::Params& p, const longalign::Host&)
      : kind_(p.get_string("kind")),
        long_(kind_ == "short" ? 0 : p.get_int("long_count")),
        short_(kind_ == "long" ? 0 : p.get_int("short_count")),
        scale_(static_cast<double>(p.get_int("scale"))),
        long_share_(p.get_float("long_answer_share")),
        short_share_(p.get_float("short_answer_share")) {}

  void open(uint64_t seed) override {
    rng_ = longalign::Rng(seed);
    long_left_ = long_;
    short_left_ = short_;
  }

  int64_t count() override { return long_ + short_; }

  bool next(longalign::Example& out) override {
    if (long_left_ + short_left_ == 0) return false;
    // Interleave in proportion to what is left, so any prefix has the mix's ratio.
    bool is_long = rng_.below(static_cast<uint64_t>(long_left_ + short_left_)) < static_cast<uint64_t>(long_left_);
    (is_long ? long_left_ : short_left_)--;
    double tokens = is_long ? std::exp(std::log(8192.0) + rng_.uniform() * (std::log(65536.0) - std::log(8192.0)))
                            : std::clamp(600.0 * std::exp(rng_.normal()), 16.0, 4096.0);
    const size_t length = static_cast<size_t>(std::max(24.0, tokens / scale_));
    const size_t answer = std::max<size_t>(2, static_cast<size_t>(length * (is_long ? long_share_ : short_share_)));
    const size_t markers = std::max<size_t>(1, length / 200);

    // The document: random words with markers [1]..[markers] spread through it.
    std::string doc;
    std::vector<size_t> at;
    // Room for the question (~50 bytes) and the chat template (~20), so the rendered chat keeps the length.
    const size_t body = length > answer + 80 ? length - answer - 80 : length / 2;
    while (doc.size() < body) {
      if (at.size() < markers && doc.size() >= at.size() * body / markers) {
        doc += "[" + std::to_string(at.size() + 1) + "] ";
        at.push_back(doc.size());
      }
      size_t letters = 2 + rng_.below(7);
      for (size_t i = 0; i < letters; ++i) doc += static_cast<char>('a' + rng_.below(26));
      doc += ' ';
    }
    const size_t k = rng_.below(at.size());
    std::string passage = doc.substr(at[k], std::min(answer, doc.size() - at[k]));
    out.messages = {{"user", doc + "\nQuote the " + std::to_string(passage.size()) + " characters after marker [" +
                                 std::to_string(k + 1) + "]."},
                    {"assistant", passage}};
    out.source = "length-mix";
    out.task = is_long ? "long-recall" : "short-recall";
    out.metadata_json = "{\"long\":" + std::string(is_long ? "true" : "false") + ",\"tokens\":" + std::to_string(length) + "}";
    return true;
  }

 private:
  std::string kind_;
  int64_t long_, short_;
  double scale_, long_share_, short_share_;
  longalign::Rng rng_{0};
  int64_t long_left_ = 0, short_left_ = 0;
};

}  // namespace

LONGALIGN_PLUGIN(LengthMix)
