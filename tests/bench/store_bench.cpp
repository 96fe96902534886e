// Metric writes as a cell's step loop makes them: the latency of each MetricWriter::add()
// (batched transactions included), alone and with 8 processes writing one file at once, and the
// lock errors seen (the goal is none). Run: build/bin/store_bench
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "store/store.h"

using namespace longalign::host;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kSteps = 5000, kMetricsPerStep = 8;

// Writes kSteps steps of kMetricsPerStep metrics; returns per-add latencies in microseconds.
std::vector<double> write_cell(const std::string& file, const std::string& cell) {
  Store s(file, OpenMode::kCreateIfMissing);
  MetricWriter w(s, cell);
  std::vector<double> lat;
  lat.reserve(kSteps * kMetricsPerStep);
  for (int step = 0; step < kSteps; ++step)
    for (int m = 0; m < kMetricsPerStep; ++m) {
      auto t0 = Clock::now();
      w.add(step, "metric_" + std::to_string(m), step * 0.5 + m);
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  w.flush();
  return lat;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * (v.size() - 1))];
}

}  // namespace

int main() {
  auto dir = std::filesystem::temp_directory_path() / ("longalign-store-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto alone = write_cell((dir / "alone.sqlite").string(), "cell");
  std::printf("one writer:  %d metric writes, p50 %.2f us, p99 %.2f us, max %.0f us (goal: p99 < 1000 us)\n",
              static_cast<int>(alone.size()), percentile(alone, 0.5), percentile(alone, 0.99),
              percentile(alone, 1.0));

  const std::string shared = (dir / "shared.sqlite").string();
  { Store init(shared, OpenMode::kCreateIfMissing); }
  constexpr int kWriters = 8;
  int pipes[kWriters][2];
  std::vector<pid_t> pids;
  for (int w = 0; w < kWriters; ++w) {
    if (pipe(pipes[w]) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
      double p99 = -1;
      try {
        p99 = percentile(write_cell(shared, "cell" + std::to_string(w)), 0.99);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
      }
      if (write(pipes[w][1], &p99, sizeof p99) != sizeof p99) _exit(2);
      _exit(p99 < 0 ? 1 : 0);
    }
    pids.push_back(pid);
  }
  int errors = 0;
  double worst_p99 = 0;
  for (int w = 0; w < kWriters; ++w) {
    double p99 = -1;
    if (read(pipes[w][0], &p99, sizeof p99) != sizeof p99 || p99 < 0) ++errors;
    worst_p99 = std::max(worst_p99, p99);
    waitpid(pids[w], nullptr, 0);
  }
  Store s(shared, OpenMode::kExisting);
  auto q = s.db().prepare("SELECT count(*) FROM step_metrics");
  q.step();
  std::printf("%d writers on one file: %lld of %d rows written, %d lock errors, worst writer p99 %.2f us\n", kWriters,
              static_cast<long long>(q.int_at(0)), kWriters * kSteps * kMetricsPerStep, errors, worst_p99);
  std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}
