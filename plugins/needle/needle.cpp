// needle: the paper's needle-in-a-haystack test. For a grid of lengths x depths, a fact (by
// default a random pass key per case, so no model passes by memorising one sentence) is hidden at
// the depth of a haystack cut to the length, the question asked after it, and the model's greedy
// answer checked for the fact's answer. The haystack is text the user names (files, as
// `haystack`), else the evaluation's examples ([[evaluate]] data). `without_needle` asks the
// same questions of haystacks without the fact: a control near zero. Besides accuracy, char_match
// grades each reply (the share of the answer's characters in place), which moves first.
// variant = "nolima" asks as NoLiMa (Modarressi et al., 2025) does: the needle says that a
// character lives next to a landmark, the question asks who has been to the landmark's city, so
// no content word of the question is in the needle and finding it takes the one-hop association
// (stated in needle.csv), not a string match.
#include <longalign/batching.hpp>
#include <longalign/plugin.hpp>

#include <nlohmann/json.hpp>

#include "text_metrics.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using longalign::Error;

// NoLiMa-style associations: a landmark and the city it is in, no word shared between them.
struct Association {
  const char* landmark;
  const char* city;
};
constexpr Association kAssociations[] = {
    {"the Semper Opera House", "Dresden"}, {"the Brandenburg Gate", "Berlin"},   {"the Eiffel Tower", "Paris"},
    {"the Colosseum", "Rome"},             {"the Sagrada Familia", "Barcelona"}, {"the Acropolis", "Athens"},
    {"the Golden Gate Bridge", "San Francisco"}, {"the Space Needle", "Seattle"}, {"the Kremlin", "Moscow"},
    {"the Forbidden City", "Beijing"},     {"the Taj Mahal", "Agra"},            {"Big Ben", "London"},
    {"the Atomium", "Brussels"},           {"the Charles Bridge", "Prague"},     {"the Hofburg", "Vienna"},
    {"the Rijksmuseum", "Amsterdam"},      {"the CN Tower", "Toronto"},          {"the Leaning Tower", "Pisa"},
    {"the Alhambra", "Granada"},           {"Table Mountain", "Cape Town"},      {"the Burj Khalifa", "Dubai"},
    {"the Petronas Towers", "Kuala Lumpur"}, {"Wawel Castle", "Krakow"},         {"the Shwedagon Pagoda", "Yangon"}};
constexpr const char* kCharacters[] = {"Yuki",  "Stuart", "Katie", "Mandla", "Diego", "Priya", "Olga",   "Tomas", "Ingrid", "Kwame",
                                       "Leila", "Mateo",  "Sione", "Hana",   "Farid", "Astrid", "Ravi", "Chiara", "Emeka", "Noor"};

class Needle : public longalign::Evaluator {
 public:
  static longalign::Plugin describe() {
    return longalign::Plugin("needle", "1.0.0", "Needle in a haystack: a fact hidden at each depth of each length, recalled or not")
        .param(longalign::Param::list("lengths", "[]", "Prompt lengths in tokens (empty: 10 up to the model's context)"))
        .param(longalign::Param::list("depths", "[]", "Depths of the needle, 0 (start) to 1 (end) (empty: 10 from 0 to 1)"))
        .param(longalign::Param::list("haystack", "[]", "Text files for the haystack (empty: the evaluation's examples)").path())
        .param(longalign::Param::string("needle", "", "The fact (empty: a random pass key per case)"))
        .param(longalign::Param::string("question", "What is the pass key? Answer with the number only.", "Asked after the haystack"))
        .param(longalign::Param::string("answer", "", "What a right reply contains (with a custom needle)"))
        .param(longalign::Param::integer("max_new_tokens", 16, "Longest answer generated").range(1, 4096))
        .param(longalign::Param::integer("seed", 0, "Picks the pass keys (the characters and landmarks, for nolima)").min(0))
        .param(longalign::Param::string("variant", "literal",
                                        "literal (the question repeats the needle's words) or nolima (it shares none: a one-hop association)")
                   .choices({"literal", "nolima"}))
        .param(longalign::Param::boolean("without_needle", false, "Leave the fact out (a control)"));
  }

  Needle(const longalign::Params& p, const longalign::Host& host)
      : host_(host),
        needle_(p.get_string("needle")),
        question_(p.get_string("question")),
        answer_(p.get_string("answer")),
        max_new_(static_cast<uint32_t>(p.get_int("max_new_tokens"))),
        seed_(static_cast<uint64_t>(p.get_int("seed"))),
        without_(p.get_bool("without_needle")),
        nolima_(p.get_string("variant") == "nolima") {
    if (!needle_.empty() && answer_.empty()) throw Error(LA_ERR_INVALID_ARGUMENT, "answer: a custom needle needs the answer it gives");
    if (!needle_.empty() && nolima_) throw Error(LA_ERR_INVALID_ARGUMENT, "variant: nolima makes its own needles; leave needle empty");
    longalign::Value l = p.at("lengths"), d = p.at("depths"), h = p.at("haystack");
    for (size_t i = 0; i < l.size(); ++i) lengths_.push_back(static_cast<uint32_t>(l[i].as_int()));
    for (size_t i = 0; i < d.size(); ++i) {
      depths_.push_back(d[i].as_float());
      if (depths_.back() < 0 || depths_.back() > 1) throw Error(LA_ERR_INVALID_ARGUMENT, "depths[" + std::to_string(i) + "]: not in [0, 1]");
    }
    for (size_t i = 0; i < h.size(); ++i) {
      std::ifstream in(h[i].as_string(), std::ios::binary);
      if (!in) throw Error(LA_ERR_INVALID_ARGUMENT, "haystack[" + std::to_string(i) + "]: cannot read " + h[i].as_string());
      std::stringstream s;
      s << in.rdbuf();
      haystack_ += s.str() + "\n";
    }
    if (depths_.empty())
      for (int i = 0; i < 10; ++i) depths_.push_back(i / 9.0);
  }

