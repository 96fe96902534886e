// countdown: a data source written outside the longalign tree. "Count down from 9 to 5." ->
// "9, 8, 7, 6, 5". Strings cross the C boundary, so a libc++ build proves the ABI is plain C.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <string>

namespace {

class Countdown : public longalign::DataSource {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("countdown", "0.3.0", "Count down between two numbers")
        .param(longalign::Param::integer("count", 50, "Examples in the stream").min(0))
        .param(longalign::Param::integer("max_start", 40, "Largest starting number").range(2, 1000));
  }
  Countdown(const longalign::Params& p, const longalign::Host& host)
      : count_(p.get_int("count")), max_start_(p.get_int("max_start")) {
    host.log(LA_LOG_DEBUG, "countdown ready");
  }
  void open(uint64_t seed) override {
    rng_ = longalign::Rng(seed);
    made_ = 0;
  }
  int64_t count() override { return count_; }
  bool next(longalign::Example& out) override {
    if (made_++ >= count_) return false;
    int64_t start = 2 + static_cast<int64_t>(rng_.below(static_cast<uint64_t>(max_start_ - 1)));
    int64_t stop = static_cast<int64_t>(rng_.below(static_cast<uint64_t>(start)));
    std::string answer;
    for (int64_t n = start; n >= stop; --n) answer += (n == start ? "" : ", ") + std::to_string(n);
    out.messages = {{"user", "Count down from " + std::to_string(start) + " to " + std::to_string(stop) + "."},
                    {"assistant", answer}};
    out.source = "countdown";
    out.task = "counting";
    return true;
  }

 private:
  int64_t count_, max_start_, made_ = 0;
  longalign::Rng rng_{0};
};

}  // namespace

LONGALIGN_PLUGIN(Countdown)
