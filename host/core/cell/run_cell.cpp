#include "cell/run_cell.h"

#include <unistd.h>

#include <chrono>

#include "batching/plan_stats.h"
#include "cell/evaluations.h"
#include "cell/heldout.h"
#include "cell/step_batches.h"
#include "cell/train_step.h"
#include "checkpoint/training_checkpoint.h"
#include "llm/llm_service.h"
#include "plugin/instance.h"
#include "store/store.h"
#include "util/crash_point.h"
#include "text/cell_tokenizer.h"
#include "util/build_info.h"

namespace longalign::host {
void EventSink::emit(const nlohmann::json& event) const {
  if (observer_) observer_(event);
  if (fd_ < 0) return;
  std::string line = event.dump() + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = write(fd_, p, left);
    if (n <= 0) return;  // the runner went away; the results file still holds everything
    p += n;
    left -= static_cast<size_t>(n);
  }
}

namespace {

using Clock = std::chrono::steady_clock;

// The context the cell trains at (a row's token budget) and evaluates its model at.
uint32_t context_size(const CellSpec& spec) { return static_cast<uint32_t>(spec.config.train.max_tokens); }

RunRecord begin_run(Store& store, const CellSpec& spec) {
  RunRecord run;
  run.cell_id = spec.cell_id;
  run.sweep = spec.sweep;
  run.seed = static_cast<int64_t>(spec.seed);
  run.grid_json = spec.grid.dump();
  run.params_json = spec.config.to_json().dump();
  run.status = "running";
  run.attempts = 1;
  run.started_at = Store::now_utc();
  run.host = host_name();
  run.git_commit = git_commit();
  run.longalign_version = longalign_version();
  run.plugins_json = spec.plugins.dump();
  run.threads = spec.threads;
  store.upsert_run(run);
  return run;
}

// What the cell trains on, entry by entry (data.NAME.*), and what asking the LLM cost.
void record_data(Store& store, const std::string& cell, const std::vector<DataPart>& parts, const LlmClient* llm) {
  if (llm) {
    LlmStats s = llm->stats();
    store.put_run_metric(cell, "llm.requests", static_cast<double>(s.requests));
    store.put_run_metric(cell, "llm.retries", static_cast<double>(s.retries));
    store.put_run_metric(cell, "llm.cache_hits", static_cast<double>(s.cache_hits));
  }
  nlohmann::json composition = nlohmann::json::object();
  for (auto& part : parts) {
    const std::string at = "data." + part.name + ".";
    store.put_run_metric(cell, at + "examples", static_cast<double>(part.examples));
    store.put_run_metric(cell, at + "tokens", static_cast<double>(part.tokens));
    store.put_run_metric(cell, at + "targets", static_cast<double>(part.targets));
    store.put_run_metric(cell, at + "cached", part.cached ? 1.0 : 0.0);
    if (part.dropped_short + part.dropped_long)
      store.put_run_metric(cell, at + "dropped", static_cast<double>(part.dropped_short + part.dropped_long));
    if (part.truncated) store.put_run_metric(cell, at + "truncated", static_cast<double>(part.truncated));
    for (auto& [task, n] : part.record["by_task"].items()) store.put_run_metric(cell, at + "task." + task, n.get<double>());
    composition[part.name] = part.record;
  }
  store.put_artifact(cell, "", "data.json", "application/json", composition.dump(2));
}

// The held-out examples' target loss (token mean and sequence mean) beside the unigram baseline.
void record_heldout(Store& store, const std::string& cell, StepTrainer& trainer, const Dataset& data, const Dataset& heldout) {
  if (heldout.tokens.empty()) return;
  const double loss = trainer.evaluate(heldout_micro_batches(heldout));
  const double sequence_loss = trainer.evaluate(heldout_micro_batches(heldout, HeldoutMean::kSequence));
  store.put_run_metric(cell, "heldout.examples", static_cast<double>(heldout.tokens.size()));
  store.put_run_metric(cell, "heldout.loss", loss);
  store.put_run_metric(cell, "heldout.sequence_loss", sequence_loss);
  store.put_run_metric(cell, "heldout.unigram_loss", unigram_loss(data, heldout));
}

// The optimizer steps of every epoch's plan, from the step a checkpoint resumes at; between
// steps, the evaluations during training, the training checkpoints and the progress events.
class TrainLoop {
 public:
  TrainLoop(const CellSpec& spec, Store& store, const EventSink& events, StepTrainer& trainer, CellEvaluations& evaluations,
            std::filesystem::path cell_dir, int64_t total_steps)
      : spec_(spec), store_(store), events_(events), trainer_(trainer), evaluations_(evaluations), cell_dir_(std::move(cell_dir)),
        total_steps_(total_steps), place_{static_cast<uint32_t>(trainer.rank()), static_cast<uint32_t>(trainer.world_size())},
        metrics_(store, spec.cell_id) {}

