// longalign-cell: runs one cell in its own process; the one host binary that links the training engine (and so
// libtorch). The runner starts it for each cell; `longalign cell` and Slurm tasks exec it.
#include <CLI/CLI.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <thread>
#include <map>
#include <optional>
#include <iostream>

#include "cell/evaluations.h"
#include "cell/model_service.h"
#include "cell/engine_config.h"
#include "cell/task_metrics.h"
#include "cell/run_cell.h"
#include "llm/llm_service.h"
#include "util/ports.h"
#include "util/subprocess.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/safetensors.h"
#include "util/atomic_file.h"
#include "engine.h"
#include "store/store.h"
#include "text/cell_tokenizer.h"

namespace {

using namespace longalign;

class EngineTrainer : public host::StepTrainer, public host::ServedModel {
 public:
  EngineTrainer(engine::Model m, const engine::TrainConfig& t)
      : trainer_(std::move(m), t), rank_(t.data_parallel ? t.data_parallel->rank() : 0),
        world_(t.data_parallel ? t.data_parallel->world_size() : 1) {}
  const host::ServedModel* served_model() const override { return this; }
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  engine::Model::ContinuationScore score(const std::vector<int64_t>& ids, int64_t from) const override {
    return trainer_.model().score_continuation(ids, from);
  }
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const engine::Model::Sampling& s) const override {
    return trainer_.model().generate(prompt, s);
  }
  engine::StepStats step(const std::vector<engine::MicroBatch>& mbs) override { return trainer_.step(mbs); }
  double evaluate(const std::vector<engine::MicroBatch>& mbs) override { return trainer_.evaluate(mbs); }
  void save_model(const std::filesystem::path& dir) override {
    const engine::Model& m = trainer_.model();
    host::save_hf_checkpoint(dir, m.config(), m.tensors(engine::DType::F32));
  }

  void save_checkpoint(const std::filesystem::path& dir) override {
    std::filesystem::create_directories(dir);
    save_model(dir / "model");
    std::vector<std::pair<std::string, int64_t>> steps;
    auto state = trainer_.optimizer_state(steps);
    std::map<std::string, std::string> meta;
    for (auto& [name, step] : steps) meta["step:" + name] = std::to_string(step);
    host::write_safetensors(dir / "optimizer.safetensors", state, meta);
    host::write_file_atomically(dir / "state.json", nlohmann::json{{"step", trainer_.steps_done()}}.dump() + "\n");
  }

  int64_t restore_checkpoint(const std::filesystem::path& dir) override {
    host::HfCheckpoint ck = host::load_hf_checkpoint(dir / "model");
    trainer_.model().load(ck.tensors);
    host::MappedFile file(dir / "optimizer.safetensors");
    auto header = host::parse_safetensors_header(file.bytes(), file.bytes().size(), (dir / "optimizer.safetensors").string());
    std::vector<engine::TensorView> views;
    for (auto& e : header.tensors) views.push_back({e.name, e.dtype, e.shape, file.bytes().data() + header.data_start + e.begin});
    std::vector<std::pair<std::string, int64_t>> steps;
    for (auto& [key, value] : header.metadata)
      if (key.rfind("step:", 0) == 0) steps.emplace_back(key.substr(5), std::stoll(value));
    std::ifstream in(dir / "state.json");
    const int64_t step = nlohmann::json::parse(in).at("step").get<int64_t>();
    trainer_.restore(step, views, steps);
    return step;
  }

 private:
  engine::Trainer trainer_;
  int rank_, world_;
};

std::unique_ptr<host::StepTrainer> make_trainer(const host::CellConfig& cfg, uint64_t seed, int threads, int64_t total_steps) {
  // From a preset (random weights), or from init_from's weights and config.json.
  std::optional<host::HfCheckpoint> init;
  if (!cfg.model.init_from.empty()) init = host::load_hf_checkpoint(cfg.model.init_from);
  const engine::ModelConfig m = host::model_config(cfg.model, init ? std::optional(init->config) : std::nullopt,
                                                   host::cell_tokenizer(cfg.tokenizer)->vocab_size());
  engine::TrainConfig tc = host::train_config(cfg.train, seed, threads, total_steps);
  // A rank of a data-parallel group (launched below, by torchrun or by Slurm) joins it here.
  engine::DataParallelConfig dp = engine::data_parallel_from_environment();
  dp.device = tc.device;
  if (dp.world_size != cfg.train.world_size)
    throw std::runtime_error("the environment gives world size " + std::to_string(dp.world_size) + ", the cell's train.world_size is " +
                             std::to_string(cfg.train.world_size));
  if (dp.world_size > 1) tc.data_parallel = std::make_shared<engine::DataParallel>(dp);
  engine::Model model(m, seed);
  if (init) model.load(init->tensors);
  return std::make_unique<EngineTrainer>(std::move(model), tc);
}

// A done cell's saved model, served to its evaluators.
class SavedModel : public host::ServedModel {
 public:
  explicit SavedModel(const std::filesystem::path& dir) : model_(load(dir)) {}
  engine::Model::ContinuationScore score(const std::vector<int64_t>& ids, int64_t from) const override {
    return model_.score_continuation(ids, from);
  }
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const engine::Model::Sampling& s) const override {
    return model_.generate(prompt, s);
  }

 private:
  static engine::Model load(const std::filesystem::path& dir) {
    host::HfCheckpoint ck = host::load_hf_checkpoint(dir);
    engine::Model m(ck.config);
    m.load(ck.tensors);
    return m;
  }
  engine::Model model_;
};

