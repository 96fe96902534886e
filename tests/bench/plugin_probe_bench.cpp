// How much finding plugins costs the host: probing one file in a subprocess (a new or changed
// plugin), answering from the cache (an unchanged one), and loading it in-process. Prints
// milliseconds per plugin; run it as `bin/plugin_probe_bench [REPEATS]` from the build tree.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "plugin/library.h"
#include "plugin/registry.h"

using namespace longalign::host;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::filesystem::path dir = LONGALIGN_BUNDLED_PLUGIN_DIR;
  const ProbeOptions options{LONGALIGN_SCANNER, std::chrono::seconds(30)};
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".so") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  auto ms_per = [&](auto&& body) {
    auto t0 = Clock::now();
    for (int i = 0; i < repeats; ++i)
      for (auto& f : files) body(f);
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / (repeats * files.size());
  };
  double probe = ms_per([&](const std::filesystem::path& f) {
    ProbeCache none(std::nullopt);
    if (!probe_plugin(f, options, none).info) std::abort();
  });
  ProbeCache warm(std::nullopt);
  for (auto& f : files) probe_plugin(f, options, warm);
  double cached = ms_per([&](const std::filesystem::path& f) {
    if (!probe_plugin(f, options, warm).cached) std::abort();
  });
  double load = ms_per([&](const std::filesystem::path& f) { PluginLibrary::load(f); });
  std::printf("plugins: %zu, repeats: %d\n", files.size(), repeats);
  std::printf("probe in a subprocess (new or changed file): %.2f ms per plugin\n", probe);
  std::printf("cached probe (unchanged file, SHA-256 of it): %.3f ms per plugin\n", cached);
  std::printf("in-process load + register + check:           %.3f ms per plugin\n", load);
  return 0;
}