  void run(const std::vector<Plan>& plans, const Dataset& data, LossWeightingInstance& loss, int64_t resume_from) {
    const bool restart_positions = spec_.config.train.positions == "restart";
    int64_t index = 0;
    for (const Plan& plan : plans) {
      const std::vector<uint32_t> n_i = sequence_targets(plan, data);
      for (const la_range& step : plan.steps) {
        if (index < resume_from) {
          ++index;
          continue;
        }
        const StepRecord r = train_step(trainer_, loss, plan, step, data, n_i, place_, restart_positions, index);
        train_seconds += r.stats.seconds;
        target_tokens += r.target_tokens;
        loss_last = r.stats.loss;
        real_total_ += r.real_tokens;
        padded_total_ += r.padded_slots;
        step_seconds_.push_back(r.stats.seconds);
        record_step(metrics_, index, r);
        after_step(++index, r);
      }
    }
    metrics_.flush();
  }

  double train_seconds = 0, loss_last = 0, target_tokens = 0, eval_seconds = 0;
  // Evaluations run during training here: on the lead rank, every eval.every_steps steps.
  bool evaluates_during() const { return place_.rank == 0 && spec_.config.eval.every_steps > 0; }

 private:
  // `done` steps are taken.
  void after_step(int64_t done, const StepRecord& r) {
    const bool last = done == total_steps_;
    const int64_t every = spec_.config.checkpoint.every;
    if (evaluates_during() && done % spec_.config.eval.every_steps == 0 && !last)
      eval_seconds += evaluations_.run_during(*trainer_.served_model(), context_size(spec_), done, metrics_, events_);
    if (every > 0 && done % every == 0 && !last) {
      metrics_.flush();  // the steps a checkpoint covers are stored before it exists
      const uint64_t bytes = save_training_checkpoint(cell_dir_, done, static_cast<int>(spec_.config.checkpoint.keep),
                                                      [&](const std::filesystem::path& dir) { trainer_.save_checkpoint(dir); });
      store_.put_run_metric(spec_.cell_id, "checkpoint.bytes", static_cast<double>(bytes));
    }
    if (Clock::now() - last_event_ > std::chrono::milliseconds(200) || last) {
      auto spread = [](const WeightSpread& w) {
        return nlohmann::json{{"longest_quarter_share", w.longest_quarter_share}, {"min", w.min}, {"median", w.median}, {"max", w.max}};
      };
      events_.emit({{"event", "progress"}, {"step", done}, {"steps", total_steps_}, {"loss", r.stats.loss},
                    {"lr", r.stats.lr}, {"grad_norm", r.stats.grad_norm}, {"tokens_per_s", r.tokens_per_s()},
                    {"real_tokens", real_total_}, {"padded_slots", padded_total_}, {"step_seconds", step_seconds_},
                    {"weights", {{"cell", spread(r.spread.weighting)}, {"token_mean", spread(r.spread.token_mean)}}}});
      step_seconds_ = nlohmann::json::array();
      last_event_ = Clock::now();
    }
  }

  const CellSpec& spec_;
  Store& store_;
  const EventSink& events_;
  StepTrainer& trainer_;
  CellEvaluations& evaluations_;
  const std::filesystem::path cell_dir_;
  const int64_t total_steps_;
  const RankPlace place_;
  MetricWriter metrics_;
  double real_total_ = 0, padded_total_ = 0;
  nlohmann::json step_seconds_ = nlohmann::json::array();  // since the last progress event
  Clock::time_point last_event_ = Clock::now();
};

}  // namespace

