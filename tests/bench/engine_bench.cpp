// The engine's speed and memory, side by side in one run (2-core Debian 12 figures in the README):
//   1. the matmul peak of each dtype (2048^3), measured here, against which MFU is counted;
//   2. a training step of the `base` preset (d512 x 8 layers, byte vocab), and of the same at
//      d1024, on one packed row of 2,048 tokens in fp32 and in mixed bf16 (taking turns): step
//      time, tokens/s, MFU (FLOPs: 6 * params * tokens + 6 * layers * d *
//      sum n_i^2), and bf16's speed-up;
//   3. attention over one row of mixed lengths, forward + backward: tiled per segment (packed) vs
//      masked T x T vs each sequence alone: time and peak RSS, each in a fresh process;
//   4. peak RSS of a training step on one 32,768-token packed row, vocab 32,000, 2 layers, d512:
//      chunked vs unchunked loss, each in a fresh process;
//   6. gradient checkpointing: a `base` step on one packed row of 8,192 tokens (4 x 2,048) with
//      and without recomputing each layer, each in a fresh process: peak RSS and step time;
//   7. generation with and without the key/value cache, `base`, prompts of 512, 2,048 and
//      8,192 tokens, 16 new tokens (greedy): new tokens per second, prompt included;
//   5. the C++ trainer against the same model, weights (one safetensors file) and row in Python
//      PyTorch eager (tests/bench/python_step.py, Debian's python3-torch), fp32 against fp32 and
//      bf16 autocast against bf16 autocast: step time ratio and the losses side by side.
// Usage: engine_bench [--skip-loss-memory] [--skip-python] [--skip-checkpointing] [--skip-generation]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <fstream>
#include <string>
#include <vector>

#include "engine.h"
#include <nlohmann/json.hpp>

#include "attention.h"
#include "checkpoint/hf_checkpoint.h"
#include "util/subprocess.h"
#include "llama_network.h"

namespace {

using namespace longalign::engine;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// This process image's peak RSS: /proc's VmHWM starts afresh at exec, where getrusage's
// ru_maxrss keeps the forked parent's peak (the bench's children would all report section 2's).
double peak_rss_mib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  return 0;
}


// One packed row of `lengths`, every token but each sequence's first a target, weights summing to 1.
MicroBatch packed_row(const std::vector<int64_t>& lengths, int64_t vocab) {
  MicroBatch mb;
  mb.rows = 1;
  mb.packed = true;
  std::vector<int64_t> cu = {0};
  for (int64_t n : lengths) cu.push_back(cu.back() + n);
  mb.width = cu.back();
  mb.cu_seqlens = {cu};
  const float w = 1.0f / static_cast<float>(mb.width - static_cast<int64_t>(lengths.size()));
  for (size_t s = 0; s < lengths.size(); ++s)
    for (int64_t k = 0; k < lengths[s]; ++k) {
      mb.ids.push_back((k * 131 + static_cast<int64_t>(s) * 7) % vocab);
      mb.positions.push_back(k);
      mb.weights.push_back(k == 0 ? 0.0f : w);
    }
  return mb;
}


// The median step of each trainer, `steps` rounds after one warm-up step each, the trainers
// taking turns within a round, so a drift of the machine's speed reaches all of them alike.
std::vector<StepStats> median_steps(std::vector<Trainer*> trainers, const MicroBatch& mb, int steps) {
  for (Trainer* tr : trainers) tr->step({mb});
  std::vector<std::vector<StepStats>> t(trainers.size());
  for (int i = 0; i < steps; ++i)
    for (size_t j = 0; j < trainers.size(); ++j) t[j].push_back(trainers[j]->step({mb}));
  std::vector<StepStats> out;
  for (auto& v : t) {
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.seconds < b.seconds; });
    out.push_back(v[v.size() / 2]);
  }
  return out;
}

// Runs this binary with `args` and returns what it printed.
std::string child(const std::vector<std::string>& args) {
  int fd[2];
  if (pipe(fd) != 0) return "";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fd[1]);
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

// Child: attention forward + backward over a row of mixed lengths; prints "seconds peak_mib".
const std::vector<int64_t> kMixed = {3000, 1500, 900, 700, 500, 400, 300, 300, 200, 200, 100, 92};  // T = 8,192

