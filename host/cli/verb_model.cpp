// longalign score | generate | model init: the verbs that need the engine. This torch-free binary reads the
// model directory's config.json and tokenizer (tokenizer.json, else sentencepiece's tokenizer.model, else bytes),
// turns text into token ids and back, and runs longalign-model, the binary beside it that links
// libtorch, on the ids. (Tokenizers stay out of the engine's process: Debian's sentencepiece
// and libtorch cannot share one.)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_config.h"
#include "plugin/registry.h"
#include "text/cell_tokenizer.h"
#include "text/model_tokenizer.h"
#include "util/read_file.h"
#include "util/input_error.h"
#include "util/subprocess.h"
#include "util/build_info.h"
#include "verbs.h"

namespace longalign::cli {
namespace {

std::string model_exe() { return host::sibling_binary("longalign-model").string(); }

// The directory's tokenizer, for its vocabulary.
std::unique_ptr<host::Tokenizer> tokenizer(const std::string& dir) {
  try {
    const std::filesystem::path file = std::filesystem::path(dir) / "config.json";
    engine::ModelConfig c = host::parse_hf_config(host::read_file(file), file.string());
    return host::tokenizer_for_model(dir, c.vocab_size);
  } catch (const host::CheckpointError& e) {
    throw host::InputError({"--model"}, "", e.what());
  } catch (const std::invalid_argument& e) {
    throw host::InputError({"--model"}, "", e.what());
  }
}

std::string join(const std::vector<uint32_t>& ids) {
  std::string s;
  for (uint32_t id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
  return s;
}

struct ScoreOptions {
  std::string model, text, ids;
  bool json = false;
};

struct InitOptions {
  std::string config, tokenizer, out;
  uint64_t seed = 0;
};

struct GenerateOptions {
  std::string model, prompt;
  int64_t max_new_tokens = 64, max_prompt_tokens = 0;
  double temperature = 0;
  uint64_t seed = 0;
  bool no_cache = false, json = false;
};

}  // namespace

Verb add_score_verb(CLI::App& app) {
  auto opt = std::make_shared<ScoreOptions>();
  CLI::App* cmd = app.add_subcommand("score", "Log-probability of each next token under a model (position t scores token t+1)");
  cmd->add_option("--model", opt->model, "A Hugging Face Llama directory or a cell's model/")->required()->check(CLI::ExistingDirectory);
  auto* text = cmd->add_option("--text", opt->text, "Text, with the model's tokenizer (tokenizer.json, else tokenizer.model, else bytes), BOS first");
  auto* ids = cmd->add_option("--ids", opt->ids, "Token ids, comma-separated, e.g. 1,2,3");
  text->excludes(ids);
  cmd->add_flag("--json", opt->json, "Print a JSON list of log-probabilities");
  cmd->callback([text, ids] {
    if (!*text && !*ids) throw CLI::RequiredError("--text or --ids");
  });
  return {cmd, [opt, text] {
            std::string ids = opt->ids;
            if (*text) {
              auto tok = tokenizer(opt->model);
              std::vector<uint32_t> t;
              tok->encode_document(opt->text, t);
              ids = join(t);
            }
            std::vector<std::string> args = {model_exe(), "score", "--model", opt->model, "--ids", ids};
            if (opt->json) args.push_back("--json");
            host::exec_replacing(args);
            std::cerr << "longalign score: cannot execute " << args[0] << ": " << std::strerror(errno) << "\n";
            return kExitFailed;
          }};
}

Verb add_generate_verb(CLI::App& app) {
  auto opt = std::make_shared<GenerateOptions>();
  CLI::App* cmd = app.add_subcommand("generate", "Continue a prompt with a model (greedy or sampled, key/value cache)");
  cmd->add_option("--model", opt->model, "A Hugging Face Llama directory or a cell's model/")->required()->check(CLI::ExistingDirectory);
  cmd->add_option("--prompt", opt->prompt, "The prompt, with the model's tokenizer (tokenizer.json, else tokenizer.model, else bytes), BOS first")->required();
  cmd->add_option("--max-new-tokens", opt->max_new_tokens, "Tokens to generate at most")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--temperature", opt->temperature, "0: greedy; above: sample from softmax(logits / T)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", opt->seed, "Seed for sampling: the same seed, the same text");
  cmd->add_option("--max-prompt-tokens", opt->max_prompt_tokens, "Cut a longer prompt in the middle to this many tokens (0: no cut)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-cache", opt->no_cache, "Recompute every position for each token (slow; for checks)");
  cmd->add_flag("--json", opt->json, "Print {prompt_tokens, ids, text} as JSON");
  return {cmd, [opt] {
            auto tok = tokenizer(opt->model);
            std::vector<uint32_t> ids;
            tok->encode_document(opt->prompt, ids);
            const auto budget = static_cast<size_t>(opt->max_prompt_tokens);
            if (budget > 0 && ids.size() > budget) {
              // Keep the beginning and the end, as LongBench-Chat does for prompts over the budget.
              std::vector<uint32_t> cut(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(budget / 2));
              cut.insert(cut.end(), ids.end() - static_cast<std::ptrdiff_t>(budget - budget / 2), ids.end());
              ids = std::move(cut);
            }
            std::vector<std::string> args = {model_exe(), "generate", "--model", opt->model, "--prompt-ids", join(ids),
                                             "--max-new-tokens", std::to_string(opt->max_new_tokens), "--temperature",
                                             std::to_string(opt->temperature), "--seed", std::to_string(opt->seed),
                                             "--stop-token", std::to_string(tok->eos())};
            if (opt->no_cache) args.push_back("--no-cache");
            host::ProcessResult r = host::run_process(args, std::chrono::hours(24 * 365));
            if (!r.ok()) {
              std::cerr << r.err;
              return r.exit_code == kExitBadInput ? kExitBadInput : kExitFailed;
            }
            const std::vector<uint32_t> out = nlohmann::json::parse(r.out).get<std::vector<uint32_t>>();
            const std::string text = tok->decode(out);
            // A model may well emit bytes that are not UTF-8: JSON shows them as U+FFFD, the ids stay exact.
            if (opt->json)
              std::cout << nlohmann::json{{"prompt_tokens", ids.size()}, {"ids", out}, {"text", text}}.dump(
                               -1, ' ', false, nlohmann::json::error_handler_t::replace)
                        << "\n";
            else
              std::cout << text << "\n";
            return kExitOk;
          }};
}

Verb add_model_init_verb(CLI::App& model) {
  auto opt = std::make_shared<InitOptions>();
  CLI::App* cmd = model.add_subcommand(
      "init", "A new model of a Hugging Face config.json's family and shape, initialised as training from scratch does, "
              "with a tokenizer's files beside it: a starting point for model.init_from");
  cmd->add_option("--config", opt->config, "A config.json (llama, mistral, qwen2 or qwen3)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--tokenizer", opt->tokenizer, "A directory holding a tokenizer.json (and its chat template), copied in");
  cmd->add_option("--out", opt->out, "The model directory to write (a new one)")->required();
  cmd->add_option("--seed", opt->seed, "Seed of the initial weights")->capture_default_str();
  return {cmd, [opt] {
            engine::ModelConfig config;
            try {
              config = host::parse_hf_config(host::read_file(opt->config), opt->config);
            } catch (const host::CheckpointError& e) {
              throw host::InputError({"--config"}, "", e.what());
            }
            if (std::filesystem::exists(opt->out) && !std::filesystem::is_empty(opt->out))
              throw host::InputError({"--out"}, "", opt->out + " exists and is not empty: give a new directory");
            std::string tokenizer_dir;
            if (!opt->tokenizer.empty()) {
              tokenizer_dir = std::filesystem::weakly_canonical(opt->tokenizer).string();
              std::shared_ptr<const host::Tokenizer> tok;
              try {
                tok = host::cell_tokenizer(tokenizer_dir);
              } catch (const std::invalid_argument& e) {
                throw host::InputError({"--tokenizer"}, "", e.what());
              }
              if (tok->vocab_size() > config.vocab_size)
                throw host::InputError({"--tokenizer"}, "", tokenizer_dir + " has " + std::to_string(tok->vocab_size()) +
                                                                " tokens, more than the config's vocab_size of " + std::to_string(config.vocab_size));
            }
            host::ProcessResult r = host::run_process({model_exe(), "init", "--config", opt->config, "--out", opt->out, "--seed",
                                                       std::to_string(opt->seed)},
                                                      std::chrono::hours(24));
            if (!r.ok()) {
              std::cerr << r.err;
              return r.exit_code == kExitBadInput ? kExitBadInput : kExitFailed;
            }
            if (!tokenizer_dir.empty()) host::save_tokenizer_files(tokenizer_dir, opt->out);
            std::cout << opt->out << ": a " << config.family << " model of " << engine::param_count(config) << " parameters ("
                      << config.n_layers << " layers of width " << config.d_model << ")"
                      << (tokenizer_dir.empty() ? "" : ", with the tokenizer of " + tokenizer_dir)
                      << "; start a sweep from it with model.init_from = \"" << opt->out << "\"\n";
            return kExitOk;
          }};
}

}  // namespace longalign::cli
