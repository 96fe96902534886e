// task-accuracy's scoring against a model service whose every answer is known: exact, contains
// and numeric matches, the graded char_match, per task and length bucket, and remove_document
// asking the question alone.
#include <gtest/gtest.h>

#include <longalign/plugin.hpp>

#include <map>

#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {
namespace {

// Bytes are tokens; every generation is `answer`; the last prompt is kept.
struct FixedModel {
  std::string answer;
  std::string last_prompt;
  std::vector<uint32_t> ids;
  std::vector<std::vector<uint32_t>> out;
  la_model_service table{};
  explicit FixedModel(std::string a) : answer(std::move(a)) {
    table.struct_size = sizeof table;
    table.ctx = this;
    table.context_size = [](void*, uint32_t* n, la_error*) { *n = 4096; return int32_t{LA_OK}; };
    table.chat_prompt = [](void* ctx, const la_message* m, size_t n, const uint32_t** ids, size_t* k, la_error*) {
      auto* self = static_cast<FixedModel*>(ctx);
      self->last_prompt = std::string(view(m[n - 1].content));
      self->ids.assign(self->last_prompt.begin(), self->last_prompt.end());
      *ids = self->ids.data();
      *k = self->ids.size();
      return int32_t{LA_OK};
    };
    table.generate = [](void* ctx, const la_generate_request*, size_t n, la_generation* g, la_error*) {
      auto* self = static_cast<FixedModel*>(ctx);
      self->out.assign(n, std::vector<uint32_t>(self->answer.begin(), self->answer.end()));
      for (size_t i = 0; i < n; ++i) {
        g[i].tokens = self->out[i].data();
        g[i].n_tokens = self->out[i].size();
        g[i].text = str(self->answer);
      }
      return int32_t{LA_OK};
    };
  }
};

Example chat(const std::string& question, const std::string& answer, const std::string& task, const std::string& match) {
  Example e;
  e.messages = {{"user", "Some long document.\n\n" + question}, {"assistant", answer}};
  e.task = task;
  e.metadata_json = nlohmann::json{{"answer", answer}, {"match", match}}.dump();
  return e;
}

std::map<std::string, double> run(FixedModel& model, const std::vector<Example>& examples, const nlohmann::json& params) {
  EvaluatorInstance ev(PluginLibrary::load(test::kBundled / "task-accuracy.so"), params, &model.table);
  std::vector<EvalMetric> metrics;
  std::vector<EvalArtifact> artifacts;
  ev.evaluate(metrics, artifacts, examples);
  std::map<std::string, double> out;
  for (auto& m : metrics) {
    std::string key = m.name;
    for (auto& [k, v] : m.tags) key += "{" + k + "=" + v + "}";
    out[key] = m.value;
  }
  return out;
}

TEST(TaskAccuracy, ExactContainsNumericAndCharMatch) {
  FixedModel model("12399");
  std::vector<Example> ex = {chat("Key?", "12345", "passkey", "exact"),          // 3 of 5 characters in place
                             chat("Key?", "12399", "passkey", "exact"),          // right
                             chat("Count?", "12399.0", "count", "numeric"),      // the same number
                             chat("Which?", "239", "extract", "contains")};      // inside the reply
  auto m = run(model, ex, {{"max_new_tokens", 8}});
  EXPECT_DOUBLE_EQ(m["accuracy"], 0.75);
  EXPECT_DOUBLE_EQ(m["accuracy{task=passkey}"], 0.5);
  EXPECT_DOUBLE_EQ(m["accuracy{task=count}"], 1.0);
  EXPECT_DOUBLE_EQ(m["accuracy{task=extract}"], 1.0);
  EXPECT_DOUBLE_EQ(m["char_match"], (0.6 + 1.0 + 5.0 / 7.0 + 0.0) / 4);  // "239" vs "12399": no character in place
  EXPECT_DOUBLE_EQ(m["examples{length=<=256}"], 4);
}

TEST(TaskAccuracy, RemoveDocumentAsksTheQuestionAlone) {
  FixedModel model("x");
  run(model, {chat("What is the pass key?", "1", "passkey", "exact")}, {{"remove_document", true}});
  EXPECT_EQ(model.last_prompt, "What is the pass key?");
  run(model, {chat("What is the pass key?", "1", "passkey", "exact")}, nlohmann::json::object());
  EXPECT_EQ(model.last_prompt, "Some long document.\n\nWhat is the pass key?");
}

}  // namespace
}  // namespace longalign::host