  void evaluate(const longalign::EvalSink& sink) override {
    std::string hay = haystack_;
    if (hay.empty())
      for (auto& e : sink.examples()) {
        for (auto& m : e.messages)
          if (m.role == "user") hay += m.content + "\n";
        if (e.messages.empty()) hay += e.text + "\n";
      }
    if (hay.size() < 64) throw Error(LA_ERR_INVALID_ARGUMENT, "no haystack: name files in haystack, or give the evaluation data");
    const uint32_t context = host_.context_size();
    std::vector<uint32_t> lengths = lengths_;
    if (lengths.empty())
      for (int i = 1; i <= 10; ++i) lengths.push_back(context * i / 10);
    const double bytes_per_token = static_cast<double>(hay.size()) / static_cast<double>(std::max<size_t>(1, host_.tokenize(hay).size()));

    struct Case {
      uint32_t length;
      double depth;
      std::string answer, association;
    };
    std::vector<Case> cases;
    std::vector<std::vector<uint32_t>> prompts;
    longalign::Rng rng(seed_);
    for (uint32_t length : lengths) {
      if (length + max_new_ > context + context / 2)
        throw Error(LA_ERR_INVALID_ARGUMENT, "length " + std::to_string(length) + " is far past the model's context (" + std::to_string(context) + ")");
      for (double depth : depths_) {
        std::string key = std::to_string(10000 + rng.below(90000));
        std::string fact = needle_.empty() ? "The pass key is " + key + ". Remember it. " + key + " is the pass key." : needle_;
        std::string answer = needle_.empty() ? key : answer_, question = question_, association;
        if (nolima_) {
          const Association& a = kAssociations[rng.below(std::size(kAssociations))];
          answer = kCharacters[rng.below(std::size(kCharacters))];
          fact = "Actually, " + answer + " lives next to " + a.landmark + ".";
          question = "Which character has been to " + std::string(a.city) + "? Answer with the name only.";
          association = a.landmark + std::string(" is in ") + a.city;
        }
        // The haystack's share of the prompt, from the text's bytes per token.
        const double overhead = static_cast<double>(host_.chat_prompt({{"user", fact + "\n\n" + question}}).size());
        const size_t chars = static_cast<size_t>(std::max(0.0, (static_cast<double>(length) - overhead) * bytes_per_token));
        std::string text;
        while (text.size() < chars) text += hay.substr(0, chars - text.size());
        while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
        if (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80)) text.pop_back();
        size_t at = static_cast<size_t>(depth * static_cast<double>(text.size()));
        while (at > 0 && at < text.size() && text[at - 1] != '\n' && text[at - 1] != ' ') --at;  // at a word's start
        if (!without_) text.insert(at, (at > 0 && text[at - 1] != '\n' ? "\n" : "") + fact + "\n");
        prompts.push_back(host_.chat_prompt({{"user", text + "\n\n" + question}}));
        cases.push_back({length, depth, answer, association});
      }
    }
    std::vector<la_generate_request> requests;
    for (auto& p : prompts) requests.push_back({sizeof(la_generate_request), p.data(), p.size(), max_new_, 0.0, 0});
    auto replies = host_.generate(requests);

    double right = 0, chars = 0;
    struct Tally {
      double right = 0, chars = 0, n = 0;
    };
    std::map<uint32_t, Tally> by_length;
    std::string csv = "length,depth,prompt_tokens,correct,char_match,reply,association\n";
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const bool ok = replies[i].text.find(c.answer) != std::string::npos;
      const double partial = longalign::plugins::char_match(replies[i].text, c.answer);
      right += ok;
      chars += partial;
      Tally& t = by_length[c.length];
      t.right += ok, t.chars += partial, t.n += 1;
      char depth[16];
      std::snprintf(depth, sizeof depth, "%.3f", c.depth);
      sink.metric("accuracy", ok ? 1.0 : 0.0, {{"length", std::to_string(c.length)}, {"depth", depth}});
      sink.metric("char_match", partial, {{"length", std::to_string(c.length)}, {"depth", depth}});
      std::string reply = nlohmann::json(replies[i].text).dump();
      char partial_text[16];
      std::snprintf(partial_text, sizeof partial_text, "%.3f", partial);
      csv += std::to_string(c.length) + "," + depth + "," + std::to_string(prompts[i].size()) + "," + (ok ? "1" : "0") + "," +
             partial_text + "," + reply + "," + c.association + "\n";
    }
    const double n = static_cast<double>(cases.size());
    sink.metric("accuracy", right / n);
    sink.metric("char_match", chars / n);
    for (auto& [length, t] : by_length) {
      sink.metric("accuracy", t.right / t.n, {{"length", std::to_string(length)}});
      sink.metric("char_match", t.chars / t.n, {{"length", std::to_string(length)}});
    }
    sink.artifact("needle.csv", "text/csv", csv);
  }

 private:
  longalign::Host host_;
  std::string needle_, question_, answer_, haystack_;
  uint32_t max_new_;
  uint64_t seed_;
  bool without_, nolima_;
  std::vector<uint32_t> lengths_;
  std::vector<double> depths_;
};

}  // namespace

LONGALIGN_PLUGIN(Needle)