// --evaluate: the spec's evaluations on the cell's model/ (what `longalign eval` starts).
void evaluate_saved(const host::CellSpec& spec, const std::string& db, const host::EventSink& events) {
  const auto dir = std::filesystem::path(db).parent_path() / "model";
  if (!std::filesystem::exists(dir / "config.json"))
    throw std::runtime_error(dir.string() + ": no saved model (the cell ran with checkpoint.save = false?)");
  engine::set_threads(spec.threads);
  SavedModel model(dir);
  host::Store store(db, host::OpenMode::kExisting);
  const host::LlmConnection llm(spec.config.llm);
  host::CellEvaluations(spec, llm.table()).run_final(&model, static_cast<uint32_t>(spec.config.train.max_tokens), store, events);
}

// train.world_size > 1 and no rank in the environment: this process becomes rank 0 and starts
// ranks 1..N-1 (the same binary, the same spec, each with a results file of its own under
// rank-N/), meeting at a free loopback port. The cores are shared among the ranks. A rank that
// fails fails the cell at once with its error; the ranks die with rank 0.
void launch_local_ranks(host::CellSpec& spec, const std::string& spec_file, const std::string& db) {
  const int world = static_cast<int>(spec.config.train.world_size);
  if (world <= 1 || std::getenv("RANK") || std::getenv("SLURM_PROCID")) return;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string port = std::to_string(host::free_loopback_port());
  const auto cell_dir = std::filesystem::path(db).parent_path();
  spec.threads = std::max(1, spec.threads / world);
  for (auto [k, v] : {std::pair<const char*, std::string>{"WORLD_SIZE", std::to_string(world)}, {"MASTER_ADDR", "127.0.0.1"},
                      {"MASTER_PORT", port}})
    setenv(k, v.c_str(), 1);
  std::vector<pid_t> ranks;
  for (int r = 1; r < world; ++r) {
    const auto dir = cell_dir / ("rank-" + std::to_string(r));
    // A rank resumes from its own checkpoints, the same as rank 0's; without those, it starts over.
    if (!std::filesystem::exists(cell_dir / "checkpoints")) std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    host::ChildSpec rank{{self, "--spec", spec_file, "--db", (dir / "cell.sqlite").string(), "--threads", std::to_string(spec.threads)}};
    rank.env = {{"RANK", std::to_string(r)}};
    ranks.push_back(host::spawn(rank));
  }
  setenv("RANK", "0", 1);
  // Watch the other ranks: one that fails takes the cell down with its error, instead of
  // leaving rank 0 waiting in a collective.
  std::thread([ranks] {
    for (size_t left = ranks.size(); left > 0; --left) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, 0);
      if (pid < 0) return;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const auto r = std::find(ranks.begin(), ranks.end(), pid) - ranks.begin() + 1;
        std::fprintf(stderr, "longalign-cell: rank %ld of the cell %s; stopping\n", static_cast<long>(r),
                     WIFSIGNALED(status) ? ("was killed by " + host::signal_name(WTERMSIG(status))).c_str()
                                         : ("exited with code " + std::to_string(WEXITSTATUS(status))).c_str());
        std::fflush(stderr);
        _exit(1);
      }
    }
  }).detach();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"longalign-cell: run one cell of a sweep from its spec"};
  std::string spec_file, db;
  int events_fd = -1;
  auto* info = app.add_flag("--engine-info", "Print what this binary's engine can train on (JSON), nothing else");
  app.add_option("--spec", spec_file, "The cell's spec.json")->check(CLI::ExistingFile)->excludes(info);
  app.add_option("--db", db, "The cell's own results file")->excludes(info);
  app.add_option("--events-fd", events_fd, "Write NDJSON progress events to this file descriptor");
  int threads = 0;
  app.add_option("--threads", threads, "Intra-op threads, instead of the spec's (a local rank's share of the cell's)");
  bool evaluate_only = false;
  app.add_flag("--evaluate", evaluate_only, "Run the spec's evaluations on the done cell's saved model, nothing else");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*info) {
    std::string why;
    const bool cuda = engine::device_available("cuda", &why);
    std::cout << nlohmann::json{{"cuda_built", engine::built_with_cuda()}, {"cuda_available", cuda}, {"cuda_why_not", cuda ? "" : why}}
              << "\n";
    return 0;
  }
  if (spec_file.empty() || db.empty()) {
    std::cerr << "longalign-cell: --spec and --db are required\n";
    return 2;
  }
  engine::keep_freed_memory_for_reuse();
  host::CellSpec spec;
  std::unique_ptr<host::TaskMetrics> task_metrics;
  host::EventSink events(events_fd, [&task_metrics](const nlohmann::json& e) {
    if (task_metrics) task_metrics->observe(e);
  });
  try {
    std::ifstream in(spec_file);
    spec = host::CellSpec::from_json(nlohmann::json::parse(in));
    // A task with no runner (Slurm) pushes its live metrics itself; only rank 0 does.
    const char* gateway = std::getenv("LONGALIGN_PUSHGATEWAY");
    const char* rank = std::getenv("RANK");
    if (gateway && *gateway && (!rank || std::string(rank) == "0"))
      task_metrics = std::make_unique<host::TaskMetrics>(gateway, spec.sweep, spec.cell_id);
    if (threads > 0) spec.threads = threads;
    if (!evaluate_only) launch_local_ranks(spec, spec_file, db);
    if (evaluate_only) {
      evaluate_saved(spec, db, events);
      return 0;
    }
    host::run_cell(spec, db, events, make_trainer);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "longalign-cell: " << e.what() << "\n";
    events.emit({{"event", "error"}, {"message", e.what()}});
    try {
      host::Store store(db, host::OpenMode::kExisting);
      if (store.run(spec.cell_id)) store.set_status(spec.cell_id, "failed", std::string(e.what()), std::nullopt);
    } catch (const std::exception&) {
      // The runner records the failure from the exit code and the event.
    }
    return 1;
  }
}
