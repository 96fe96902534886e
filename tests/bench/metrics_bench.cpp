// Live metrics' cost, measured side by side (figures in the README):
//   1. rendering and serving a scrape of 10,000 series (250 cells x 40, as a big sweep has):
//      rendering alone (prometheus-cpp's Collect + TextSerializer) and a whole HTTP GET of /metrics,
//      median of 50;
//   2. whether scraping slows training: the same one-cell sweep run with a scraper hitting the
//      endpoint every second and without, interleaved, 10 pairs; the ratio of mean training
//      times (train.seconds) with a 95% t-interval from the paired differences.
// Usage: metrics_bench [BUILD_DIR/bin/longalign]
#include <civetweb.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "metrics/endpoint.h"
#include "store/sqlite.h"
#include "util/subprocess.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace longalign;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// GET /metrics, returning the body's size (0 on failure).
size_t scrape(int port) {
  char err[256];
  mg_connection* c = mg_download("127.0.0.1", port, 0, err, sizeof err, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  if (!c) return 0;
  size_t total = 0;
  char buf[65536];
  for (int n; (n = mg_read(c, buf, sizeof buf)) > 0;) total += static_cast<size_t>(n);
  mg_close_connection(c);
  return total;
}

int free_port() {
  for (int p = 19500; p < 19600; ++p) {
    try {
      metrics::Endpoint probe("127.0.0.1", p, std::make_shared<prometheus::Registry>());
      return p;
    } catch (const std::exception&) {
    }
  }
  return 0;
}

double train_seconds(const std::filesystem::path& db) {
  host::Database d(db.string(), false);
  auto s = d.prepare("SELECT value FROM run_metrics WHERE name = 'train.seconds'");
  return s.step() ? s.real_at(0) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string longalign = argc > 1 ? argv[1] : "build/bin/longalign";

  std::printf("1. a scrape of 10,000 series\n");
  auto registry = std::make_shared<prometheus::Registry>();
  auto& gauges = prometheus::BuildGauge().Name("longalign_bench_gauge").Help("x").Register(*registry);
  for (int cell = 0; cell < 250; ++cell)
    for (int k = 0; k < 40; ++k)
      gauges.Add({{"sweep", "bench"}, {"cell", std::to_string(cell)}, {"k", std::to_string(k)}}).Set(cell * 0.5 + k);
  std::vector<double> render, http;
  size_t bytes = 0;
  for (int i = 0; i < 50; ++i) {
    auto t = Clock::now();
    std::ostringstream text;
    prometheus::TextSerializer().Serialize(text, registry->Collect());
    bytes = text.str().size();
    render.push_back(ms_since(t));
  }
  const int port = free_port();
  {
    metrics::Endpoint endpoint("127.0.0.1", port, registry);
    for (int i = 0; i < 50; ++i) {
      auto t = Clock::now();
      bytes = scrape(port);
      http.push_back(ms_since(t));
    }
  }
  std::printf("   %zu bytes; render %.2f ms, HTTP GET /metrics %.2f ms (medians of 50; goal < 10 ms)\n", bytes, median(render),
              median(http));

  std::printf("\n2. training with and without a scrape every second (one tiny cell, 10 interleaved pairs)\n");
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("longalign-metrics-bench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "one.toml") << "name = \"one\"\n[config]\ntrain.epochs = 3\ntrain.sequences_per_step = 4\n"
                                     "checkpoint.save = false\n[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 400 }\n";
  std::vector<double> with, without;
  for (int pair = 0; pair < 10; ++pair)
    for (bool scraping : {pair % 2 == 0, pair % 2 != 0}) {
      const fs::path db = dir / ("run-" + std::to_string(pair) + (scraping ? "-s" : "-n") + ".sqlite");
      const int p = free_port();
      std::atomic<bool> stop{false};
      std::thread scraper([&] {
        while (scraping && !stop) {
          scrape(p);
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
      });
      auto r = host::run_process({longalign, "run", (dir / "one.toml").string(), "--db", db.string(), "--metrics-port",
                                  std::to_string(p)},
                                 std::chrono::minutes(5));
      stop = true;
      scraper.join();
      if (!r.ok()) {
        std::printf("   run failed: %s\n%s", r.describe().c_str(), r.err.c_str());
        return 1;
      }
      (scraping ? with : without).push_back(train_seconds(db));
    }
  fs::remove_all(dir);
  double mw = 0, mn = 0;
  for (size_t i = 0; i < with.size(); ++i) mw += with[i] / with.size(), mn += without[i] / without.size();
  // Paired differences (with - without): a 95% t-interval (9 degrees of freedom: t = 2.262).
  double md = mw - mn, var = 0;
  for (size_t i = 0; i < with.size(); ++i) var += std::pow(with[i] - without[i] - md, 2) / (with.size() - 1);
  const double half = 2.262 * std::sqrt(var / with.size());
  std::printf("   training %.3f s without scraping, %.3f s with: speed ratio %.3f (95%% interval %.3f to %.3f; goal >= 0.99)\n", mn,
              mw, mn / mw, mn / (mw + half), mn / (mw - half));
  return 0;
}
