#include "cell/evaluations.h"

#include <chrono>
#include <optional>

#include "cell/run_cell.h"
#include "plugin/instance.h"
#include "store/store.h"
#include "util/crash_point.h"
#include "util/sha256.h"
#include "text/cell_tokenizer.h"

namespace longalign::host {
namespace {

using Clock = std::chrono::steady_clock;

// The examples an [[evaluate]] entry's `data` names, read from its source as they are.
std::vector<Example> read_examples(const DataEntry& data, const nlohmann::json& plugins, uint64_t seed, const la_llm_client* llm) {
  DataSourceInstance src(load_plugin(plugins, data.source), data.params, llm);
  src.open(seed);
  const int64_t want = data.count.value_or(-1);
  std::vector<Example> out;
  Example e;
  while ((want < 0 || static_cast<int64_t>(out.size()) < want) && src.next(e)) out.push_back(e);
  return out;
}

}  // namespace

struct CellEvaluations::Outcome {
  std::vector<EvalMetric> metrics;
  std::vector<EvalArtifact> artifacts;
  std::string error;  // empty when the evaluator ran
  double seconds = 0;
};

CellEvaluations::CellEvaluations(const CellSpec& spec, const la_llm_client* llm)
    : spec_(spec), llm_(llm), tok_(cell_tokenizer(spec.config.tokenizer)), template_(make_chat_template(spec.config.chat_template, spec.config.tokenizer)) {}

CellEvaluations::~CellEvaluations() = default;

const std::vector<Example>& CellEvaluations::examples(const std::string& name) {
  auto it = examples_.find(name);
  if (it != examples_.end()) return it->second;
  const EvaluateEntry& entry = spec_.config.evaluate.at(name);
  std::vector<Example> read;
  // Its own seed, so a source that also feeds training gives other examples here.
  const uint64_t seed = std::stoull(sha256_hex("evaluate:" + name + ":" + std::to_string(spec_.seed)).substr(0, 15), nullptr, 16);
  if (entry.data) read = read_examples(*entry.data, spec_.plugins, seed, llm_);
  return examples_.emplace(name, std::move(read)).first->second;
}

CellEvaluations::Outcome CellEvaluations::evaluate(const std::string& name, const ModelService* service) {
  Outcome out;
  const auto t0 = Clock::now();
  const EvaluateEntry& entry = spec_.config.evaluate.at(name);
  try {
    const std::vector<Example>& given = examples(name);
    EvaluatorInstance ev(load_plugin(spec_.plugins, entry.evaluator), entry.params, service ? service->table() : nullptr, llm_);
    ev.evaluate(out.metrics, out.artifacts, given);
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return out;
}

void CellEvaluations::run_final(const ServedModel* model, uint32_t context_size, Store& store, const EventSink& events) {
  std::optional<ModelService> service;
  if (model) service.emplace(*model, *tok_, *template_, context_size);
  for (auto& item : spec_.eval_ids.items()) {
    const std::string name = item.key(), eval_id = item.value();
    const std::string& evaluator = spec_.config.evaluate.at(name).evaluator;
    crash_point("cell.evaluation");
    Outcome o = evaluate(name, service ? &*service : nullptr);
    if (!o.error.empty()) {
      store.put_eval_result(eval_id, spec_.cell_id, evaluator, "failed", nlohmann::json{{"error", o.error}}.dump(), 1);
      events.emit({{"event", "evaluation_failed"}, {"evaluation", name}, {"message", o.error}});
      continue;
    }
    store.db().transaction([&] {
      for (auto& m : o.metrics) {
        nlohmann::json tags = nlohmann::json::object();
        for (auto& [k, v] : m.tags) tags[k] = v;
        store.put_eval_result(eval_id, spec_.cell_id, evaluator, m.name, tags.dump(), m.value);
      }
      for (auto& a : o.artifacts) store.put_artifact(spec_.cell_id, eval_id, a.name, a.media_type, a.data);
      store.put_eval_result(eval_id, spec_.cell_id, evaluator, "seconds", "{}", o.seconds);
    });
    events.emit({{"event", "evaluated"}, {"evaluation", name}, {"metrics", o.metrics.size()}});
  }
}

double CellEvaluations::run_during(const ServedModel& model, uint32_t context_size, int64_t step, MetricWriter& metrics,
                                   const EventSink& events) {
  const auto t0 = Clock::now();
  ModelService service(model, *tok_, *template_, context_size);
  std::vector<std::string> names = spec_.config.eval.during;
  if (names.empty())
    for (auto& item : spec_.eval_ids.items()) names.push_back(item.key());
  nlohmann::json headline = nlohmann::json::object();
  for (auto& name : names) {
    Outcome o = evaluate(name, &service);
    if (!o.error.empty()) {
      metrics.add(step, "eval." + name + ".failed", 1);
      events.emit({{"event", "evaluation_failed"}, {"evaluation", name}, {"step", step}, {"message", o.error}});
      continue;
    }
    for (auto& m : o.metrics)
      if (m.tags.empty()) {
        metrics.add(step, "eval." + name + "." + m.name, m.value);
        headline[name][m.name] = m.value;
      }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  metrics.add(step, "eval_seconds", seconds);
  events.emit({{"event", "evaluated_during"}, {"step", step}, {"metrics", headline}});
  return seconds;
}

}  // namespace longalign::host
