// longalign-model: the engine's command-line front, which `longalign score` and `longalign
// generate` exec (this binary links libtorch; the CLI does not).
//   score --model DIR (--text TEXT | --ids 1,2,3) [--json]: the log-probability of each next
//     token (position t scores token t + 1);
//   generate --model DIR --prompt TEXT [--max-new-tokens N] [--temperature T] [--seed S]
//     [--max-prompt-tokens N] [--no-cache] [--json]: greedy or sampled continuation, with a
//     key/value cache, the prompt cut in the middle to N tokens when asked (as LongBench does).
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

// BOS, then the text's bytes; the model must have the byte tokenizer's ids.
std::vector<int64_t> byte_tokens(const std::string& text, const engine::ModelConfig& c, const char* option) {
  host::ByteTokenizer bytes;
  if (c.vocab_size < bytes.vocab_size())
    throw std::invalid_argument(std::string(option) + " uses the byte tokenizer's " + std::to_string(bytes.vocab_size()) +
                                " ids, and this model's vocabulary has " + std::to_string(c.vocab_size));
  std::vector<uint32_t> t{bytes.bos()};
  bytes.encode(text, t);
  return {t.begin(), t.end()};
}

engine::Model load_model(const std::string& dir) {
  host::HfCheckpoint ck = host::load_hf_checkpoint(dir);
  engine::Model model(ck.config);
  model.load(ck.tensors);
  return model;
}

int score(const std::string& dir, const std::string& text, const std::string& ids_text, bool by_ids, bool json) {
  engine::Model model = load_model(dir);
  std::vector<int64_t> ids = by_ids ? parse_ids(ids_text) : byte_tokens(text, model.config(), "--text");
  if (ids.size() < 2) throw std::invalid_argument("need at least two tokens to score one");
  std::vector<float> logp = model.next_token_logprobs(ids);
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

int generate(const std::string& dir, const std::string& prompt, engine::Model::Sampling sampling, int64_t max_prompt,
             bool json) {
  engine::Model model = load_model(dir);
  std::vector<int64_t> ids = byte_tokens(prompt, model.config(), "--prompt");
  if (max_prompt > 0 && static_cast<int64_t>(ids.size()) > max_prompt) {
    // Keep the beginning and the end, as LongBench-Chat does for prompts over the budget.
    const int64_t head = max_prompt / 2, tail = max_prompt - head;
    std::vector<int64_t> cut(ids.begin(), ids.begin() + head);
    cut.insert(cut.end(), ids.end() - tail, ids.end());
    ids = std::move(cut);
  }
  host::ByteTokenizer bytes;
  sampling.stop_token = bytes.eos();
  std::vector<int64_t> out = model.generate(ids, sampling);
  const std::string text = bytes.decode(std::vector<uint32_t>(out.begin(), out.end()));
  // A model may well emit bytes that are not UTF-8: JSON shows them as U+FFFD, the ids stay exact.
  if (json)
    std::cout << nlohmann::json{{"prompt_tokens", ids.size()}, {"ids", out}, {"text", text}}.dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)
              << "\n";
  else std::cout << text << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longalign-model: score or generate with a Hugging Face Llama checkpoint", "longalign"};
  app.require_subcommand(1);
  std::string model_dir, text, ids_text, prompt;
  bool json = false, no_cache = false;
  engine::Model::Sampling sampling;
  int64_t max_prompt = 0;

  CLI::App* score_cmd = app.add_subcommand("score", "Log-probability of each next token (position t scores token t+1)");
  score_cmd->add_option("--model", model_dir, "A Hugging Face Llama directory or a cell's model/")->required();
  auto* text_opt = score_cmd->add_option("--text", text, "Text, with the byte tokenizer (BOS first)");
  auto* ids_opt = score_cmd->add_option("--ids", ids_text, "Token ids, comma-separated, e.g. 1,2,3");
  text_opt->excludes(ids_opt);
  score_cmd->add_flag("--json", json, "Print a JSON list of log-probabilities");

  CLI::App* gen_cmd = app.add_subcommand("generate", "Continue a prompt (greedy, or sampled with --temperature)");
  gen_cmd->add_option("--model", model_dir, "A Hugging Face Llama directory or a cell's model/")->required();
  gen_cmd->add_option("--prompt", prompt, "The prompt, with the byte tokenizer (BOS first)")->required();
  gen_cmd->add_option("--max-new-tokens", sampling.max_new_tokens, "Tokens to generate at most")->check(CLI::PositiveNumber);
  gen_cmd->add_option("--temperature", sampling.temperature, "0: greedy; above: sample from softmax(logits / T)")
      ->check(CLI::NonNegativeNumber);
  gen_cmd->add_option("--seed", sampling.seed, "Seed for sampling");
  gen_cmd->add_option("--max-prompt-tokens", max_prompt, "Cut a longer prompt in the middle to this many tokens (0: no cut)")
      ->check(CLI::NonNegativeNumber);
  gen_cmd->add_flag("--no-cache", no_cache, "Recompute every position for each token (slow; for checks)");
  gen_cmd->add_flag("--json", json, "Print {prompt_tokens, ids, text} as JSON");
  try {
    app.parse(argc, argv);
    if (score_cmd->parsed() && !*text_opt && !*ids_opt) throw CLI::RequiredError("--text or --ids");
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : kExitBadInput;
  }
  const char* verb = score_cmd->parsed() ? "longalign score" : "longalign generate";
  try {
    if (score_cmd->parsed()) return score(model_dir, text, ids_text, static_cast<bool>(*ids_opt), json);
    sampling.use_cache = !no_cache;
    return generate(model_dir, prompt, sampling, max_prompt, json);
  } catch (const host::CheckpointError& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << verb << ": " << e.what() << "\n";
    return 1;
  }
}
