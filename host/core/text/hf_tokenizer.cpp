#include "text/hf_tokenizer.h"

#include <longalign/utf8.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

#include "text/hf/added_tokens.h"
#include "text/hf/bpe.h"
#include "text/hf/components.h"
#include "util/sha256.h"

namespace longalign::host {

using hf::JsonAt;

namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw hf::TokenizerFileError(file.string() + ": cannot be read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw hf::TokenizerFileError(file.string() + ": not JSON: " + e.what());
  }
}

// transformers' clean_up_tokenization: the spaces an English word-level detokenizer leaves out.
std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {{" .", "."},    {" ?", "?"},     {" !", "!"},    {" ,", ","},
                                                              {" ' ", "'"},   {" n't", "n't"}, {" 'm", "'m"},  {" 's", "'s"},
                                                              {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules) text = hf::replace_all(text, from, to);
  return text;
}

}  // namespace

struct HfTokenizer::Impl {
  std::unique_ptr<hf::Bpe> model;
  std::unique_ptr<hf::AddedTokens> added;
  std::unique_ptr<hf::Normalizer> normalizer;
  std::unique_ptr<hf::PreTokenizer> pre_tokenizer;
  std::unique_ptr<hf::Decoder> decoder;
  hf::SpecialTokensAround around;
  std::vector<const std::string*> token_of;  // id -> its string, added tokens included
  std::vector<bool> special;                 // id -> skipped by decode(skip_special_tokens)
  std::optional<uint32_t> bos, eos, pad;
  bool clean_up = true;
  std::string id;

  std::optional<uint32_t> lookup(std::string_view token) const {
    if (const hf::AddedToken* a = added->find(token)) return a->id;
    return model->id(token);
  }

  // tokenizer_config.json names its special tokens as strings or as {"content": ...}.
  std::optional<uint32_t> config_token(const JsonAt& config, const std::string& key) const {
    if (!config.has(key)) return std::nullopt;
    const JsonAt v = config.at(key);
    const std::string name = v.value.is_string() ? v.value.get<std::string>() : v.string("content");
    auto id = lookup(name);
    if (!id) v.fail("'" + name + "' is not a token of tokenizer.json");
    return id;
  }

  void check_id(uint32_t id, const JsonAt& root) const {
    if (id >= token_of.size() || !token_of[id]) root.at("post_processor").fail("names token id " + std::to_string(id) + ", which no token has");
  }

  void index_tokens() {
    token_of.assign(model->size(), nullptr);
    for (uint32_t i = 0; i < model->size(); ++i) token_of[i] = model->token(i);
    for (const hf::AddedToken& a : added->all()) {
      if (a.id >= token_of.size()) token_of.resize(a.id + 1, nullptr);
      token_of[a.id] = &a.content;
    }
    special.assign(token_of.size(), false);
    for (const hf::AddedToken& a : added->all()) special[a.id] = a.special;
  }
};

HfTokenizer::HfTokenizer(const std::filesystem::path& dir) : impl_(std::make_unique<Impl>()) {
  const std::filesystem::path file = dir / "tokenizer.json";
  try {
    load(dir, file);
  } catch (const nlohmann::json::exception& e) {  // a value of the wrong type where no check names it
    throw hf::TokenizerFileError(file.string() + ": " + e.what());
  }
}