int attention_child(const std::string& variant, torch::ScalarType dtype) {
  const int64_t H = 8, D = 64;
  std::vector<int64_t> cu = {0};
  for (int64_t n : kMixed) cu.push_back(cu.back() + n);
  const int64_t T = cu.back();
  auto make = [&] { return torch::randn({H, T, D}).to(dtype).requires_grad_(true); };
  auto q = make(), k = make(), v = make();
  auto run = [&] {
    torch::Tensor out;
    if (variant == "packed") {
      out = segment_attention(q, k, v, cu);
    } else if (variant == "masked") {
      auto seq = torch::zeros({T}, torch::kLong);
      for (size_t i = 0; i + 1 < cu.size(); ++i) seq.narrow(0, cu[i], cu[i + 1] - cu[i]).fill_(static_cast<int64_t>(i));
      auto same = seq.unsqueeze(0) == seq.unsqueeze(1);
      auto allowed = same.logical_and(torch::ones({T, T}, torch::kBool).tril());
      auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(D));
      out = torch::matmul(torch::softmax(scores.masked_fill(allowed.logical_not(), -INFINITY), -1), v);
    } else {  // each sequence alone, as its own call
      std::vector<torch::Tensor> parts;
      for (size_t i = 0; i + 1 < cu.size(); ++i) {
        auto qi = q.narrow(1, cu[i], cu[i + 1] - cu[i]).contiguous(), ki = k.narrow(1, cu[i], cu[i + 1] - cu[i]).contiguous(),
             vi = v.narrow(1, cu[i], cu[i + 1] - cu[i]).contiguous();
        segment_attention(qi, ki, vi, {0, cu[i + 1] - cu[i]}).sum().backward();
      }
      return;
    }
    out.sum().backward();
  };
  run();  // warm-up
  auto t0 = Clock::now();
  const int n = 3;
  for (int i = 0; i < n; ++i) run();
  std::printf("%.6f %.1f\n", seconds_since(t0) / n, peak_rss_mib());
  return 0;
}

// Child: one training step on a 32,768-token packed row, vocab 32,000; prints "seconds peak_mib".
int loss_child(const std::string& variant) {
  ModelConfig c = model_preset("base");
  c.n_layers = 2;
  c.vocab_size = 32000;
  TrainConfig tc;
  tc.threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  tc.loss_chunk = variant == "chunked" ? 4096 : 0;
  Trainer tr(c, tc);
  MicroBatch mb = packed_row(std::vector<int64_t>(16, 2048), c.vocab_size);
  auto t0 = Clock::now();
  tr.step({mb});
  std::printf("%.3f %.1f\n", seconds_since(t0), peak_rss_mib());
  return 0;
}

// Child: a base step with or without gradient checkpointing; prints "seconds peak_mib".
int checkpointing_child(bool on) {
  TrainConfig tc;
  tc.threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  tc.gradient_checkpointing = on;
  Trainer tr(model_preset("base"), tc);
  const MicroBatch row = packed_row({2048, 2048, 2048, 2048}, 259);
  tr.step({row});  // warm-up
  const double s = tr.step({row}).seconds;
  std::printf("%.3f %.1f\n", s, peak_rss_mib());
  return 0;
}

