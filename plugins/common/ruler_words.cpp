#include "ruler_words.h"

#include <algorithm>
#include <array>
#include <set>

namespace longalign::plugins {
namespace {

constexpr std::array<const char*, 80> kAdjectives = {
    "abundant", "agile",    "ancient",  "bitter",   "blazing",  "bold",     "brave",    "brisk",    "calm",     "clever",
    "crimson",  "curious",  "dusty",    "eager",    "early",    "elegant",  "empty",    "fancy",    "fierce",   "fragile",
    "gentle",   "giant",    "glossy",   "golden",   "grumpy",   "hidden",   "hollow",   "humble",   "icy",      "jolly",
    "keen",     "lively",   "lonely",   "loud",     "lucky",    "mellow",   "mighty",   "misty",    "modest",   "narrow",
    "nervous",  "noble",    "odd",      "pale",     "patient",  "plain",    "polite",   "proud",    "quick",    "quiet",
    "rapid",    "rare",     "restless", "rough",    "rustic",   "salty",    "scarlet",  "shallow",  "shiny",    "silent",
    "sleepy",   "slender",  "smooth",   "sober",    "solid",    "spicy",    "steady",   "stormy",   "sturdy",   "sunny",
    "swift",    "tender",   "tidy",     "tiny",     "vast",     "velvet",   "vivid",    "wary",     "wild",     "witty"};

constexpr std::array<const char*, 80> kNouns = {
    "anchor",  "apple",   "arch",    "badger",  "banner",  "barrel",  "beacon",  "bridge",  "canyon",  "castle",
    "cedar",   "chimney", "cliff",   "comet",   "compass", "cottage", "crater",  "dagger",  "desert",  "dolphin",
    "engine",  "falcon",  "feather", "fjord",   "forest",  "fountain","galaxy",  "garden",  "glacier", "harbor",
    "harvest", "helmet",  "island",  "jungle",  "kettle",  "lantern", "lagoon",  "ledger",  "lily",    "marble",
    "meadow",  "mirror",  "monsoon", "orchard", "otter",   "paddle",  "parrot",  "pebble",  "pepper",  "pillar",
    "planet",  "quarry",  "raven",   "reef",    "ribbon",  "river",   "saddle",  "salmon",  "scroll",  "shadow",
    "signal",  "spruce",  "statue",  "summit",  "tablet",  "temple",  "thistle", "thunder", "tower",   "tunnel",
    "valley",  "violin",  "walnut",  "willow",  "window",  "wizard",  "yacht",   "zephyr",  "oasis",   "trumpet"};

constexpr const char* kConsonants = "bdfgklmnprstvz";
constexpr const char* kVowels = "aeiou";

}  // namespace

std::string ruler_key(Rng& rng) {
  return std::string(kAdjectives[rng.below(kAdjectives.size())]) + "-" + kNouns[rng.below(kNouns.size())];
}

std::vector<std::string> list_words(Rng& rng, size_t n) {
  std::vector<std::string> words(kAdjectives.begin(), kAdjectives.end());
  words.insert(words.end(), kNouns.begin(), kNouns.end());
  shuffle(words, rng);
  const std::vector<std::string> english = words;
  if (n <= words.size()) return std::vector<std::string>(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(n));
  // Syllables of consonant + vowel, three to a word (70^3 = 343,000), then four, and so on.
  const size_t syllables = 14 * 5;
  for (size_t i = 0; words.size() < n; ++i) {
    size_t k = i, count = 3, span = syllables * syllables * syllables;
    while (k >= span) k -= span, ++count, span *= syllables;
    std::string w;
    for (size_t s = 0; s < count; ++s, k /= syllables) {
      w += kConsonants[(k % syllables) / 5];
      w += kVowels[(k % syllables) % 5];
    }
    if (std::none_of(english.begin(), english.end(), [&](const std::string& e) { return w.find(e) != std::string::npos; }))
      words.push_back(std::move(w));
  }
  return words;
}

std::vector<std::string> coded_words(Rng& rng, size_t n, size_t length) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  while (out.size() < n) {
    std::string w;
    for (size_t k = 0; k < length; ++k) w += static_cast<char>('a' + rng.below(26));
    if (seen.insert(w).second) out.push_back(w);
  }
  return out;
}

}  // namespace longalign::plugins
