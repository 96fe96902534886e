// The results store: one SQLite file per cell (written by the cell process) and one per sweep
// (written by the runner, which folds finished cells in). The schema is documented, with
// example queries, in results/README.md; migrations bring any older file up to date.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "store/results_file.h"
#include "store/sqlite.h"

namespace longalign::host {

constexpr int kSchemaVersion = 1;

struct RunRecord {
  std::string cell_id, sweep;
  int64_t seed = 0;
  std::string grid_json = "{}", params_json = "{}";
  std::string status = "pending";  // pending | running | done | failed | interrupted
  std::optional<std::string> error, stderr_tail;
  int64_t attempts = 0;
  std::optional<std::string> started_at, finished_at;
  double duration_s = 0;
  std::string host, git_commit, longalign_version, plugins_json = "{}";
  int64_t threads = 1;
};

// One stored metric of an evaluation.
struct EvalResultRow {
  std::string eval_id, metric, tags_json;
  double value = 0;
};

class Store {
 public:
  // Opens the file (or creates it, where `mode` allows and no file is there) after checking it is
  // an undamaged longalign results database (results_file.h: InputError naming the file if not),
  // and migrates it to kSchemaVersion. Throws StoreError for a file written by a newer longalign.
  Store(const std::string& file, OpenMode mode, Integrity check = Integrity::kQuick);

  Database& db() { return db_; }
  int schema_version();

  void upsert_sweep(const std::string& name, const std::string& file, const std::string& sha256, const std::string& spec_json);
  void upsert_run(const RunRecord& r);
  std::optional<RunRecord> run(const std::string& cell_id);
  // Runs in cell id order: of one sweep, those not finished (neither done nor failed), and the
  // done ones whose id starts with `prefix`.
  std::vector<RunRecord> runs_of_sweep(const std::string& sweep);
  std::vector<RunRecord> unfinished_runs();
  std::vector<RunRecord> done_runs_with_prefix(const std::string& prefix);
  // The sweeps the file holds: those that ran into it and those its runs name (cells merged from
  // elsewhere may have no sweeps row).
  std::vector<std::string> sweep_names();
  // What the sweep's last run planned (sweeps.spec_json), if it ran into this file.
  std::optional<std::string> sweep_spec(const std::string& sweep);
  void set_status(const std::string& cell_id, const std::string& status, const std::optional<std::string>& error,
                  const std::optional<std::string>& stderr_tail);
  void put_run_metric(const std::string& cell_id, const std::string& name, double value);
  std::vector<std::pair<std::string, double>> run_metrics(const std::string& cell_id);  // by name
  // A step metric's series (step, value), in step order; and every step metric whose name starts
  // with `prefix`, as (name, step, value).
  std::vector<std::pair<int64_t, double>> step_series(const std::string& cell_id, const std::string& name);
  std::vector<std::tuple<std::string, int64_t, double>> step_metrics_with_prefix(const std::string& cell_id, const std::string& prefix);
  // One metric of an evaluation (tags_json: a JSON object, e.g. {"length":"4096","depth":"0.5"}).
  void put_eval_result(const std::string& eval_id, const std::string& cell_id, const std::string& evaluator,
                       const std::string& metric, const std::string& tags_json, double value);
  // A named blob of a cell (eval_id "" for the cell's own, e.g. its data composition).
  std::vector<EvalResultRow> eval_results(const std::string& cell_id);
  // Whether an evaluation has results other than a failure, and a cell's failed evaluations.
  bool has_eval_results(const std::string& eval_id);
  int64_t failed_evaluations(const std::string& cell_id);
  void put_artifact(const std::string& cell_id, const std::string& eval_id, const std::string& name,
                    const std::string& media_type, std::string_view data);
  std::optional<std::string> artifact(const std::string& cell_id, const std::string& eval_id, const std::string& name);

  // Folds a cell's results file into this one, in one transaction: the run row (keeping this
  // store's attempts), its step and run metrics, eval results and artifacts replace whatever
  // this store had for that cell, so merging twice equals merging once. Returns the cell ids.
  std::vector<std::string> merge(const std::string& cell_file);

  static std::string now_utc();  // ISO 8601, e.g. 2026-11-25T20:49:20Z

 private:
  Database db_;
};

// Step metrics, buffered and written in batched transactions: add() costs a vector push, and
// every `batch` rows (or flush()) one transaction writes them.
class MetricWriter {
 public:
  MetricWriter(Store& store, std::string cell_id, size_t batch = 256);
  ~MetricWriter();
  void add(int64_t step, const std::string& name, double value);
  void flush();

 private:
  Store& store_;
  std::string cell_id_;
  size_t batch_;
  struct Row {
    int64_t step;
    std::string name;
    double value;
  };
  std::vector<Row> rows_;
  Statement insert_;
};

}  // namespace longalign::host
