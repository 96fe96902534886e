// Data-parallel scaling on this machine: the same global step (two micro-batches of one packed
// row each) trained by one process with one thread, and by two Gloo ranks with one thread each,
// one micro-batch per rank. The hardware's own ceiling is measured in the same run: a 1-thread
// sgemm alone, and two at once in two processes. Prints the scaling efficiency and its share of
// that ceiling (goal >= 0.9).
//   data_parallel_bench [--preset small] [--tokens 1024] [--steps 4]
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include <torch/torch.h>

#include "engine.h"
#include "util/ports.h"

namespace {

using namespace longalign;
using Clock = std::chrono::steady_clock;

engine::MicroBatch row(uint64_t seed, int64_t tokens) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  engine::MicroBatch mb;
  mb.rows = 1;
  mb.width = tokens;
  mb.packed = true;
  mb.cu_seqlens = {{0}};
  for (int64_t t = 0; t < tokens; ++t) {
    mb.ids.push_back(static_cast<int64_t>(rng() % 256));
    mb.positions.push_back(t % 256);
    mb.weights.push_back(t % 256 ? 1.0f / static_cast<float>(2 * tokens) : 0.0f);
    if ((t + 1) % 256 == 0 || t + 1 == tokens) mb.cu_seqlens[0].push_back(t + 1);
  }
  return mb;
}

// Seconds per step of `steps` steps (after one warm-up), for rank `rank` of `world` (world 1:
// both micro-batches here).
double train(const std::string& preset, int64_t tokens, int steps, int rank, int world, int port) {
  engine::TrainConfig tc;
  tc.threads = 1;
  tc.total_steps = steps + 1;
  if (world > 1) tc.data_parallel = std::make_shared<engine::DataParallel>(engine::DataParallelConfig{rank, world, "127.0.0.1", port, 120});
  engine::Trainer t(engine::model_preset(preset), tc);
  std::vector<engine::MicroBatch> mine;
  for (int m = 0; m < 2; ++m)
    if (world == 1 || m == rank) mine.push_back(row(static_cast<uint64_t>(m), tokens));
  t.step(mine);
  auto t0 = Clock::now();
  for (int s = 0; s < steps; ++s) t.step(mine);
  return std::chrono::duration<double>(Clock::now() - t0).count() / steps;
}

// GFLOP/s of a 1-thread 1024^3 sgemm, over about a second.
double sgemm_rate() {
  at::set_num_threads(1);
  auto a = torch::randn({1024, 1024}), b = torch::randn({1024, 1024});
  torch::matmul(a, b);
  int n = 0;
  auto t0 = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - t0).count() < 1.0) torch::matmul(a, b), ++n;
  return 2.0 * 1024 * 1024 * 1024 * n / std::chrono::duration<double>(Clock::now() - t0).count() / 1e9;
}

// Runs f in `n` processes at once; returns each one's result.
template <typename F>
std::vector<double> in_processes(int n, F f) {
  std::vector<int> fds;
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    int p[2];
    if (pipe(p) != 0) std::exit(1);
    pid_t pid = fork();
    if (pid == 0) {
      close(p[0]);
      double v = f(i);
      if (write(p[1], &v, sizeof v) != sizeof v) _exit(1);
      _exit(0);
    }
    close(p[1]);
    fds.push_back(p[0]);
    pids.push_back(pid);
  }
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    double v = 0;
    if (read(fds[static_cast<size_t>(i)], &v, sizeof v) != sizeof v) std::exit(1);
    out.push_back(v);
    waitpid(pids[static_cast<size_t>(i)], nullptr, 0);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string preset = "small";
  int64_t tokens = 1024;
  int steps = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--preset")) preset = argv[i + 1];
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::stoll(argv[i + 1]);
    if (!std::strcmp(argv[i], "--steps")) steps = std::stoi(argv[i + 1]);
  }
  // Each measurement in fresh processes, so no thread pool is shared across a fork.
  const double alone = in_processes(1, [&](int) { return sgemm_rate(); })[0];
  auto both = in_processes(2, [&](int) { return sgemm_rate(); });
  const double ceiling = (both[0] + both[1]) / (2 * alone);
  const double one = in_processes(1, [&](int) { return train(preset, tokens, steps, 0, 1, 0); })[0];
  const int port = host::free_loopback_port();
  auto two = in_processes(2, [&](int r) { return train(preset, tokens, steps, r, 2, port); });
  const double t2 = std::max(two[0], two[1]);
  const double efficiency = one / (2 * t2);
  std::printf("sgemm 1 thread: %.1f GFLOP/s alone, %.1f + %.1f two at once: ceiling %.3f\n", alone, both[0], both[1], ceiling);
  std::printf("step (%s, 2 x %lld tokens): 1 process %.3f s, 2 Gloo ranks %.3f s: scaling efficiency %.3f, %.3f of the ceiling (goal >= 0.9)\n",
              preset.c_str(), static_cast<long long>(tokens), one, t2, efficiency, efficiency / ceiling);
  return 0;
}
