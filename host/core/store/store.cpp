#include "store/store.h"

#include <ctime>

#include "util/input_error.h"

namespace longalign::host {
namespace {

// Migration i brings a file from schema version i to i + 1. Append only; never edit a shipped one.
const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE sweeps(
  name TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE runs(
  cell_id TEXT PRIMARY KEY,
  sweep TEXT NOT NULL,
  seed INTEGER NOT NULL,
  grid_json TEXT NOT NULL,
  params_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'interrupted')),
  error TEXT,
  stderr_tail TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  started_at TEXT,
  finished_at TEXT,
  duration_s REAL,
  host TEXT,
  git_commit TEXT,
  longalign_version TEXT,
  plugins_json TEXT,
  threads INTEGER);
CREATE INDEX runs_by_sweep ON runs(sweep, status);
CREATE TABLE step_metrics(
  cell_id TEXT NOT NULL,
  name TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY (cell_id, name, step)) WITHOUT ROWID;
CREATE TABLE run_metrics(
  cell_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value REAL,
  PRIMARY KEY (cell_id, name)) WITHOUT ROWID;
CREATE TABLE eval_results(
  eval_id TEXT NOT NULL,
  cell_id TEXT NOT NULL,
  evaluator TEXT NOT NULL,
  metric TEXT NOT NULL,
  tags_json TEXT NOT NULL DEFAULT '{}',
  value REAL,
  PRIMARY KEY (eval_id, metric, tags_json));
CREATE INDEX eval_results_by_cell ON eval_results(cell_id);
CREATE TABLE artifacts(
  cell_id TEXT NOT NULL,
  eval_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  media_type TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (cell_id, eval_id, name));
)sql",
};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion);

constexpr const char* kRunColumns =
    "cell_id, sweep, seed, grid_json, params_json, status, error, stderr_tail, attempts, started_at, finished_at, "
    "duration_s, host, git_commit, longalign_version, plugins_json, threads";

}  // namespace

std::string Store::now_utc() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

int user_version(Database& db) {
  auto s = db.prepare("PRAGMA user_version");
  s.step();
  return static_cast<int>(s.int_at(0));
}

// Brings the file to kSchemaVersion in one transaction; refuses one from a newer longalign. A
// current file is only read: opening one takes no write lock from the processes writing it.
void migrate(Database& db) {
  if (user_version(db) == kSchemaVersion) return;
  db.transaction([&] {
    int version = user_version(db);
    if (version > kSchemaVersion)
      throw InputError({db.file()}, "", "written by a newer longalign (schema version " + std::to_string(version) +
                                            "; this one knows up to " + std::to_string(kSchemaVersion) + ")");
    for (int v = version; v < kSchemaVersion; ++v) db.exec(kMigrations[v]);
    if (version != kSchemaVersion) db.exec("PRAGMA user_version = " + std::to_string(kSchemaVersion));
  });
}

}  // namespace

Store::Store(const std::string& file, OpenMode mode, Integrity check)
    : db_(open_results_database(file, mode, check, migrate)) {
  migrate(db_);
}

int Store::schema_version() { return user_version(db_); }

void Store::upsert_sweep(const std::string& name, const std::string& file, const std::string& sha256,
                         const std::string& spec_json) {
  std::string now = now_utc();
  db_.prepare(
         "INSERT INTO sweeps(name, file, file_sha256, spec_json, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
         "ON CONFLICT(name) DO UPDATE SET file = ?2, file_sha256 = ?3, spec_json = ?4, updated_at = ?5")
      .bind(1, name)
      .bind(2, file)
      .bind(3, sha256)
      .bind(4, spec_json)
      .bind(5, now)
      .run();
}

void Store::upsert_run(const RunRecord& r) {
  db_.prepare(std::string("INSERT OR REPLACE INTO runs(") + kRunColumns +
              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)")
      .bind(1, r.cell_id)
      .bind(2, r.sweep)
      .bind(3, r.seed)
      .bind(4, r.grid_json)
      .bind(5, r.params_json)
      .bind(6, r.status)
      .bind(7, r.error)
      .bind(8, r.stderr_tail)
      .bind(9, r.attempts)
      .bind(10, r.started_at)
      .bind(11, r.finished_at)
      .bind(12, r.duration_s)
      .bind(13, r.host)
      .bind(14, r.git_commit)
      .bind(15, r.longalign_version)
      .bind(16, r.plugins_json)
      .bind(17, r.threads)
      .run();
}

