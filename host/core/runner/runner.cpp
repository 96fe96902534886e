#include "runner/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <set>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cell/cell_spec.h"
#include "metrics/endpoint.h"
#include "metrics/pushgateway.h"
#include "runner/sweep_metrics.h"
#include "store/results_layout.h"
#include "store/store.h"
#include "util/build_info.h"
#include "util/crash_point.h"
#include "util/sha256.h"
#include "util/input_error.h"
#include "util/lock_file.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

int g_signal_pipe = -1;
void on_signal(int sig) {
  unsigned char b = static_cast<unsigned char>(sig);
  if (write(g_signal_pipe, &b, 1) < 0) {
  }
}

// SIGINT/SIGTERM become bytes on a pipe the event loop polls; the old handlers come back after.
class SignalPipe {
 public:
  SignalPipe() {
    if (pipe2(fds_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe failed");
    g_signal_pipe = fds_[1];
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~SignalPipe() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_signal_pipe = -1;
    close(fds_[0]);
    close(fds_[1]);
  }
  int fd() const { return fds_[0]; }
  int drain() const {
    unsigned char b = 0, last = 0;
    while (read(fds_[0], &b, 1) == 1) last = b;
    return last;
  }

 private:
  int fds_[2];
  struct sigaction old_int_ {}, old_term_ {};
};

std::string describe_grid(const Cell& c) {
  std::string s;
  for (auto& [k, v] : c.grid.items()) s += (s.empty() ? "" : ", ") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  return s + (s.empty() ? "" : ", ") + "seed=" + std::to_string(c.seed);
}

std::string tail_lines(const fs::path& file, size_t n) {
  std::ifstream in(file);
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
    if (lines.size() > n) lines.pop_front();
  }
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

std::string fmt_seconds(double s) {
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

struct Child {
  const Cell* cell;
  fs::path dir;
  pid_t pid = -1;
  int fd = -1;
  std::string buf;
  Clock::time_point start;
  int64_t step = 0, steps = 0;
  bool timed_out = false, interrupted = false;
  std::string error;  // the cell process's own error event
};

class Runner {
 public:
  Runner(const ResolvedSweep& resolved, const RunOptions& opt) : resolved_(resolved), opt_(opt) {}

  int run() {
    const Sweep& sw = resolved_.sweep;
    auto registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<metrics::Endpoint> exposer = open_metrics(registry);  // a port in use is found before anything is written
    std::string db_file = opt_.db.empty() ? default_db_path(sw) : opt_.db;
    make_results_dir(db_file);
    lock_ = std::make_unique<LockFile>(db_file + ".lock", "this sweep's results");
    Store store(db_file, OpenMode::kCreateIfMissing);
    cells_dir_ = sweep_cells_dir(db_file, sw.name);
    store.upsert_sweep(sw.name, fs::absolute(sw.file).string(), sha256_file(sw.file), sweep_summary(resolved_).dump());

    size_t skipped = 0;
    std::deque<const Cell*> queue = queue_cells(store, skipped);
    total_ = queue.size();
    crash_point("runner.planned");  // the sweep and its pending cells are recorded, none started
    const int cores = opt_.cores > 0 ? opt_.cores : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int jobs = std::max(1, opt_.jobs);
    threads_ = std::max(1, cores / jobs);
    const double timeout = opt_.timeout_s >= 0 ? opt_.timeout_s : sw.timeout_s;
    say("sweep " + sw.name + ": " + std::to_string(resolved_.cells.size()) + " cells, " + std::to_string(total_) + " to run, " +
        std::to_string(skipped) + " already done or skipped; " + std::to_string(jobs) + " at a time, " +
        std::to_string(threads_) + " threads each; results in " + db_file +
        (exposer ? "; live metrics at " + exposer->url() : ""));

    supervise(queue, store, jobs, timeout);
    if (opt_.progress_tty) std::cerr << "\r\033[K";
    if (pushgateway_ && opt_.pushgateway_delete)
      for (auto& id : pushed_) push_warning(pushgateway_->remove({{"sweep", sw.name}, {"cell", id}}));
    say(std::to_string(done_) + " done, " + std::to_string(failed_) + " failed" +
        (interrupted_ ? ", " + std::to_string(interrupted_cells_) + " interrupted" : "") + " (of " +
        std::to_string(total_) + " run now; " + std::to_string(skipped) + " skipped)");
    return failed_ == 0 && !interrupted_ ? 0 : 1;
  }

 private:
  // The live metrics: the /metrics endpoint (none for port 0), the sweep's series, the
  // Pushgateway. Bad addresses are bad input.
  std::unique_ptr<metrics::Endpoint> open_metrics(const std::shared_ptr<prometheus::Registry>& registry) {
    std::unique_ptr<metrics::Endpoint> exposer;
    if (opt_.metrics_port != 0) {
      try {
        exposer = std::make_unique<metrics::Endpoint>(opt_.metrics_bind, opt_.metrics_port, registry);
      } catch (const std::invalid_argument& e) {
        throw InputError({"--metrics-bind"}, "", e.what());
      } catch (const std::runtime_error& e) {
        throw InputError({"--metrics-port"}, "", e.what());
      }
    }
    metrics_ = std::make_unique<SweepMetrics>(*registry, resolved_);
    if (!opt_.pushgateway.empty()) {
      try {
        pushgateway_ = std::make_unique<metrics::Pushgateway>(opt_.pushgateway);
      } catch (const std::invalid_argument& e) {
        throw InputError({"--pushgateway"}, "", e.what());
      }
    }
    return exposer;
  }

  // The cells to run now, recorded as pending; the others (done, or not asked for) counted in
  // `skipped`.
  std::deque<const Cell*> queue_cells(Store& store, size_t& skipped) {
    std::deque<const Cell*> queue;
    for (auto& c : resolved_.cells) {
      auto prev = store.run(c.id);
      bool done = prev && prev->status == "done";
      bool tried = prev && (prev->status == "failed" || prev->status == "interrupted" || prev->status == "running");
      const bool retrain = done && opt_.force_changed && !code_changes(*prev).empty();
      if (retrain) start_over_.insert(c.id);
      if (done && !opt_.force && !retrain) {
        warn_if_changed(*prev);
        metrics_->state(c, "done");
        ++skipped;
        continue;
      }
      if (opt_.rerun_failed && !tried && !opt_.force) {
        if (prev) metrics_->state(c, prev->status);
        ++skipped;
        continue;
      }
      metrics_->state(c, "pending");
      RunRecord r = prev.value_or(RunRecord{});
      r.cell_id = c.id;
      r.sweep = resolved_.sweep.name;
      r.seed = static_cast<int64_t>(c.seed);
      r.grid_json = c.grid.dump();
      r.params_json = c.config.to_json().dump();
      r.status = "pending";
      store.upsert_run(r);
      queue.push_back(&c);
    }
    return queue;
  }

  // Runs the queue `jobs` cells at a time until every cell has ended: reads their events,
  // samples their memory, kills those past `timeout` seconds, and on SIGINT or SIGTERM stops
  // them all (SIGTERM, then SIGKILL 5 s later).
  void supervise(std::deque<const Cell*>& queue, Store& store, int jobs, double timeout) {
    SignalPipe signals;
    std::vector<Child> running;
    bool stopping = false;
    Clock::time_point kill_at;
    while (!queue.empty() || !running.empty()) {
      while (!stopping && static_cast<int>(running.size()) < jobs && !queue.empty()) {
        running.push_back(start(*queue.front(), store));
        queue.pop_front();
      }
      std::vector<pollfd> fds{{signals.fd(), POLLIN, 0}};
      for (auto& c : running)
        if (c.fd >= 0) fds.push_back({c.fd, POLLIN, 0});
      poll(fds.data(), fds.size(), 200);
      if (fds[0].revents & POLLIN) {
        int sig = signals.drain();
        if (!stopping) {
          say(std::string("received ") + signal_name(sig) + ": stopping the running cells");
          stopping = true;
          interrupted_ = true;
          kill_at = Clock::now() + std::chrono::seconds(5);
          queue.clear();
          for (auto& c : running) {
            c.interrupted = true;
            kill(-c.pid, SIGTERM);
          }
        }
      }
      for (auto& c : running) read_events(c);
      for (auto& c : running) metrics_->sample_memory(*c.cell, c.pid);
      metrics_->sample_process();
      for (auto& c : running) {
        double age = std::chrono::duration<double>(Clock::now() - c.start).count();
        if (timeout > 0 && age > timeout && !c.timed_out) {
          c.timed_out = true;
          kill(-c.pid, SIGKILL);
        }
        if (stopping && Clock::now() > kill_at) kill(-c.pid, SIGKILL);
      }
      for (size_t i = 0; i < running.size();) {
        int status = 0;
        if (waitpid(running[i].pid, &status, WNOHANG) == running[i].pid) {
          finish(running[i], status, store, timeout);
          running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        } else {
          ++i;
        }
      }
      draw(running);
    }
  }

  // What made a done cell that is not what would make it now: the longalign build, the files of
  // the plugins it used.
  std::vector<std::string> code_changes(const RunRecord& prev) const {
    std::vector<std::string> changed;
    if (prev.git_commit != git_commit()) changed.push_back("longalign " + short_commit(prev.git_commit) + " -> " + short_commit(git_commit()));
    auto before = nlohmann::json::parse(prev.plugins_json, nullptr, false);
    for (auto& [name, now] : resolved_.plugins.items())
      if (before.is_object() && before.contains(name) && before[name].value("sha256", "") != now.value("sha256", ""))
        changed.push_back("plugin " + name);
    return changed;
  }

  void warn_if_changed(const RunRecord& prev) {
    const std::vector<std::string> changed = code_changes(prev);
    if (!changed.empty() && warned_.insert(changed.front()).second) {
      std::string what;
      for (auto& s : changed) what += (what.empty() ? "" : ", ") + s;
      say("warning: done cells were made with other code (" + what +
          "); their results are kept, --force-changed retrains those, --force all");
    }
  }

  Child start(const Cell& cell, Store& store) {
    Child c;
    c.cell = &cell;
    c.dir = cells_dir_ / cell.id;
    fs::create_directories(c.dir);
    // A killed attempt's checkpoints and results file let the cell resume; --force starts over.
    if (opt_.force || start_over_.count(cell.id) || !fs::exists(c.dir / "checkpoints")) {
      for (const char* stale : {"cell.sqlite", "cell.sqlite-wal", "cell.sqlite-shm"}) fs::remove(c.dir / stale);
      fs::remove_all(c.dir / "checkpoints");
    }
    const CellSpec spec = cell_spec(resolved_.sweep.name, cell, resolved_.plugins, threads_);
    std::ofstream(c.dir / "spec.json") << spec.to_json().dump(2) << "\n";

    auto prev = store.run(cell.id);
    RunRecord r = prev.value_or(RunRecord{});
    r.status = "running";
    r.attempts += 1;
    r.started_at = Store::now_utc();
    r.error.reset();
    r.stderr_tail.reset();
    r.threads = threads_;
    store.upsert_run(r);

    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const std::string threads = std::to_string(threads_);
    ChildSpec child{{opt_.exe.string(), "--spec", (c.dir / "spec.json").string(), "--db", (c.dir / "cell.sqlite").string(),
                     "--events-fd", "3"}};
    // The BLAS and OpenMP runtimes read their thread counts from the environment at load.
    child.env = {{"OMP_NUM_THREADS", threads}, {"OPENBLAS_NUM_THREADS", threads}, {"MKL_NUM_THREADS", threads}};
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const int log_fd = open((c.dir / "stderr.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    child.stdin_fd = null_fd;
    child.stdout_fd = child.stderr_fd = log_fd;
    child.fd3 = p[1];  // its events
    // Its own process group: Ctrl-C reaches the runner, which stops cells itself and records it,
    // and kill(-pid) reaches the ranks a cell starts. A SIGKILLed runner leaves no live cell.
    child.own_process_group = true;
    try {
      c.pid = spawn(child);
    } catch (...) {
      close(null_fd), close(log_fd), close(p[0]), close(p[1]);
      throw;
    }
    close(null_fd);
    close(log_fd);
    close(p[1]);
    c.fd = p[0];
    fcntl(c.fd, F_SETFL, O_NONBLOCK);
    c.start = Clock::now();
    metrics_->state(cell, "running");
    if (!opt_.progress_tty) say("cell " + cell.id + " (" + describe_grid(cell) + ") started");
    return c;
  }

  void read_events(Child& c) {
    if (c.fd < 0) return;
    char chunk[4096];
    for (;;) {
      ssize_t n = read(c.fd, chunk, sizeof chunk);
      if (n > 0) {
        c.buf.append(chunk, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) {
        close(c.fd);
        c.fd = -1;
      }
      break;  // EAGAIN: nothing more for now
    }
    size_t nl;
    while ((nl = c.buf.find('\n')) != std::string::npos) {
      auto e = nlohmann::json::parse(c.buf.substr(0, nl), nullptr, false);
      c.buf.erase(0, nl + 1);
      if (!e.is_object()) continue;
      std::string kind = e.value("event", "");
      if (kind == "progress") {
        c.step = e.value("step", int64_t{0});
        c.steps = e.value("steps", int64_t{0});
        metrics_->progress(*c.cell, e);
      } else if (kind == "evaluated_during") {
        metrics_->evaluated_during(*c.cell, e);
      } else if (kind == "error") {
        c.error = e.value("message", "");
      }
    }
  }

  void finish(Child& c, int status, Store& store, double timeout) {
    read_events(c);
    if (c.fd >= 0) close(c.fd);
    const double seconds = std::chrono::duration<double>(Clock::now() - c.start).count();
    std::string outcome;
    std::optional<std::string> error;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !c.timed_out) {
      outcome = "done";
    } else if (c.interrupted) {
      outcome = "interrupted";
      error = "stopped by the runner (SIGINT or SIGTERM)";
    } else {
      outcome = "failed";
      if (c.timed_out) {
        error = "timed out after " + fmt_seconds(timeout) + " (killed)";
      } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        error = "killed by signal " + std::to_string(sig) + " (" + signal_name(sig) + ")" +
                (sig == SIGKILL ? ": out of memory, or killed from outside" : "");
      } else {
        error = c.error.empty() ? "exited with code " + std::to_string(WEXITSTATUS(status)) : c.error;
      }
    }
    std::string tail = tail_lines(c.dir / "stderr.log", 20);
    fs::path cell_db = c.dir / "cell.sqlite";
    if (fs::exists(cell_db)) {
      try {
        crash_point("runner.merge");
        store.merge(cell_db.string());
      } catch (const std::exception& e) {
        if (outcome == "done") outcome = "failed";
        error = error.value_or("") + (error ? "; " : "") + "its results file could not be merged: " + e.what();
      }
    } else if (outcome == "done") {
      outcome = "failed";
      error = "exited without writing its results file";
    }
    auto merged = store.run(c.cell->id);
    if (outcome == "done" && (!merged || merged->status != "done")) {
      outcome = "failed";
      error = "exited 0 but did not mark itself done";
    }
    if (outcome != "done") store.set_status(c.cell->id, outcome, error, tail.empty() ? std::nullopt : std::optional(tail));
    metrics_->state(*c.cell, outcome);
    metrics_->forget_memory(*c.cell);
    if (pushgateway_) push_final(*c.cell, outcome, seconds, store);
    if (outcome == "done") ++done_;
    else if (outcome == "interrupted") ++interrupted_cells_;
    else ++failed_;
    if (opt_.progress_tty) std::cerr << "\r\033[K";
    if (outcome == "done")
      say("cell " + c.cell->id + " (" + describe_grid(*c.cell) + ") done in " + fmt_seconds(seconds));
    else
      say("cell " + c.cell->id + " (" + describe_grid(*c.cell) + ") " + (outcome == "failed" ? "FAILED" : "interrupted") +
          ": " + error.value_or("") + (outcome == "failed" ? "\n    (stderr: " + (c.dir / "stderr.log").string() + ")" : ""));
    crash_point("runner.between-cells");
  }

  // A finished cell's results, as the Pushgateway group sweep/cell: its state, duration and
  // every run metric the results DB now holds for it.
  void push_final(const Cell& cell, const std::string& outcome, double seconds, Store& store) {
    auto r = std::make_shared<prometheus::Registry>();
    const prometheus::Labels l = {{"sweep", resolved_.sweep.name}, {"cell", cell.id}};
    prometheus::BuildGauge().Name("longalign_cell_succeeded").Help("1 when the cell finished done, 0 otherwise").Register(*r)
        .Add(l).Set(outcome == "done" ? 1 : 0);
    prometheus::BuildGauge().Name("longalign_cell_duration_seconds").Help("The cell's run time").Register(*r).Add(l).Set(seconds);
    auto& results = prometheus::BuildGauge().Name("longalign_cell_result").Help("The cell's run metrics, by name").Register(*r);
    for (auto& [name, value] : store.run_metrics(cell.id)) {
      prometheus::Labels m = l;
      m["metric"] = name;
      results.Add(m).Set(value);
    }
    std::string err = pushgateway_->push({{"sweep", resolved_.sweep.name}, {"cell", cell.id}}, r);
    if (err.empty()) pushed_.push_back(cell.id);
    push_warning(err);
  }

  void push_warning(const std::string& err) {
    if (err.empty() || push_warned_) return;
    push_warned_ = true;
    say("warning: " + err + "; the sweep goes on (later push failures are not reported)");
  }

  void draw(const std::vector<Child>& running) {
    if (!opt_.progress_tty) return;
    auto now = Clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    std::ostringstream line;
    line << "[" << (done_ + failed_ + interrupted_cells_) << "/" << total_ << " cells";
    if (failed_) line << ", " << failed_ << " failed";
    line << "]";
    for (auto& c : running) {
      line << "  " << c.cell->id.substr(0, 8) << " step " << c.step << "/" << c.steps;
      double age = std::chrono::duration<double>(now - c.start).count();
      if (c.step > 0 && c.steps > c.step) line << " ETA " << fmt_seconds(age / c.step * (c.steps - c.step));
    }
    std::cerr << "\r\033[K" << line.str().substr(0, 160) << std::flush;
  }

  void say(const std::string& s) { std::cerr << s << "\n"; }

  const ResolvedSweep& resolved_;
  const RunOptions& opt_;
  fs::path cells_dir_;
  std::unique_ptr<SweepMetrics> metrics_;
  std::unique_ptr<metrics::Pushgateway> pushgateway_;
  std::vector<std::string> pushed_;
  bool push_warned_ = false;
  std::unique_ptr<LockFile> lock_;
  int threads_ = 1;
  size_t total_ = 0, done_ = 0, failed_ = 0, interrupted_cells_ = 0;
  bool interrupted_ = false;
  std::set<std::string> warned_;
  std::set<std::string> start_over_;  // done cells --force-changed runs again from scratch
  Clock::time_point last_draw_{};
};

}  // namespace

nlohmann::json sweep_summary(const ResolvedSweep& resolved) {
  nlohmann::json cells = nlohmann::json::array();
  for (auto& c : resolved.cells) cells.push_back({{"cell_id", c.id}, {"seed", c.seed}, {"grid", c.grid}});
  return {{"name", resolved.sweep.name}, {"cells", cells}, {"plugins", resolved.plugins}};
}

std::string default_db_path(const Sweep& sweep) { return "results/" + sweep.name + ".sqlite"; }

int run_sweep(const ResolvedSweep& resolved, const RunOptions& options) {
  Runner r(resolved, options);
  return r.run();
}

}  // namespace longalign::host
