// longalign-model: the engine's command-line back end, on token ids (the torch-free CLI
// tokenizes: `longalign score` and `longalign generate` run this binary, which links libtorch).
//   score --model DIR --ids 1,2,3 [--json]: the log-probability of each next token (position t
//     scores token t + 1);
//   generate --model DIR --prompt-ids 1,2,3 [--max-new-tokens N] [--temperature T] [--seed S]
//     [--stop-token ID] [--no-cache]: the new token ids as a JSON list, with a key/value cache;
//   init --config FILE --out DIR [--seed S]: a model of that config.json's shape and family,
//     initialised as a cell trained from scratch is, saved as a Hugging Face directory.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "engine.h"
#include "util/read_file.h"

namespace {

using namespace longalign;

constexpr int kExitBadInput = 2;

std::vector<int64_t> parse_ids(const std::string& text, const char* option) {
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
    if (used != item.size() || v < 0) throw std::invalid_argument(std::string(option) + ": '" + item + "' is not a token id");
    ids.push_back(v);
  }
  return ids;
}

engine::Model load_model(const std::string& dir) {
  host::HfCheckpoint ck = host::load_hf_checkpoint(dir);
  engine::Model model(ck.config);
  model.load(ck.tensors);
  return model;
}

int score(const std::string& dir, const std::vector<int64_t>& ids, bool json) {
  if (ids.size() < 2) throw std::invalid_argument("need at least two tokens to score one");
  std::vector<float> logp = load_model(dir).next_token_logprobs(ids);
  if (json) {
    std::cout << nlohmann::json(logp).dump() << "\n";
    return 0;
  }
  double total = 0;
  std::printf("%-6s %-8s %s\n", "POS", "NEXT", "LOGPROB");
  for (size_t t = 0; t < logp.size(); ++t) {
    std::printf("%-6zu %-8lld %.6f\n", t, static_cast<long long>(ids[t + 1]), logp[t]);
    total += logp[t];
  }
  std::printf("total %.6f over %zu tokens (mean %.6f)\n", total, logp.size(), total / static_cast<double>(logp.size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longalign-model: score or generate with a Hugging Face Llama checkpoint, on token ids", "longalign-model"};
  app.require_subcommand(1);
  std::string model_dir, ids_text;
  bool json = false, no_cache = false;
  engine::Model::Sampling sampling;

  CLI::App* score_cmd = app.add_subcommand("score", "Log-probability of each next token (position t scores token t+1)");
  score_cmd->add_option("--model", model_dir, "A Hugging Face Llama directory or a cell's model/")->required();
  score_cmd->add_option("--ids", ids_text, "Token ids, comma-separated")->required();
  score_cmd->add_flag("--json", json, "Print a JSON list of log-probabilities");

  std::string config_file, out_dir;
  uint64_t seed = 0;
  CLI::App* init_cmd = app.add_subcommand("init", "A freshly initialised model of a config.json's shape, saved as a Hugging Face directory");
  init_cmd->add_option("--config", config_file, "A Hugging Face config.json")->required();
  init_cmd->add_option("--out", out_dir, "The directory to write (a new one)")->required();
  init_cmd->add_option("--seed", seed, "Seed of the initial weights");

  CLI::App* gen_cmd = app.add_subcommand("generate", "The tokens that follow a prompt, as a JSON list");
  gen_cmd->add_option("--model", model_dir, "A Hugging Face Llama directory or a cell's model/")->required();
  gen_cmd->add_option("--prompt-ids", ids_text, "The prompt's token ids, comma-separated")->required();
  gen_cmd->add_option("--max-new-tokens", sampling.max_new_tokens, "Tokens to generate at most")->check(CLI::PositiveNumber);
  gen_cmd->add_option("--temperature", sampling.temperature, "0: greedy; above: sample from softmax(logits / T)")
      ->check(CLI::NonNegativeNumber);
  gen_cmd->add_option("--seed", sampling.seed, "Seed for sampling");
  gen_cmd->add_option("--stop-token", sampling.stop_token, "End after this token (EOS)");
  gen_cmd->add_flag("--no-cache", no_cache, "Recompute every position for each token (slow; for checks)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitBadInput;
  }
  const char* verb = score_cmd->parsed() ? "longalign score" : init_cmd->parsed() ? "longalign model init" : "longalign generate";
  try {
    if (score_cmd->parsed()) return score(model_dir, parse_ids(ids_text, "--ids"), json);
    if (init_cmd->parsed()) {
      const engine::ModelConfig config = host::parse_hf_config(host::read_file(config_file), config_file);
      host::save_hf_checkpoint(out_dir, config, engine::Model(config, seed).tensors(engine::DType::F32));
      return 0;
    }
    sampling.use_cache = !no_cache;
    std::cout << nlohmann::json(load_model(model_dir).generate(parse_ids(ids_text, "--prompt-ids"), sampling)).dump() << "\n";
    return 0;
  } catch (const host::CheckpointError& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::runtime_error& e) {  // a file that cannot be read or written
    std::cerr << verb << ": " << e.what() << "\n";
    return init_cmd->parsed() ? kExitBadInput : 1;
  } catch (const std::exception& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return 1;
  }
}
