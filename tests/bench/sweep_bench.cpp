// Orchestration overhead and planning speed, with the real binary and plugins:
//  - per cell: spawn + plugin load + results file + merge, for cells whose workload is nearly
//    empty (one tiny example, one step of the tiny model), from `longalign run` wall time over
//    N cells, with libtorch's load time (the cell process started alone) reported apart;
//  - `plan` of a 1000-cell grid, in-process and as the `longalign plan` command.
// Run: build/bin/sweep_bench
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "plugin/registry.h"
#include "sweep/resolve.h"
#include "util/subprocess.h"

using namespace longalign::host;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

const char* kData = R"(
[[data]]
name = "d"
source = "synthetic-copy"
params = { count = 1, min_words = 1, max_words = 1 }
)";

}  // namespace

int main(int argc, char** argv) {
  const int cells = argc > 1 ? std::atoi(argv[1]) : 20;
  auto dir = std::filesystem::temp_directory_path() / ("longalign-sweep-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string env = "LONGALIGN_CACHE_DIR=" + (dir / "cache").string();

  {
    std::ofstream f(dir / "empty.toml");
    f << "name = \"empty\"\nseeds = [";
    for (int i = 0; i < cells; ++i) f << (i ? ", " : "") << i;
    f << "]\n" << kData;
  }
  // Warm the plugin cache first: a sweep's first run probes new plugins once.
  run_process({"/usr/bin/env", env, LONGALIGN_BIN, "plugins"}, std::chrono::seconds(60));
  auto t0 = Clock::now();
  ProcessResult r = run_process({"/usr/bin/env", env, LONGALIGN_BIN, "run", (dir / "empty.toml").string(), "--db",
                                 (dir / "empty.sqlite").string()},
                                std::chrono::seconds(600));
  double total = seconds_since(t0);
  if (!r.ok()) {
    std::fprintf(stderr, "run failed: %s\n%s", r.describe().c_str(), r.err.c_str());
    return 1;
  }
  // What starting the cell process costs by itself: the dynamic loader mapping libtorch.
  const std::string cell_binary = (std::filesystem::path(LONGALIGN_BIN).parent_path() / "longalign-cell").string();
  auto t_load = Clock::now();
  for (int i = 0; i < cells; ++i) run_process({cell_binary, "--help"}, std::chrono::seconds(60));
  double load = seconds_since(t_load) / cells;
  std::printf("per cell, %d near-empty cells: %.3f s in all; libtorch's load %.3f s; orchestration (spawn + plugin load + "
              "store + merge + one tiny step) %.3f s (goal < 0.3 s)\n",
              cells, total / cells, load, total / cells - load);

  {
    std::ofstream f(dir / "grid.toml");
    f << "name = \"grid\"\n[grid]\n\"train.epochs\" = [1,2,3,4,5,6,7,8,9,10]\n"
      << "\"train.max_tokens\" = [128,256,384,512,640,768,896,1024,1152,1280]\n"
      << "\"train.rows_per_micro_batch\" = [1,2,3,4,5,6,7,8,9,10]\n"
      << kData;
  }
  ProbeCache cache(dir / "cache" / "plugins.json");
  Registry reg = scan_plugins(plugin_search_path({}), {LONGALIGN_SCANNER, std::chrono::seconds(10)}, cache);
  auto t1 = Clock::now();
  ResolvedSweep resolved = resolve_sweep(load_sweep((dir / "grid.toml").string()), reg);
  double in_process = seconds_since(t1);
  auto t2 = Clock::now();
  ProcessResult p = run_process({"/usr/bin/env", env, LONGALIGN_BIN, "plan", (dir / "grid.toml").string()}, std::chrono::seconds(60));
  double command = seconds_since(t2);
  std::printf("plan of a %zu-cell grid: %.3f s in-process, %.3f s as `longalign plan` (goal < 1 s)%s\n", resolved.cells.size(),
              in_process, command, p.ok() ? "" : " [command failed]");
  std::filesystem::remove_all(dir);
  return 0;
}