namespace {

RunRecord run_at(Statement& s) {
  RunRecord r;
  r.cell_id = s.text_at(0);
  r.sweep = s.text_at(1);
  r.seed = s.int_at(2);
  r.grid_json = s.text_at(3);
  r.params_json = s.text_at(4);
  r.status = s.text_at(5);
  if (!s.null_at(6)) r.error = s.text_at(6);
  if (!s.null_at(7)) r.stderr_tail = s.text_at(7);
  r.attempts = s.int_at(8);
  if (!s.null_at(9)) r.started_at = s.text_at(9);
  if (!s.null_at(10)) r.finished_at = s.text_at(10);
  r.duration_s = s.real_at(11);
  r.host = s.text_at(12);
  r.git_commit = s.text_at(13);
  r.longalign_version = s.text_at(14);
  r.plugins_json = s.text_at(15);
  r.threads = s.int_at(16);
  return r;
}

std::vector<RunRecord> runs_where(Database& db, const std::string& condition, const std::string& bound) {
  auto s = db.prepare(std::string("SELECT ") + kRunColumns + " FROM runs WHERE " + condition + " ORDER BY cell_id");
  if (condition.find("?1") != std::string::npos) s.bind(1, bound);
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(run_at(s));
  return out;
}

}  // namespace

std::optional<RunRecord> Store::run(const std::string& cell_id) {
  auto found = runs_where(db_, "cell_id = ?1", cell_id);
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

std::vector<RunRecord> Store::runs_of_sweep(const std::string& sweep) { return runs_where(db_, "sweep = ?1", sweep); }

std::vector<RunRecord> Store::unfinished_runs() { return runs_where(db_, "status NOT IN ('done', 'failed')", ""); }

std::vector<RunRecord> Store::done_runs_with_prefix(const std::string& prefix) {
  return runs_where(db_, "cell_id LIKE ?1 || '%' AND status = 'done'", prefix);
}

std::vector<std::string> Store::sweep_names() {
  std::vector<std::string> names;
  auto q = db_.prepare("SELECT name FROM sweeps UNION SELECT DISTINCT sweep FROM runs ORDER BY 1");
  while (q.step()) names.push_back(q.text_at(0));
  return names;
}

std::optional<std::string> Store::sweep_spec(const std::string& sweep) {
  auto q = db_.prepare("SELECT spec_json FROM sweeps WHERE name = ?1");
  q.bind(1, sweep);
  if (!q.step()) return std::nullopt;
  return q.text_at(0);
}

std::vector<std::pair<int64_t, double>> Store::step_series(const std::string& cell_id, const std::string& name) {
  auto q = db_.prepare("SELECT step, value FROM step_metrics WHERE cell_id = ?1 AND name = ?2 ORDER BY step");
  q.bind(1, cell_id).bind(2, name);
  std::vector<std::pair<int64_t, double>> out;
  while (q.step()) out.emplace_back(q.int_at(0), q.real_at(1));
  return out;
}

std::vector<std::tuple<std::string, int64_t, double>> Store::step_metrics_with_prefix(const std::string& cell_id,
                                                                                     const std::string& prefix) {
  auto q = db_.prepare("SELECT name, step, value FROM step_metrics WHERE cell_id = ?1 AND substr(name, 1, length(?2)) = ?2 "
                       "ORDER BY name, step");
  q.bind(1, cell_id).bind(2, prefix);
  std::vector<std::tuple<std::string, int64_t, double>> out;
  while (q.step()) out.emplace_back(q.text_at(0), q.int_at(1), q.real_at(2));
  return out;
}

std::vector<EvalResultRow> Store::eval_results(const std::string& cell_id) {
  auto q = db_.prepare("SELECT eval_id, metric, tags_json, value FROM eval_results WHERE cell_id = ?1");
  q.bind(1, cell_id);
  std::vector<EvalResultRow> out;
  while (q.step()) out.push_back({q.text_at(0), q.text_at(1), q.text_at(2), q.real_at(3)});
  return out;
}

bool Store::has_eval_results(const std::string& eval_id) {
  auto q = db_.prepare("SELECT 1 FROM eval_results WHERE eval_id = ?1 AND metric != 'failed' LIMIT 1");
  q.bind(1, eval_id);
  return q.step();
}

int64_t Store::failed_evaluations(const std::string& cell_id) {
  auto q = db_.prepare("SELECT count(*) FROM eval_results WHERE cell_id = ?1 AND metric = 'failed'");
  q.bind(1, cell_id);
  q.step();
  return q.int_at(0);
}

void Store::set_status(const std::string& cell_id, const std::string& status, const std::optional<std::string>& error,
                       const std::optional<std::string>& stderr_tail) {
  db_.prepare("UPDATE runs SET status = ?2, error = ?3, stderr_tail = ?4, finished_at = ?5 WHERE cell_id = ?1")
      .bind(1, cell_id)
      .bind(2, status)
      .bind(3, error)
      .bind(4, stderr_tail)
      .bind(5, now_utc())
      .run();
}

void Store::put_run_metric(const std::string& cell_id, const std::string& name, double value) {
  db_.prepare("INSERT OR REPLACE INTO run_metrics(cell_id, name, value) VALUES (?1, ?2, ?3)")
      .bind(1, cell_id)
      .bind(2, name)
      .bind(3, value)
      .run();
}

std::vector<std::pair<std::string, double>> Store::run_metrics(const std::string& cell_id) {
  auto s = db_.prepare("SELECT name, value FROM run_metrics WHERE cell_id = ?1 ORDER BY name");
  s.bind(1, cell_id);
  std::vector<std::pair<std::string, double>> out;
  while (s.step()) out.emplace_back(s.text_at(0), s.real_at(1));
  return out;
}

void Store::put_eval_result(const std::string& eval_id, const std::string& cell_id, const std::string& evaluator,
                            const std::string& metric, const std::string& tags_json, double value) {
  db_.prepare("INSERT OR REPLACE INTO eval_results(eval_id, cell_id, evaluator, metric, tags_json, value) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind(1, eval_id)
      .bind(2, cell_id)
      .bind(3, evaluator)
      .bind(4, metric)
      .bind(5, tags_json)
      .bind(6, value)
      .run();
}

void Store::put_artifact(const std::string& cell_id, const std::string& eval_id, const std::string& name,
                         const std::string& media_type, std::string_view data) {
  db_.prepare("INSERT OR REPLACE INTO artifacts(cell_id, eval_id, name, media_type, data) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, cell_id)
      .bind(2, eval_id)
      .bind(3, name)
      .bind(4, media_type)
      .bind_blob(5, data)
      .run();
}

std::optional<std::string> Store::artifact(const std::string& cell_id, const std::string& eval_id, const std::string& name) {
  auto s = db_.prepare("SELECT data FROM artifacts WHERE cell_id = ?1 AND eval_id = ?2 AND name = ?3");
  s.bind(1, cell_id).bind(2, eval_id).bind(3, name);
  if (!s.step()) return std::nullopt;
  return s.text_at(0);
}

std::vector<std::string> Store::merge(const std::string& cell_file) {
  { Store migrate(cell_file, OpenMode::kExisting); }  // checked, and an older cell file brought up to date first
  db_.prepare("ATTACH DATABASE ?1 AS cell").bind(1, cell_file).run();
  std::vector<std::string> ids;
  try {
    db_.transaction([&] {
      auto s = db_.prepare("SELECT cell_id FROM cell.runs");
      while (s.step()) ids.push_back(s.text_at(0));
      const char* scope = "cell_id IN (SELECT cell_id FROM cell.runs)";
      for (const char* t : {"step_metrics", "run_metrics", "eval_results", "artifacts"}) {
        db_.exec(std::string("DELETE FROM main.") + t + " WHERE " + scope);
        db_.exec(std::string("INSERT INTO main.") + t + " SELECT * FROM cell." + t);
      }
      db_.exec(std::string("INSERT INTO main.runs(") + kRunColumns + ") SELECT " + kRunColumns +
               " FROM cell.runs WHERE true ON CONFLICT(cell_id) DO UPDATE SET "
               "sweep = excluded.sweep, seed = excluded.seed, grid_json = excluded.grid_json, "
               "params_json = excluded.params_json, status = excluded.status, error = excluded.error, "
               "stderr_tail = excluded.stderr_tail, started_at = excluded.started_at, "
               "finished_at = excluded.finished_at, duration_s = excluded.duration_s, host = excluded.host, "
               "git_commit = excluded.git_commit, longalign_version = excluded.longalign_version, "
               "plugins_json = excluded.plugins_json, threads = excluded.threads");
    });
  } catch (...) {
    db_.exec("DETACH DATABASE cell");
    throw;
  }
  db_.exec("DETACH DATABASE cell");
  return ids;
}

MetricWriter::MetricWriter(Store& store, std::string cell_id, size_t batch)
    : store_(store),
      cell_id_(std::move(cell_id)),
      batch_(batch),
      insert_(store.db().prepare("INSERT OR REPLACE INTO step_metrics(cell_id, name, step, value) VALUES (?1, ?2, ?3, ?4)")) {
  rows_.reserve(batch_);
}

MetricWriter::~MetricWriter() {
  try {
    flush();
  } catch (...) {
    // A destructor must not throw; callers that care call flush() themselves.
  }
}

void MetricWriter::add(int64_t step, const std::string& name, double value) {
  rows_.push_back({step, name, value});
  if (rows_.size() >= batch_) flush();
}

void MetricWriter::flush() {
  if (rows_.empty()) return;
  store_.db().transaction([&] {
    for (auto& r : rows_) insert_.bind(1, cell_id_).bind(2, r.name).bind(3, r.step).bind(4, r.value).run();
  });
  rows_.clear();
}

}  // namespace longalign::host