void HfTokenizer::load(const std::filesystem::path& dir, const std::filesystem::path& file) {
  const nlohmann::json file_json = read_json(file);  // let go of once the stages are built
  const JsonAt root{file_json, file, ""};
  impl_->model = std::make_unique<hf::Bpe>(root.at("model"));
  impl_->added = std::make_unique<hf::AddedTokens>(root.has("added_tokens") ? root.at("added_tokens") : JsonAt{nlohmann::json::array(), file, "/added_tokens"});
  impl_->normalizer = hf::load_normalizer(root.has("normalizer") ? root.at("normalizer") : JsonAt{nullptr, file, "/normalizer"});
  impl_->pre_tokenizer = hf::load_pre_tokenizer(root.has("pre_tokenizer") ? root.at("pre_tokenizer") : JsonAt{nullptr, file, "/pre_tokenizer"});
  std::vector<std::string> added_contents;
  for (auto& a : impl_->added->all()) added_contents.push_back(a.content);
  impl_->decoder = hf::load_decoder(root.has("decoder") ? root.at("decoder") : JsonAt{nullptr, file, "/decoder"}, added_contents);
  impl_->around = hf::load_post_processor(root.has("post_processor") ? root.at("post_processor") : JsonAt{nullptr, file, "/post_processor"});
  impl_->index_tokens();
  for (uint32_t id : impl_->around.before) impl_->check_id(id, root);
  for (uint32_t id : impl_->around.after) impl_->check_id(id, root);
  // An added token matched in normalized text would need tokenizers' second pass over it; the
  // families here mark theirs normalized only where there is no normalizer (DeepSeek).
  if (impl_->normalizer)
    for (size_t i = 0; i < impl_->added->all().size(); ++i)
      if (impl_->added->all()[i].normalized)
        root.at("added_tokens").at(i).at("normalized").fail("an added token matched after normalization is not implemented");

  std::string identity = sha256_file(file);
  const std::filesystem::path config_file = dir / "tokenizer_config.json";
  if (std::filesystem::exists(config_file)) {
    const nlohmann::json config_json = read_json(config_file);
    const JsonAt config{config_json, config_file, ""};
    impl_->bos = impl_->config_token(config, "bos_token");
    impl_->eos = impl_->config_token(config, "eos_token");
    impl_->pad = impl_->config_token(config, "pad_token");
    impl_->clean_up = config.flag("clean_up_tokenization_spaces", true);
    identity += sha256_file(config_file);
  }
  if (std::filesystem::exists(dir / "chat_template.jinja")) identity += sha256_file(dir / "chat_template.jinja");
  impl_->id = "tokenizer.json:" + sha256_hex(identity);
}

HfTokenizer::~HfTokenizer() = default;

void HfTokenizer::encode(std::string_view text, std::vector<uint32_t>& out) const {
  const std::string valid = repaired_utf8(text);
  for (const auto& section : impl_->added->split(valid)) {
    if (section.token) {
      out.push_back(section.token->id);
      continue;
    }
    std::string s(section.text);
    if (impl_->normalizer) s = impl_->normalizer->normalize(std::move(s));
    if (s.empty()) continue;
    std::vector<std::string> pieces{std::move(s)};
    if (impl_->pre_tokenizer) impl_->pre_tokenizer->split(pieces);
    for (const std::string& p : pieces)
      if (!p.empty()) impl_->model->encode(p, out);
  }
}

void HfTokenizer::encode_with_special_tokens(std::string_view text, std::vector<uint32_t>& out) const {
  out.insert(out.end(), impl_->around.before.begin(), impl_->around.before.end());
  encode(text, out);
  out.insert(out.end(), impl_->around.after.begin(), impl_->around.after.end());
}

std::string HfTokenizer::decode(const std::vector<uint32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (uint32_t id : ids) {
    if (id >= impl_->token_of.size() || !impl_->token_of[id]) continue;  // a padded vocabulary's row: no text (as tokenizers)
    if (skip_special_tokens && impl_->special[id]) continue;
    tokens.push_back(*impl_->token_of[id]);
  }
  std::string text;
  if (impl_->decoder) {
    impl_->decoder->decode(tokens);
    for (auto& t : tokens) text += t;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  return impl_->clean_up ? clean_up_tokenization(std::move(text)) : text;
}

uint32_t HfTokenizer::vocab_size() const { return static_cast<uint32_t>(impl_->token_of.size()); }

uint32_t HfTokenizer::bos() const {
  if (!impl_->bos) throw std::logic_error("this tokenizer has no BOS token (tokenizer_config.json names no bos_token)");
  return *impl_->bos;
}

uint32_t HfTokenizer::eos() const {
  if (!impl_->eos) throw std::logic_error("this tokenizer has no EOS token (tokenizer_config.json names no eos_token)");
  return *impl_->eos;
}

uint32_t HfTokenizer::pad() const { return impl_->pad ? *impl_->pad : eos(); }

std::optional<uint32_t> HfTokenizer::bos_token() const { return impl_->bos; }

std::optional<uint32_t> HfTokenizer::token_id(std::string_view token) const { return impl_->lookup(token); }

std::vector<std::string> HfTokenizer::special_tokens() const {
  std::vector<std::string> out;
  for (auto& a : impl_->added->all())
    if (a.special) out.push_back(a.content);
  return out;
}

std::string HfTokenizer::id() const { return impl_->id; }

}  // namespace longalign::host
