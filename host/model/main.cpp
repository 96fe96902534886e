// longalign-model score --model DIR (--text TEXT | --ids 1,2,3) [--json]: the log-probability
// of each next token under a Hugging Face Llama checkpoint (position t scores token t + 1).
// `longalign score` execs this binary, the one that links libtorch.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_checkpoint.h"
#include "engine.h"
#include "text/tokenizer.h"

namespace {

using namespace longalign;

constexpr int kExitBadInput = 2;

std::vector<int64_t> parse_ids(const std::string& text) {
  std::vector<int64_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
    }
    if (used != item.size() || v < 0) throw std::invalid_argument("--ids: '" + item + "' is not a token id");
    ids.push_back(v);
  }
  return ids;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longalign-model: score text with a Hugging Face Llama checkpoint"};
  app.require_subcommand(1);
  std::string model_dir, text, ids_text;
  bool json = false;
  CLI::App* score = app.add_subcommand("score", "Log-probability of each next token (position t scores token t+1)");
  score->add_option("--model", model_dir, "A Hugging Face Llama directory (config.json + safetensors) or a cell's model/")
      ->required();
  auto* text_opt = score->add_option("--text", text, "Text, with the byte tokenizer (BOS first)");
  auto* ids_opt = score->add_option("--ids", ids_text, "Token ids, comma-separated, e.g. 1,2,3");
  text_opt->excludes(ids_opt);
  score->add_flag("--json", json, "Print a JSON list of log-probabilities");
  try {
    app.parse(argc, argv);
    if (!*text_opt && !*ids_opt) throw CLI::RequiredError("--text or --ids");
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitBadInput;
  }

  std::vector<int64_t> ids;
  try {
    host::HfCheckpoint ck = host::load_hf_checkpoint(model_dir);
    if (*ids_opt) {
      ids = parse_ids(ids_text);
    } else {
      host::ByteTokenizer bytes;
      if (ck.config.vocab_size < bytes.vocab_size())
        throw std::invalid_argument("--text uses the byte tokenizer's " + std::to_string(bytes.vocab_size()) +
                                    " ids, and this model's vocabulary has " + std::to_string(ck.config.vocab_size) +
                                    ": give --ids");
      std::vector<uint32_t> t{bytes.bos()};
      bytes.encode(text, t);
      ids.assign(t.begin(), t.end());
    }
    if (ids.size() < 2) throw std::invalid_argument("need at least two tokens to score one");
    engine::Model model(ck.config);
    model.load(ck.tensors);
    std::vector<float> logp = model.next_token_logprobs(ids);
    if (json) {
      std::cout << nlohmann::json(logp).dump() << "\n";
    } else {
      double total = 0;
      std::printf("%-6s %-8s %s\n", "POS", "NEXT", "LOGPROB");
      for (size_t t = 0; t < logp.size(); ++t) {
        std::printf("%-6zu %-8lld %.6f\n", t, static_cast<long long>(ids[t + 1]), logp[t]);
        total += logp[t];
      }
      std::printf("total %.6f over %zu tokens (mean %.6f)\n", total, logp.size(), total / static_cast<double>(logp.size()));
    }
    return 0;
  } catch (const host::CheckpointError& e) {
    std::cerr << "longalign score: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << "longalign score: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "longalign score: " << e.what() << "\n";
    return 1;
  }
}
