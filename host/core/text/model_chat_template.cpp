#include "text/model_chat_template.h"

#include <longalign/utf8.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "text/cell_tokenizer.h"
#include "text/hf_tokenizer.h"
#include "util/read_file.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;

constexpr const char* kJinjaFile = "chat_template.jinja";
constexpr const char* kConfigFile = "tokenizer_config.json";
constexpr const char* kMark = "\xee\x80\x80";  // U+E000, a private-use character no text of ours holds

nlohmann::json read_config(const fs::path& dir) {
  const fs::path file = dir / kConfigFile;
  if (!fs::exists(file)) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(file.string() + ": not JSON: " + e.what());
  }
}

// The template's source from tokenizer_config.json: a string, or the "default" of a list of
// {name, template}. Empty when it has none.
std::string config_template(const nlohmann::json& config, const fs::path& file) {
  const nlohmann::json t = config.value("chat_template", nlohmann::json());
  if (t.is_string()) return t.get<std::string>();
  if (t.is_array()) {
    std::string names;
    for (auto& entry : t) {
      if (entry.value("name", "") == "default" && entry.contains("template") && entry["template"].is_string()) return entry["template"];
      names += (names.empty() ? "" : ", ") + entry.value("name", std::string("?"));
    }
    throw std::invalid_argument(file.string() + " at /chat_template: a list of templates with none named 'default' (there are: " + names + ")");
  }
  if (!t.is_null()) throw std::invalid_argument(file.string() + " at /chat_template: expected a string or a list of {name, template}");
  return "";
}

size_t common_prefix(const std::string& a, const std::string& b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(std::min(a.size(), b.size())), b.begin()).first - a.begin());
}

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string quoted_start(const std::string& s, size_t at) {
  std::string shown = s.substr(at, 40);
  for (auto& c : shown)
    if (c == '\n') c = ' ';
  return "'" + shown + (s.size() > at + 40 ? "...'" : "'");
}

}  // namespace

std::optional<fs::path> model_chat_template_file(const fs::path& tokenizer_dir) {
  if (fs::exists(tokenizer_dir / kJinjaFile)) return tokenizer_dir / kJinjaFile;
  const nlohmann::json config = read_config(tokenizer_dir);
  if (!config_template(config, tokenizer_dir / kConfigFile).empty()) return tokenizer_dir / kConfigFile;
  return std::nullopt;
}

ModelChatTemplate::ModelChatTemplate(const fs::path& dir) {
  const nlohmann::json config = read_config(dir);  // the special tokens' text, and maybe the template
  const bool jinja_file = fs::exists(dir / kJinjaFile);
  file_ = (dir / (jinja_file ? kJinjaFile : kConfigFile)).string();
  const std::string source = jinja_file ? read_file(file_) : config_template(config, file_);
  if (source.empty())
    throw std::invalid_argument(dir.string() + ": no chat template (neither " + kJinjaFile + " nor a chat_template in " + kConfigFile + ")");
  try {
    template_.emplace(source);
  } catch (const jinja::Error& e) {
    refuse("line " + std::to_string(e.line) + " of the template: " + e.what());
  }
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    const nlohmann::json v = config.value(key, nlohmann::json());
    const nlohmann::json text = v.is_object() ? v.value("content", nlohmann::json()) : v;
    if (text.is_string()) special_token_variables_.set(key, jinja::Value(text.get<std::string>()));
  }
  const auto tok = std::dynamic_pointer_cast<const HfTokenizer>(cell_tokenizer(dir.string()));
  if (!tok) refuse("a model's chat template needs the model's tokenizer.json beside it");
  special_tokens_ = tok->special_tokens();
  std::sort(special_tokens_.begin(), special_tokens_.end(), [](auto& a, auto& b) { return a.size() > b.size(); });

  // The end-of-turn token, from a chat of one turn.
  const std::vector<Message> probe = {{"user", "Q"}, {"assistant", "A"}};
  const std::string whole = render_chat(probe, false);
  const Reply reply = find_reply(probe, 1, whole);
  size_t at = reply.text_end;
  while (at < reply.end && ascii_space(whole[at])) ++at;
  end_of_turn_ = whole.substr(at, reply.end - at);
  if (!tok->token_id(end_of_turn_)) refuse("its end-of-turn text '" + end_of_turn_ + "' is not one token");
}

void ModelChatTemplate::refuse(const std::string& why) const {
  throw std::invalid_argument("the chat template in " + file_ + ": " + why);
}