void run_cell(const CellSpec& spec, const std::string& db_file, const EventSink& events, const TrainerFactory& make_trainer) {
  const auto t0 = Clock::now();
  Store store(db_file, OpenMode::kCreateIfMissing);
  RunRecord run = begin_run(store, spec);
  events.emit({{"event", "started"}, {"cell", spec.cell_id}});
  crash_point("cell.started");

  // Sources that ask an LLM (self-instruct) reach it through the host's client.
  const LlmConnection llm(spec.config.llm);
  std::vector<DataPart> parts;
  Dataset data = load_dataset(spec.config, spec.plugins, spec.seed, parts, llm.table());
  crash_point("cell.data-loaded");
  record_data(store, spec.cell_id, parts, llm.client());
  Dataset heldout = hold_out(data, static_cast<size_t>(spec.config.eval.heldout), spec.seed);
  BatchingInstance batching(load_plugin(spec.plugins, spec.config.batching.plugin), spec.config.batching.params);
  LossWeightingInstance loss(load_plugin(spec.plugins, spec.config.loss.plugin), spec.config.loss.params);
  const uint32_t max_tokens = context_size(spec);
  std::vector<Plan> plans = plan_epochs(batching, data, spec.config.train, spec.seed);
  int64_t total_steps = 0;
  for (auto& p : plans) total_steps += static_cast<int64_t>(p.steps.size());

  std::unique_ptr<StepTrainer> trainer = make_trainer(spec.config, spec.seed, spec.threads, total_steps);
  // Data parallelism: every rank runs this same loop on its share of each step; rank 0 leads
  // (its results file is the cell's; it saves the model and runs the evaluations).
  const bool lead = trainer->rank() == 0;
  store.put_run_metric(spec.cell_id, "train.world_size", trainer->world_size());
  CellEvaluations evaluations(spec, llm.table());

  // A killed attempt left checkpoints: go on from the newest (its steps' metrics are stored).
  const std::filesystem::path cell_dir = std::filesystem::path(db_file).parent_path();
  int64_t resume_from = 0;
  if (auto latest = latest_training_checkpoint(cell_dir)) {
    resume_from = trainer->restore_checkpoint(latest->dir);
    store.put_run_metric(spec.cell_id, "resumed_from_step", static_cast<double>(resume_from));
    events.emit({{"event", "resumed"}, {"step", resume_from}});
  }
  TrainLoop loop(spec, store, events, *trainer, evaluations, cell_dir, total_steps);
  loop.run(plans, data, loss, resume_from);

  record_heldout(store, spec.cell_id, *trainer, data, heldout);
  if (spec.config.checkpoint.save && lead) {
    trainer->save_model(cell_dir / "model");
    save_tokenizer_files(spec.config.tokenizer, cell_dir / "model");
  }
  if (!spec.eval_ids.empty() && lead) evaluations.run_final(trainer->served_model(), max_tokens, store, events);

  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const PlanStats stats = plan_stats(plans, max_tokens);
  crash_point("cell.final-commit");
  store.db().transaction([&] {
    store.put_run_metric(spec.cell_id, "plan.sequences", static_cast<double>(data.lengths.size()));
    for (auto& [name, value] : stats.named()) store.put_run_metric(spec.cell_id, name, value);
    if (total_steps > 0) {  // an untrained cell (0 epochs) has no training figures
      const double s = loop.train_seconds;
      store.put_run_metric(spec.cell_id, "train.seconds", s);
      store.put_run_metric(spec.cell_id, "train.tokens_per_s", s > 0 ? stats.real_tokens / s : 0);
      store.put_run_metric(spec.cell_id, "train.target_tokens_per_s", s > 0 ? loop.target_tokens / s : 0);
      store.put_run_metric(spec.cell_id, "train.final_loss", loop.loss_last);
      if (loop.evaluates_during()) store.put_run_metric(spec.cell_id, "train.eval_seconds", loop.eval_seconds);
    }
    run.status = "done";
    run.finished_at = Store::now_utc();
    run.duration_s = seconds;
    store.upsert_run(run);
  });
  events.emit({{"event", "done"}, {"seconds", seconds}});
}

}  // namespace longalign::host
