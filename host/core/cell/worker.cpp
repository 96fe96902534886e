#include "cell/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>

#include "batching/plan_check.h"
#include "batching/plan_stats.h"
#include "cell/evaluations.h"
#include "cell/heldout.h"
#include "cell/step_batches.h"
#include "checkpoint/training_checkpoint.h"
#include "llm/llm_service.h"
#include "plugin/instance.h"
#include "store/store.h"
#include "util/crash_point.h"
#include "util/build_info.h"

namespace longalign::host {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

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

void run_cell(const CellSpec& spec, const std::string& db_file, const EventSink& events, const TrainerFactory& make_trainer) {
  const auto t0 = Clock::now();
  Store store(db_file, OpenMode::kCreateIfMissing);
  RunRecord run;
  run.cell_id = spec.cell_id;
  run.sweep = spec.sweep;
  run.seed = static_cast<int64_t>(spec.seed);
  run.grid_json = spec.grid.dump();
  run.params_json = spec.config.dump();
  run.status = "running";
  run.attempts = 1;
  run.started_at = Store::now_utc();
  run.host = host_name();
  run.git_commit = git_commit();
  run.longalign_version = longalign_version();
  run.plugins_json = spec.plugins.dump();
  run.threads = spec.threads;
  store.upsert_run(run);
  events.emit({{"event", "started"}, {"cell", spec.cell_id}});
  crash_point("cell.started");

  // Sources that ask an LLM (self-instruct) reach it through the host's client.
  std::unique_ptr<LlmClient> llm;
  std::unique_ptr<LlmService> llm_service;
  if (!spec.config["llm"]["url"].get<std::string>().empty()) {
    llm = std::make_unique<LlmClient>(llm_config(spec.config["llm"]));
    llm_service = std::make_unique<LlmService>(*llm);
  }
  std::vector<DataPart> parts;
  Dataset data = load_dataset(spec.config, spec.plugins, spec.seed, parts, llm_service ? llm_service->table() : nullptr);
  crash_point("cell.data-loaded");
  if (llm) {
    LlmStats s = llm->stats();
    store.put_run_metric(spec.cell_id, "llm.requests", static_cast<double>(s.requests));
    store.put_run_metric(spec.cell_id, "llm.retries", static_cast<double>(s.retries));
    store.put_run_metric(spec.cell_id, "llm.cache_hits", static_cast<double>(s.cache_hits));
  }
  nlohmann::json composition = nlohmann::json::object();
  for (auto& part : parts) {
    const std::string at = "data." + part.name + ".";
    store.put_run_metric(spec.cell_id, at + "examples", static_cast<double>(part.examples));
    store.put_run_metric(spec.cell_id, at + "tokens", static_cast<double>(part.tokens));
    store.put_run_metric(spec.cell_id, at + "targets", static_cast<double>(part.targets));
    store.put_run_metric(spec.cell_id, at + "cached", part.cached ? 1.0 : 0.0);
    if (part.dropped_short + part.dropped_long)
      store.put_run_metric(spec.cell_id, at + "dropped", static_cast<double>(part.dropped_short + part.dropped_long));
    if (part.truncated) store.put_run_metric(spec.cell_id, at + "truncated", static_cast<double>(part.truncated));
    for (auto& [task, n] : part.record["by_task"].items())
      store.put_run_metric(spec.cell_id, at + "task." + task, n.get<double>());
    composition[part.name] = part.record;
  }
  store.put_artifact(spec.cell_id, "", "data.json", "application/json", composition.dump(2));
  Dataset heldout = hold_out(data, spec.config["eval"]["heldout"].get<size_t>(), spec.seed);
  const nlohmann::json& train = spec.config["train"];
  BatchingInstance batching(load_plugin(spec.plugins, spec.config["batching"]["plugin"]), spec.config["batching"]["params"]);
  LossWeightingInstance loss(load_plugin(spec.plugins, spec.config["loss"]["plugin"]), spec.config["loss"]["params"]);

  const uint32_t max_tokens = train["max_tokens"];
  std::vector<Plan> plans = plan_epochs(batching, data, train, spec.seed);
  size_t total_steps = 0;
  for (auto& p : plans) total_steps += p.steps.size();

  std::unique_ptr<StepTrainer> trainer = make_trainer(spec.config, spec.seed, spec.threads, static_cast<int64_t>(total_steps));
  // Data parallelism: every rank runs this same loop on its share of each step; rank 0 leads
  // (its results file is the cell's; it saves the model and runs the evaluations).
  const uint32_t world = static_cast<uint32_t>(trainer->world_size()), rank = static_cast<uint32_t>(trainer->rank());
  const bool lead = rank == 0;
  store.put_run_metric(spec.cell_id, "train.world_size", world);
  const bool restart_positions = train["positions"] == "restart";
  MetricWriter metrics(store, spec.cell_id);
  CellEvaluations evaluations(spec, llm_service ? llm_service->table() : nullptr);
  const int64_t eval_every = lead ? spec.config["eval"]["every_steps"].get<int64_t>() : 0;
  double eval_seconds = 0;

  // A killed attempt left checkpoints: go on from the newest (its steps' metrics are stored).
  const std::filesystem::path cell_dir = std::filesystem::path(db_file).parent_path();
  const nlohmann::json& ckpt = spec.config["checkpoint"];
  const int64_t every = ckpt["every"], keep = ckpt["keep"];
  int64_t resume_from = 0;
  if (auto latest = latest_training_checkpoint(cell_dir)) {
    resume_from = trainer->restore_checkpoint(latest->dir);
    store.put_run_metric(spec.cell_id, "resumed_from_step", static_cast<double>(resume_from));
    events.emit({{"event", "resumed"}, {"step", resume_from}});
  }
  double train_seconds = 0, loss_last = 0, target_tokens = 0, real_total = 0, padded_total = 0;
  nlohmann::json step_seconds = nlohmann::json::array();  // since the last progress event
  int64_t step_index = 0;
  auto last_event = Clock::now();
  for (const Plan& plan : plans) {
    const std::vector<uint32_t> n_i = sequence_targets(plan, data);
    for (const la_range& step : plan.steps) {
      if (step_index < resume_from) {
        ++step_index;
        continue;
      }
      // With several ranks, each trains its share of the step's micro-batches; the weights are
      // computed over the whole step (every rank the same), so the summed gradient is the step's.
      const std::vector<uint32_t> rank_of = world > 1 ? assign_ranks(plan, step, world) : std::vector<uint32_t>{};
      const WeighedStep weighed = weigh_step(loss, plan, step, data, n_i, rank_of, world, step_index);
      const double weight_sum = weighed.weight_sum, targets = weighed.targets;
      double real = 0, slots = 0, sequences = 0;
      for (uint32_t m = step.first; m < step.first + step.count; ++m)
        for (uint32_t r = plan.micro_batches[m].first; r < plan.micro_batches[m].first + plan.micro_batches[m].count; ++r) {
          const la_row& row = plan.rows[r];
          slots += row.width;
          for (uint32_t s = row.first_segment; s < row.first_segment + row.n_segments; ++s) {
            real += plan.segments[s].length;
            sequences += plan.segments[s].offset == 0;
          }
        }
      std::vector<engine::MicroBatch> mbs = micro_batches(plan, step, data, weighed.weights, restart_positions);
      if (world > 1) {
        std::vector<engine::MicroBatch> mine;
        for (size_t k = 0; k < mbs.size(); ++k)
          if (rank_of[k] == rank) mine.push_back(std::move(mbs[k]));
        mbs = std::move(mine);
      }
      engine::StepStats ts = trainer->step(mbs);
      crash_point("cell.step");  // the step is taken, its metrics not yet stored
      if (!std::isfinite(ts.loss))
        throw std::runtime_error("the loss is " + std::to_string(ts.loss) + " at step " + std::to_string(step_index));
      train_seconds += ts.seconds;
      target_tokens += targets;
      real_total += real;
      padded_total += slots - real;
      step_seconds.push_back(ts.seconds);
      loss_last = ts.loss;
      metrics.add(step_index, "loss", ts.loss);
      metrics.add(step_index, "lr", ts.lr);
      metrics.add(step_index, "grad_norm", ts.grad_norm);
      metrics.add(step_index, "step_seconds", ts.seconds);
      metrics.add(step_index, "forward_seconds", ts.forward_seconds);
      metrics.add(step_index, "backward_seconds", ts.backward_seconds);
      metrics.add(step_index, "attention_seconds", ts.attention_seconds);
      metrics.add(step_index, "loss_head_seconds", ts.loss_seconds);
      metrics.add(step_index, "optimizer_seconds", ts.optimizer_seconds);
      metrics.add(step_index, "tokens_per_s", ts.seconds > 0 ? real / ts.seconds : 0);
      metrics.add(step_index, "sequences", sequences);
      metrics.add(step_index, "real_tokens", real);
      metrics.add(step_index, "padded_slots", slots - real);
      metrics.add(step_index, "target_tokens", targets);
      metrics.add(step_index, "weight_sum", weight_sum);
      metrics.add(step_index, "micro_batches", step.count);
      ++step_index;
      if (eval_every > 0 && step_index % eval_every == 0 && step_index < static_cast<int64_t>(total_steps))
        eval_seconds += evaluations.run_during(*trainer->served_model(), max_tokens, step_index, metrics, events);
      if (every > 0 && step_index % every == 0 && step_index < static_cast<int64_t>(total_steps)) {
        metrics.flush();  // the steps a checkpoint covers are stored before it exists
        const uint64_t bytes = save_training_checkpoint(cell_dir, step_index, static_cast<int>(keep),
                                                        [&](const std::filesystem::path& dir) { trainer->save_checkpoint(dir); });
        store.put_run_metric(spec.cell_id, "checkpoint.bytes", static_cast<double>(bytes));
      }
      if (Clock::now() - last_event > std::chrono::milliseconds(200) || step_index == static_cast<int64_t>(total_steps)) {
        events.emit({{"event", "progress"}, {"step", step_index}, {"steps", total_steps}, {"loss", ts.loss},
                     {"lr", ts.lr}, {"grad_norm", ts.grad_norm}, {"tokens_per_s", ts.seconds > 0 ? real / ts.seconds : 0.0},
                     {"real_tokens", real_total}, {"padded_slots", padded_total}, {"step_seconds", step_seconds}});
        step_seconds = nlohmann::json::array();
        last_event = Clock::now();
      }
    }
  }
  metrics.flush();

  if (!heldout.tokens.empty()) {
    const double loss = trainer->evaluate(heldout_micro_batches(heldout));
    const double unigram = unigram_loss(data, heldout, ByteTokenizer().vocab_size());
    store.put_run_metric(spec.cell_id, "heldout.examples", static_cast<double>(heldout.tokens.size()));
    store.put_run_metric(spec.cell_id, "heldout.loss", loss);
    store.put_run_metric(spec.cell_id, "heldout.sequence_loss",
                         trainer->evaluate(heldout_micro_batches(heldout, HeldoutMean::kSequence)));
    store.put_run_metric(spec.cell_id, "heldout.unigram_loss", unigram);
  }
  if (ckpt["save"].get<bool>() && lead) trainer->save_model(cell_dir / "model");
  if (!spec.eval_ids.empty() && lead)
    evaluations.run_final(trainer->served_model(), max_tokens, store, events);

  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const PlanStats stats = plan_stats(plans, max_tokens);
  crash_point("cell.final-commit");
  store.db().transaction([&] {
    store.put_run_metric(spec.cell_id, "plan.sequences", static_cast<double>(data.lengths.size()));
    for (auto& [name, value] : stats.named()) store.put_run_metric(spec.cell_id, name, value);
    if (total_steps > 0) {  // an untrained cell (0 epochs) has no training figures
      store.put_run_metric(spec.cell_id, "train.seconds", train_seconds);
      store.put_run_metric(spec.cell_id, "train.tokens_per_s", train_seconds > 0 ? stats.real_tokens / train_seconds : 0);
      store.put_run_metric(spec.cell_id, "train.target_tokens_per_s", train_seconds > 0 ? target_tokens / train_seconds : 0);
      store.put_run_metric(spec.cell_id, "train.final_loss", loss_last);
      if (eval_every > 0) store.put_run_metric(spec.cell_id, "train.eval_seconds", eval_seconds);
    }
    run.status = "done";
    run.finished_at = Store::now_utc();
    run.duration_s = seconds;
    store.upsert_run(run);
  });
  events.emit({{"event", "done"}, {"seconds", seconds}});
}

}  // namespace longalign::host