std::string ModelChatTemplate::render_chat(const std::vector<Message>& messages, bool add_generation_prompt) const {
  jinja::Array list;
  for (auto& m : messages) {
    jinja::Object message;
    message.set("role", jinja::Value(m.role));
    message.set("content", jinja::Value(repaired_utf8(m.content)));
    list.push_back(jinja::Value(std::move(message)));
  }
  jinja::Object variables = special_token_variables_;
  variables.set("messages", jinja::Value(std::move(list)));
  variables.set("add_generation_prompt", jinja::Value(add_generation_prompt));
  variables.set("tools", jinja::Value::none());
  variables.set("documents", jinja::Value::none());
  try {
    return template_->render(variables);
  } catch (const jinja::Error& e) {
    refuse("line " + std::to_string(e.line) + " of the template: " + e.what());
  }
}

ModelChatTemplate::Reply ModelChatTemplate::find_reply(const std::vector<Message>& messages, size_t k, const std::string& whole) const {
  const std::string n = "message " + std::to_string(k) + " (an assistant's)";
  Reply r;
  const std::string before = render_chat({messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(k)}, true);
  if (whole.compare(0, before.size(), before) != 0)
    refuse("the chat before " + n + ", rendered with the generation prompt, is not how the whole chat's rendering begins (it renders " +
           "earlier turns differently once later ones follow), so where the reply begins cannot be found");
  r.begin = before.size();

  std::vector<Message> marked = messages;
  std::string& text = marked[k].content;
  size_t last = text.size();
  while (last > 0 && ascii_space(text[last - 1])) --last;
  text.insert(last, kMark);
  const std::string with_mark = render_chat(marked, false);
  const size_t at = common_prefix(whole, with_mark);
  const size_t mark = std::string(kMark).size();
  if (with_mark.size() != whole.size() + mark || with_mark.compare(at, mark, kMark) != 0 || with_mark.compare(at + mark, std::string::npos, whole, at) != 0 ||
      at < r.begin)
    refuse("it does not write the text of " + n + " unchanged in one place, so where the reply's text ends cannot be found");
  r.text_end = at;

  size_t end = at;
  while (end < whole.size() && ascii_space(whole[end])) ++end;
  auto token = std::find_if(special_tokens_.begin(), special_tokens_.end(), [&](const std::string& s) { return whole.compare(end, s.size(), s) == 0; });
  if (token == special_tokens_.end())
    refuse("after the text of " + n + " it writes " + quoted_start(whole, end) +
           ", not a special token that ends the turn, so a model trained on it could not learn to stop");
  r.end = end + token->size();
  return r;
}

Tokenized ModelChatTemplate::render(const Example& e, const Tokenizer& tok) const {
  if (e.messages.empty()) return render_document(e.text, tok);
  std::vector<size_t> replies;
  for (size_t k = 0; k < e.messages.size(); ++k)
    if (e.messages[k].role == "assistant") replies.push_back(k);
  if (replies.empty()) throw std::invalid_argument("a chat with no assistant message has nothing to learn");
  const std::string whole = render_chat(e.messages, false);
  TargetBuilder b(tok);
  size_t done = 0;
  for (size_t k : replies) {
    const Reply r = find_reply(e.messages, k, whole);
    b.text(std::string_view(whole).substr(done, r.begin - done), false);
    b.text(std::string_view(whole).substr(r.begin, r.end - r.begin), true);
    done = r.end;
  }
  b.text(std::string_view(whole).substr(done), false);
  return b.done();
}

std::vector<uint32_t> ModelChatTemplate::prompt(const std::vector<Message>& messages, const Tokenizer& tok) const {
  if (messages.empty() || messages.back().role != "user") throw std::invalid_argument("a prompt ends with a user message");
  // Up to where a one-letter reply's text begins: past what the template writes before any
  // answer (Qwen3's empty think block), and ending as the prompts the model trained on did.
  std::vector<Message> chat = messages;
  chat.push_back({"assistant", "A"});
  const std::string whole = render_chat(chat, false);
  const Reply r = find_reply(chat, chat.size() - 1, whole);
  if (r.text_end == 0 || whole[r.text_end - 1] != 'A') refuse("it does not write a reply's text as it is given");
  TargetBuilder b(tok);
  b.text(std::string_view(whole).substr(0, r.text_end - 1), false);
  b.text(std::string_view(whole).substr(r.text_end - 1), true);
  Tokenized t = b.done();
  const auto first = std::find(t.target.begin(), t.target.end(), 1);
  t.ids.resize(static_cast<size_t>(first - t.target.begin()));
  return t.ids;
}

uint32_t ModelChatTemplate::stop_token(const Tokenizer& tok) const {
  std::vector<uint32_t> ids;
  tok.encode(end_of_turn_, ids);
  if (ids.size() != 1) refuse("its end-of-turn text '" + end_of_turn_ + "' is not one token of this tokenizer");
  return ids[0];
}

}  // namespace longalign::host
