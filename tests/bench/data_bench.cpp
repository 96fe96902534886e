// Streaming a LongAlign-10k-style JSONL (long user turns, short answers) through jsonl-messages,
// the chat template and the tokenizer into the token cache: throughput, and peak RSS for a
// 32 MiB and a 256 MiB file, each built in its own process. Flat memory: the two peaks are
// about the same. Then reading the 256 MiB entry back from the cache. The byte tokenizer and the
// llama2 template, or a tokenizer directory (a tokenizer.json) with its own template.
//   data_bench [--mib 256] [--dir /tmp] [--tokenizer DIR]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "cell/cell_spec.h"  // load_plugin
#include "cell/dataset.h"
#include "plugin/library.h"

namespace {

using namespace longalign::host;
using Clock = std::chrono::steady_clock;

void write_jsonl(const std::filesystem::path& file, size_t mib) {
  std::ofstream out(file);
  std::mt19937 rng(1);
  std::string doc;
  size_t written = 0;
  for (int line = 0; written < (mib << 20); ++line) {
    doc.clear();
    const size_t chars = 16000 + rng() % 48000;  // 16k-64k characters, as long examples run
    while (doc.size() < chars) doc += "word" + std::to_string(rng() % 10000) + (rng() % 12 ? " " : ".\\n");
    std::string l = R"({"messages":[{"role":"user","content":")" + doc + R"( What does it say?"},{"role":"assistant","content":"It lists words, line )" +
                    std::to_string(line) + R"(."}]})" + "\n";
    out << l;
    written += l.size();
  }
}

nlohmann::json jsonl_plugins() {
  return {{"jsonl-messages", {{"file", std::string(LONGALIGN_BUNDLED_PLUGIN_DIR) + "/jsonl-messages.so"}}}};
}

// A [[data]] entry reading one JSONL file, its parameters resolved as a plan resolves them.
DataEntry jsonl_entry(const nlohmann::json& plugins, const std::filesystem::path& jsonl) {
  DataEntry e;
  e.source = "jsonl-messages";
  e.params.value = resolve_params(load_plugin(plugins, e.source)->info(), {{"files", {jsonl.string()}}});
  return e;
}

// The cell settings the entry is built with: "byte" and "llama2", or a directory and "auto".
std::string tokenizer = "byte", chat_template = "llama2";

struct Measure {
  double seconds = 0;
  long peak_rss_kib = 0;
  int64_t tokens = 0;
};

// Builds the entry in a child process so its peak RSS is its own.
Measure build_in_child(const std::filesystem::path& jsonl, const std::filesystem::path& cache_dir) {
  int fds[2];
  if (pipe(fds) != 0) std::exit(1);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const nlohmann::json plugins = jsonl_plugins();
    const DataEntry entry = jsonl_entry(plugins, jsonl);
    TokenCache cache(cache_dir);
    auto t0 = Clock::now();
    bool built = false;
    auto file = cached_entry("bench", entry, plugins, 0, tokenizer, chat_template, cache, &built);
    Measure m;
    m.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    m.tokens = file->meta()["record"]["tokens"];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    m.peak_rss_kib = ru.ru_maxrss;
    if (write(fds[1], &m, sizeof m) != sizeof m) _exit(1);
    _exit(built ? 0 : 2);
  }
  close(fds[1]);
  Measure m;
  if (read(fds[0], &m, sizeof m) != sizeof m) std::exit(1);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "the build failed\n");
    std::exit(1);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 256;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--mib")) mib = std::stoul(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--tokenizer")) tokenizer = std::filesystem::absolute(argv[i + 1]).string(), chat_template = "auto";
  }
  dir /= "longalign-data-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::printf("tokenizer %s, chat template %s\n", tokenizer.c_str(), chat_template.c_str());
  std::printf("%-10s %10s %12s %10s %14s\n", "file", "seconds", "MB/s", "Mtokens", "peak RSS MiB");
  Measure big{};
  long small_rss = 0;
  for (size_t size : {mib / 8, mib}) {
    const auto jsonl = dir / ("data-" + std::to_string(size) + ".jsonl");
    write_jsonl(jsonl, size);
    const double mb = static_cast<double>(std::filesystem::file_size(jsonl)) / 1e6;
    Measure m = build_in_child(jsonl, dir / ("cache-" + std::to_string(size)));
    std::printf("%4zu MiB   %10.2f %12.1f %10.1f %14.1f\n", size, m.seconds, mb / m.seconds, static_cast<double>(m.tokens) / 1e6,
                static_cast<double>(m.peak_rss_kib) / 1024);
    if (size == mib) big = m;
    else small_rss = m.peak_rss_kib;
  }
  std::printf("peak RSS %zu MiB / %zu MiB file: %.2fx (flat: ~1)\n", mib, mib / 8,
              static_cast<double>(big.peak_rss_kib) / static_cast<double>(small_rss));

  // Reading the big entry back: what each cell after the first pays.
  TokenCache cache(dir / ("cache-" + std::to_string(mib)));
  auto t0 = Clock::now();
  const nlohmann::json plugins = jsonl_plugins();
  const DataEntry entry = jsonl_entry(plugins, dir / ("data-" + std::to_string(mib) + ".jsonl"));
  bool built = true;
  auto file = cached_entry("bench", entry, plugins, 0, tokenizer, chat_template, cache, &built);
  int64_t tokens = 0;
  for (size_t i = 0; i < file->size(); ++i) tokens += static_cast<int64_t>(file->sequence(i).ids.size());
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("cache hit: %s, %.1f Mtokens read back in %.2f s (%.0f Mtokens/s)\n", built ? "no" : "yes",
              static_cast<double>(tokens) / 1e6, s, static_cast<double>(tokens) / 1e6 / s);
  std::filesystem::remove_all(dir);
  return built ? 1 : 0;
}