// Section 5: the C++ trainer and python_step.py on the same model, weights and row. The machine's
// speed drifts by 10% or more within minutes, so the C++ steps bracket Python's: a warm-up and
// 5 steps (their losses against Python's), Python's warm-up and 5 steps, then 5 more C++ steps.
void python_comparison(int threads) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("longalign-bench-" + std::to_string(getpid()));
  const ModelConfig c = model_preset("base");
  longalign::host::save_hf_checkpoint(dir / "model", c, Model(c, 1).tensors(DType::F32));
  const MicroBatch row = packed_row({2048}, c.vocab_size);
  {
    std::string ids;
    for (int64_t id : row.ids) ids += (ids.empty() ? "" : ",") + std::to_string(id);
    std::ofstream(dir / "ids.txt") << ids;
  }
  const int steps = 5;
  auto spread = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    char buf[96];
    std::snprintf(buf, sizeof buf, "%.2f s/step (median of %zu, %.2f-%.2f)", v[v.size() / 2], v.size(), v.front(), v.back());
    return std::make_pair(v[v.size() / 2], std::string(buf));
  };
  for (const char* precision : {"fp32", "bf16"}) {
    auto ck = longalign::host::load_hf_checkpoint(dir / "model");
    Model m(ck.config);
    m.load(ck.tensors);
    TrainConfig tc;
    tc.lr = 1e-3;
    tc.schedule = "constant";
    tc.threads = threads;
    tc.precision = precision;
    Trainer tr(std::move(m), tc);
    std::vector<double> ours, our_s;
    for (int i = 0; i <= steps; ++i) {
      StepStats st = tr.step({row});
      ours.push_back(st.loss);
      if (i > 0) our_s.push_back(st.seconds);
    }
    auto r = longalign::host::run_process({"/usr/bin/python3", LONGALIGN_SOURCE_DIR "/tests/bench/python_step.py",
                                           (dir / "model").string(), (dir / "ids.txt").string(), std::to_string(steps),
                                           std::to_string(threads), precision},
                                          std::chrono::minutes(10));
    if (!r.ok()) {
      std::printf("   %s: python_step.py %s\n%s", precision, r.describe().c_str(), r.err.c_str());
      continue;
    }
    for (int i = 0; i < steps; ++i) our_s.push_back(tr.step({row}).seconds);
    auto py = nlohmann::json::parse(r.out);
    std::vector<double> theirs = py["losses"], their_s = py["seconds"];
    their_s.erase(their_s.begin());  // the warm-up step
    double worst = 0;
    std::string losses;
    for (size_t i = 0; i < ours.size(); ++i) {
      worst = std::max(worst, std::fabs(ours[i] - theirs[i]) / std::fabs(theirs[i]));
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%.6f/%.6f", i ? ", " : "", ours[i], theirs[i]);
      losses += buf;
    }
    auto [our_median, our_text] = spread(our_s);
    auto [their_median, their_text] = spread(their_s);
    std::printf("   %s: C++ %s\n         Python %s\n         %.2fx the steps/s (goal >= 2)\n", precision, our_text.c_str(),
                their_text.c_str(), their_median / our_median);
    std::printf("         losses C++/Python by step: %s; largest relative difference %.1e%s\n", losses.c_str(), worst,
                std::string(precision) == "fp32" ? " (goal <= 1e-5)" : "");
  }
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory_for_reuse();
  const int threads = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  at::set_num_threads(threads);
  if (argc == 4 && std::strcmp(argv[1], "--attention") == 0)
    return attention_child(argv[2], std::strcmp(argv[3], "bf16") == 0 ? torch::kBFloat16 : torch::kFloat);
  if (argc == 3 && std::strcmp(argv[1], "--loss") == 0) return loss_child(argv[2]);
  if (argc == 3 && std::strcmp(argv[1], "--checkpointing") == 0) return checkpointing_child(std::strcmp(argv[2], "on") == 0);
  bool skip_loss = false, skip_python = false, skip_checkpointing = false, skip_generation = false;
  for (int i = 1; i < argc; ++i) {
    skip_loss |= std::strcmp(argv[i], "--skip-loss-memory") == 0;
    skip_python |= std::strcmp(argv[i], "--skip-python") == 0;
    skip_checkpointing |= std::strcmp(argv[i], "--skip-checkpointing") == 0;
    skip_generation |= std::strcmp(argv[i], "--skip-generation") == 0;
  }

  std::printf("engine_bench: %d threads\n\n1. matmul peak (2048^3)\n", threads);
  const double peak32 = matmul_flops_per_second(DType::F32), peak16 = matmul_flops_per_second(DType::BF16);
  std::printf("   fp32 %.0f GFLOP/s   bf16 %.0f GFLOP/s\n\n", peak32 / 1e9, peak16 / 1e9);

  // The shapes: d_model >= 512, T >= 2,048. The base preset, and the same at d1024 (16
  // heads of 64), where matmuls are a larger share of the step.
  ModelConfig wide = model_preset("base");
  wide.d_model = 1024;
  wide.n_heads = wide.n_kv_heads = 16;
  wide.d_ff = 2752;
  const std::vector<int64_t> one = {2048};
  int section2 = 0;
  for (const ModelConfig& c : {model_preset("base"), wide}) {
    std::printf("%s training step, d%lld x %lld layers (%.1fM params%s), one packed row of 2,048 tokens\n", section2++ ? "\n  " : "2.",
                static_cast<long long>(c.d_model), static_cast<long long>(c.n_layers), static_cast<double>(param_count(c)) / 1e6,
                c.d_model == 512 ? ", preset base" : "");
    const double flops = training_flops(c, one);
    double tps32 = 0;
    std::vector<std::unique_ptr<Trainer>> trainers;
    for (const char* precision : {"fp32", "bf16"}) {
      TrainConfig tc;
      tc.threads = threads;
      tc.precision = precision;
      trainers.push_back(std::make_unique<Trainer>(c, tc));
    }
    const std::vector<StepStats> medians = median_steps({trainers[0].get(), trainers[1].get()}, packed_row(one, 259), 5);
    for (int i = 0; i < 2; ++i) {
      const char* precision = i == 0 ? "fp32" : "bf16";
      const StepStats& st = medians[static_cast<size_t>(i)];
      const double sec = st.seconds;
      const double peak = i == 0 ? peak32 : peak16;
      const double tps = 2048 / sec;
      if (tps32 == 0) tps32 = tps;
      std::printf("   %s: %.2f s/step (median of 5, the two precisions taking turns), %.0f tokens/s, MFU %.1f%% of the %s peak%s\n",
                  precision, sec, tps, 100.0 * flops / sec / peak, precision,
                  tps32 != tps ? (", " + std::to_string(tps / tps32).substr(0, 4) + "x fp32's tokens/s (goal >= 3)").c_str() : "");
      std::printf("         forward %.2f s, backward %.2f s (attention in both: %.2f s; loss head, forward and backward: %.3f s), optimizer %.2f s\n",
                  st.forward_seconds, st.backward_seconds, st.attention_seconds, st.loss_seconds, st.optimizer_seconds);
    }
  }

  std::printf("\n3. attention forward + backward, 8 heads x 64, one row of %zu sequences (T = 8,192, sum n_i^2 / T^2 = ",
              kMixed.size());
  double sq = 0;
  for (int64_t n : kMixed) sq += static_cast<double>(n * n);
  std::printf("%.3f)\n", sq / (8192.0 * 8192.0));
  double t_packed = 0, t_alone = 0, t_masked = 0;
  for (const char* variant : {"packed", "masked", "alone"}) {
    double sec = 0, mib = 0;
    std::sscanf(child({"--attention", variant, "fp32"}).c_str(), "%lf %lf", &sec, &mib);
    std::printf("   %-7s %.3f s, peak RSS %.0f MiB\n", variant, sec, mib);
    (std::string(variant) == "packed" ? t_packed : std::string(variant) == "masked" ? t_masked : t_alone) = sec;
  }
  std::printf("   packed / alone %.2f (goal <= 1.1); masked / packed %.1f (goal >= 0.5 * T^2 / sum n_i^2 = %.1f)\n",
              t_packed / t_alone, t_masked / t_packed, 0.5 * 8192.0 * 8192.0 / sq);
  double sec16 = 0, mib16 = 0;
  std::sscanf(child({"--attention", "packed", "bf16"}).c_str(), "%lf %lf", &sec16, &mib16);
  std::printf("   packed in bf16: %.3f s, peak RSS %.0f MiB\n", sec16, mib16);

  if (!skip_loss) {
    std::printf("\n4. one training step, 32,768-token packed row, vocab 32,000, 2 layers, d512\n");
    double mib[2] = {0, 0};
    int i = 0;
    for (const char* variant : {"chunked", "unchunked"}) {
      double sec = 0;
      std::sscanf(child({"--loss", variant}).c_str(), "%lf %lf", &sec, &mib[i]);
      std::printf("   %-9s loss: %.1f s, peak RSS %.0f MiB\n", variant, sec, mib[i++]);
    }
    std::printf("   chunked / unchunked peak RSS %.2f (goal <= 0.5)\n", mib[0] / mib[1]);
  }
  if (!skip_checkpointing) {
    std::printf("\n6. gradient checkpointing, base, one packed row of 8,192 tokens (4 x 2,048), fp32\n");
    double sec[2] = {0, 0}, mib[2] = {0, 0};
    for (int on = 0; on < 2; ++on) {
      std::sscanf(child({"--checkpointing", on ? "on" : "off"}).c_str(), "%lf %lf", &sec[on], &mib[on]);
      std::printf("   %-13s %.2f s/step, peak RSS %.0f MiB\n", on ? "recomputing" : "keeping all", sec[on], mib[on]);
    }
    std::printf("   memory %.2fx, time %.2fx\n", mib[1] / mib[0], sec[1] / sec[0]);
  }
  if (!skip_generation) {
    std::printf("\n7. generation, base, 16 new tokens (greedy), prompt included\n");
    Model m(model_preset("base"), 1);
    for (int64_t n : {512, 2048, 8192}) {
      std::vector<int64_t> prompt = {256};
      for (int64_t i = 1; i < n; ++i) prompt.push_back((i * 131) % 256);
      double tps[2] = {0, 0};
      for (int cached = 1; cached >= 0; --cached) {
        Model::Sampling s;
        s.max_new_tokens = 16;
        s.use_cache = cached;
        auto t0 = Clock::now();
        m.generate(prompt, s);
        tps[cached] = 16 / seconds_since(t0);
      }
      std::printf("   prompt %5lld: %.1f tokens/s with the cache, %.2f without: %.1fx\n", static_cast<long long>(n), tps[1], tps[0],
                  tps[1] / tps[0]);
    }
  }
  if (!skip_python) {
    std::printf("\n5. the same model, weights and row (base, T 2,048) in C++ and in Python PyTorch eager\n");
    python_comparison(threads);
  }
  return 0;
}
