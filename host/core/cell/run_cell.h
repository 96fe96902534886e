// run_cell: one cell of a sweep, in its own process (longalign-cell). It reads its data sources,
// tokenizes with the chat template, plans batches with the batching plugin, weighs every
// optimizer step with the loss-weighting plugin, trains on each step through a StepTrainer
// (the engine), and writes the plan's statistics and per-step metrics to its own results file.
#pragma once
#include <longalign/plugin.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "cell/cell_spec.h"
#include "cell/step_trainer.h"

namespace longalign::host {

// Where a cell process reports progress: NDJSON lines on a file descriptor the runner handed down.
class EventSink {
 public:
  // fd < 0: no runner listens. observer, when set, sees every event too (task metrics).
  explicit EventSink(int fd, std::function<void(const nlohmann::json&)> observer = {})
      : fd_(fd), observer_(std::move(observer)) {}
  void emit(const nlohmann::json& event) const;

 private:
  int fd_;
  std::function<void(const nlohmann::json&)> observer_;
};

// Runs the cell into `db_file`. Returns normally when the cell is done; throws with a message
// saying what failed (the caller records it). The run row is 'done' only after all its results.
void run_cell(const CellSpec& spec, const std::string& db_file, const EventSink& events, const TrainerFactory& trainer);

}  // namespace longalign::host
