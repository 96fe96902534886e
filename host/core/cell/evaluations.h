// A cell's [[evaluate]] entries, run on the model after training (results in eval_results, by
// evaluation id) and, with eval.every_steps, on the model in training (headline metrics in
// step_metrics by step: the accuracy-by-step curves). Each entry's examples are read from its
// source once per cell.
#pragma once
#include <longalign/plugin.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cell/cell_spec.h"
#include "cell/model_service.h"
#include "text/tokenizer.h"

namespace longalign::host {

class EventSink;
class MetricWriter;
class Store;

class CellEvaluations {
 public:
  // llm: the host's LLM client for sources and judges that ask one (nullptr: none configured).
  CellEvaluations(const CellSpec& spec, const la_llm_client* llm);
  ~CellEvaluations();

  // Every entry on `model` (nullptr: evaluators see the model service answer "unavailable"),
  // each metric under its evaluation id; a failing evaluator is stored as the metric "failed"
  // with its error, and the others go on.
  void run_final(const ServedModel* model, uint32_t context_size, Store& store, const EventSink& events);

  // The entries eval.during names (all, where it names none) on the model in training after
  // optimizer step `step`: each untagged metric as step_metrics eval.NAME.METRIC, a failing one as
  // eval.NAME.failed = 1. Returns the seconds it took (the cell's eval_seconds).
  double run_during(const ServedModel& model, uint32_t context_size, int64_t step, MetricWriter& metrics,
                    const EventSink& events);

 private:
  struct Outcome;
  Outcome evaluate(const std::string& name, const ModelService* service);
  const std::vector<Example>& examples(const std::string& name);

  const CellSpec& spec_;
  const la_llm_client* llm_;
  std::shared_ptr<const Tokenizer> tok_;  // the cell's
  std::unique_ptr<ChatTemplate> template_;
  std::map<std::string, std::vector<Example>> examples_;  // entry name -> its examples, read once
};

}  // namespace longalign::host
