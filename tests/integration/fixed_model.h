// A model service for evaluator tests whose every answer is known: bytes are tokens, and a
// reply is fixed or computed from the prompt. run() evaluates a bundled evaluator against it.
#pragma once
#include <longalign/plugin.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "plugin/instance.h"
#include "test_dirs.h"

namespace longalign::host {

// Bytes are tokens; every generation is `answer`, or what `reply` makes of its prompt; the last
// chat prompt is kept.
struct FixedModel {
  std::string answer;
  std::function<std::string(const std::string& prompt)> reply;
  std::vector<std::string> replies;
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
    table.generate = [](void* ctx, const la_generate_request* r, size_t n, la_generation* g, la_error*) {
      auto* self = static_cast<FixedModel*>(ctx);
      self->replies.assign(n, self->answer);
      self->out.clear();
      for (size_t i = 0; i < n; ++i) {
        if (self->reply) self->replies[i] = self->reply(std::string(r[i].prompt, r[i].prompt + r[i].n_prompt));
        self->out.emplace_back(self->replies[i].begin(), self->replies[i].end());
      }
      for (size_t i = 0; i < n; ++i) {
        g[i].tokens = self->out[i].data();
        g[i].n_tokens = self->out[i].size();
        g[i].text = str(self->replies[i]);
      }
      return int32_t{LA_OK};
    };
    table.tokenize = [](void* ctx, la_str text, const uint32_t** ids, size_t* k, la_error*) {
      auto* self = static_cast<FixedModel*>(ctx);
      self->ids.assign(text.data, text.data + text.size);
      *ids = self->ids.data();
      *k = self->ids.size();
      return int32_t{LA_OK};
    };
  }
};

// Every metric, keyed NAME{tag=value}... in the tags' order; the artifacts into `files` (name ->
// content) where given.
inline std::map<std::string, double> run(FixedModel& model, const std::vector<Example>& examples,
                                         const nlohmann::json& params, const char* evaluator = "task-accuracy",
                                         std::map<std::string, std::string>* files = nullptr) {
  EvaluatorInstance ev(PluginLibrary::load(test::kBundled / (std::string(evaluator) + ".so")), params, &model.table);
  std::vector<EvalMetric> metrics;
  std::vector<EvalArtifact> artifacts;
  ev.evaluate(metrics, artifacts, examples);
  if (files)
    for (auto& a : artifacts) (*files)[a.name] = a.data;
  std::map<std::string, double> out;
  for (auto& m : metrics) {
    std::string key = m.name;
    for (auto& [k, v] : m.tags) key += "{" + k + "=" + v + "}";
    out[key] = m.value;
  }
  return out;
}

}  // namespace longalign::host
