// Training speed of the three batching methods on a LongAlign-like length mix, on any
// device the engine trains on, side by side in one run: naive batching (random batches padded to
// their longest), sorted batching (batches of similar lengths, in shuffled order) and packing
// (first-fit-decreasing rows, attention within each sequence). For each: real tokens/s, padding,
// model-FLOPs utilisation against the matmul peak measured in the same run, and the speed-up over
// naive. With --check it first compares gradients of one small batch: packed against padded rows,
// the device's precision against fp32, and the device against the CPU; and a step through a
// one-rank process group (NCCL on a CUDA build that has it).
//
// It needs the engine and libtorch alone (no host, no TOML), so it is also the driver of the CUDA
// build (CMake -DLONGALIGN_ENGINE_ONLY=ON against a pip torch; README "Scaling out"):
//   train_bench --device cuda --precision bf16 --d-model 1024 --layers 16 --vocab 32000 --check
// On CPU divide the mix's lengths and the row by --scale (16 to 64 fit 2 cores) and take a preset:
//   train_bench --preset small --scale 64 --long 4 --short 20
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "engine.h"

namespace {

using namespace longalign::engine;

struct Options {
  std::string device = "cpu", precision = "fp32", preset, methods = "naive,sorted,packed";
  ModelConfig model = model_preset("base");
  int64_t scale = 1, n_long = 8, n_short = 40, batch = 8;
  uint64_t seed = 0;
  int threads = 2;
  bool check = false, checkpointing = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "train_bench: %s\nusage: train_bench [--device cpu|cuda] [--precision fp32|bf16] [--preset NAME]\n"
               "  [--d-model N] [--layers N] [--heads N] [--kv-heads N] [--d-ff N] [--vocab N] [--scale K]\n"
               "  [--long N] [--short N] [--batch N] [--methods naive,sorted,packed] [--seed S] [--threads N]\n"
               "  [--checkpointing] [--check]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  bool d_ff_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--check") { o.check = true; continue; }
    if (a == "--checkpointing") { o.checkpointing = true; continue; }
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    auto num = [&] {
      char* end = nullptr;
      long long x = std::strtoll(v.c_str(), &end, 10);
      if (*end || x < 0) usage((a + " takes a non-negative integer, not '" + v + "'").c_str());
      return static_cast<int64_t>(x);
    };
    if (a == "--device") o.device = v;
    else if (a == "--precision") o.precision = v;
    else if (a == "--preset") o.model = model_preset(v);
    else if (a == "--methods") o.methods = v;
    else if (a == "--d-model") o.model.d_model = num();
    else if (a == "--layers") o.model.n_layers = num();
    else if (a == "--heads") o.model.n_heads = o.model.n_kv_heads = num();
    else if (a == "--kv-heads") o.model.n_kv_heads = num();
    else if (a == "--d-ff") o.model.d_ff = num(), d_ff_given = true;
    else if (a == "--vocab") o.model.vocab_size = num();
    else if (a == "--scale") o.scale = std::max<int64_t>(1, num());
    else if (a == "--long") o.n_long = num();
    else if (a == "--short") o.n_short = num();
    else if (a == "--batch") o.batch = std::max<int64_t>(1, num());
    else if (a == "--seed") o.seed = static_cast<uint64_t>(num());
    else if (a == "--threads") o.threads = static_cast<int>(num());
    else usage(("unknown option " + a).c_str());
  }
  // Llama's MLP width for a d_model (8/3 d, rounded up to a multiple of 16) unless given.
  if (!d_ff_given) o.model.d_ff = (8 * o.model.d_model / 3 + 15) / 16 * 16;
  return o;
}

// The LongAlign-like mix: long examples log-uniform in 8,192-65,536 tokens, short chats log-normal
// (median 600, sigma 1) clipped to 16-4,096, all divided by `scale`; rows of 65,536 / scale.
std::vector<int64_t> length_mix(const Options& o) {
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u(std::log(8192.0), std::log(65536.0));
  std::normal_distribution<double> z(0.0, 1.0);
  std::vector<int64_t> n;
  for (int64_t i = 0; i < o.n_long; ++i) n.push_back(static_cast<int64_t>(std::exp(u(rng))) / o.scale);
  for (int64_t i = 0; i < o.n_short; ++i)
    n.push_back(static_cast<int64_t>(std::clamp(600.0 * std::exp(z(rng)), 16.0, 4096.0)) / o.scale);
  for (auto& x : n) x = std::max<int64_t>(x, 2);
  return n;
}

struct Sequence {
  std::vector<int64_t> ids;
};

// Rows of sequences as the engine takes them: padded (one per row, right-padded to the widest)
// or packed (several per row, boundaries kept). Every token after a sequence's first is a
// target; weights sum to 1 over the epoch, as the host's loss weighting would make them.
MicroBatch micro_batch(const std::vector<const Sequence*>& rows_of, const std::vector<std::vector<const Sequence*>>& packs,
                       int64_t width, float w) {
  MicroBatch mb;
  mb.packed = !packs.empty();
  mb.rows = static_cast<int64_t>(mb.packed ? packs.size() : rows_of.size());
  mb.width = width;
  for (int64_t r = 0; r < mb.rows; ++r) {
    std::vector<const Sequence*> in_row = mb.packed ? packs[static_cast<size_t>(r)] : std::vector<const Sequence*>{rows_of[static_cast<size_t>(r)]};
    std::vector<int64_t> cu = {0};
    for (const Sequence* s : in_row) {
      for (size_t t = 0; t < s->ids.size(); ++t) {
        mb.ids.push_back(s->ids[t]);
        mb.positions.push_back(static_cast<int64_t>(t));
        mb.weights.push_back(t == 0 ? 0.0f : w);
      }
      cu.push_back(cu.back() + static_cast<int64_t>(s->ids.size()));
    }
    for (int64_t t = cu.back(); t < width; ++t) {
      mb.ids.push_back(0);
      mb.positions.push_back(0);
      mb.weights.push_back(0.0f);
    }
    if (mb.packed) mb.cu_seqlens.push_back(cu);
  }
  return mb;
}

struct Step {
  std::vector<MicroBatch> micro_batches;
};

// The batching plugins live in the host, which the engine-only (CUDA) build does not have: the
// driver cuts its own plans, in their simplest form.
// Naive and sorted batching: `batch` sequences a step, padded to the step's longest, as many
// rows a micro-batch as fit the row budget of tokens.
std::vector<Step> padded_steps(std::vector<const Sequence*> order, int64_t batch, int64_t row_tokens, float w) {
  std::vector<Step> steps;
  for (size_t at = 0; at < order.size(); at += static_cast<size_t>(batch)) {
    std::vector<const Sequence*> group(order.begin() + static_cast<std::ptrdiff_t>(at),
                                       order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), at + static_cast<size_t>(batch))));
    int64_t width = 0;
    for (auto* s : group) width = std::max<int64_t>(width, static_cast<int64_t>(s->ids.size()));
    const size_t rows = static_cast<size_t>(std::max<int64_t>(1, row_tokens / width));
    Step step;
    for (size_t r = 0; r < group.size(); r += rows)
      step.micro_batches.push_back(micro_batch({group.begin() + static_cast<std::ptrdiff_t>(r),
                                                group.begin() + static_cast<std::ptrdiff_t>(std::min(group.size(), r + rows))},
                                               {}, width, w));
    steps.push_back(std::move(step));
  }
  return steps;
}

// Packing: first-fit-decreasing into rows of the row budget, one row a micro-batch; steps of as
// many rows as hold `batch` sequences on average.
std::vector<Step> packed_steps(const std::vector<Sequence>& seqs, int64_t batch, int64_t row_tokens, float w) {
  std::vector<const Sequence*> by_length;
  for (auto& s : seqs) by_length.push_back(&s);
  std::stable_sort(by_length.begin(), by_length.end(), [](auto* a, auto* b) { return a->ids.size() > b->ids.size(); });
  std::vector<std::vector<const Sequence*>> rows;
  std::vector<int64_t> used;
  for (auto* s : by_length) {
    const auto n = static_cast<int64_t>(s->ids.size());
    size_t r = 0;
    while (r < rows.size() && used[r] + n > row_tokens) ++r;
    if (r == rows.size()) rows.emplace_back(), used.push_back(0);
    rows[r].push_back(s);
    used[r] += n;
  }
  const size_t rows_per_step = std::max<size_t>(1, static_cast<size_t>(std::llround(static_cast<double>(rows.size()) * batch / seqs.size())));
  std::vector<Step> steps;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r % rows_per_step == 0) steps.emplace_back();
    steps.back().micro_batches.push_back(micro_batch({}, {rows[r]}, used[r], w));
  }
  return steps;
}

TrainConfig train_config(const Options& o, const std::string& device, const std::string& precision) {
  TrainConfig tc;
  tc.device = device;
  tc.precision = precision;
  tc.threads = o.threads;
  tc.seed = o.seed;
  tc.lr = 1e-4;
  tc.total_steps = 1000;
  tc.gradient_checkpointing = o.checkpointing;
  return tc;
}

// Relative L2 distance of two gradients.
double distance(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0, n = 0;
  for (size_t i = 0; i < a.size(); ++i) d += (a[i] - b[i]) * double(a[i] - b[i]), n += b[i] * double(b[i]);
  return std::sqrt(d / std::max(n, 1e-30));
}

// Gradients of one small batch (from the same initial weights: the same seed), which attention
// moves far more than an untrained model's loss: packed vs padded rows on the device, the
// device's precision vs fp32 there, and the device vs the CPU in fp32. False when any disagree.
bool check(const Options& o, const std::vector<Sequence>& seqs) {
  std::vector<const Sequence*> few;
  for (auto& s : seqs)
    if (few.size() < 4 && s.ids.size() <= 512) few.push_back(&s);
  const float w = 1.0f / 1000;
  int64_t width = 0, total = 0;
  for (auto* s : few) width = std::max<int64_t>(width, static_cast<int64_t>(s->ids.size())), total += static_cast<int64_t>(s->ids.size());
  const MicroBatch padded = micro_batch(few, {}, width, w), packed = micro_batch({}, {few}, total, w);
  ModelConfig small = o.model;
  small.n_layers = std::min<int64_t>(small.n_layers, 2);
  Trainer dev(small, train_config(o, o.device, o.precision)), dev32(small, train_config(o, o.device, "fp32")),
      cpu(small, train_config(o, "cpu", "fp32"));
  const auto g_packed = dev.gradient({packed}), g_padded = dev.gradient({padded});
  const auto g_dev32 = dev32.gradient({packed}), g_cpu = cpu.gradient({packed});
  const bool bf16 = o.precision == "bf16";
  struct Row {
    std::string what;
    double distance, tolerance;
  };
  std::vector<Row> rows = {{o.precision + " packed vs padded rows on " + o.device, distance(g_packed, g_padded), bf16 ? 2e-2 : 1e-4}};
  if (bf16) rows.push_back({"bf16 vs fp32 on " + o.device, distance(g_packed, g_dev32), 5e-2});
  if (o.device != "cpu") rows.push_back({"fp32 " + o.device + " vs cpu", distance(g_dev32, g_cpu), 1e-4});
  // A one-rank process group (NCCL on CUDA where built, Gloo on CPU): a step through it must
  // change the weights exactly as a step without one.
  try {
    DataParallelConfig dpc;
    dpc.device = o.device;
    dpc.group_when_alone = true;
    dpc.master_port = 29577;
    TrainConfig tc = train_config(o, o.device, o.precision);
    tc.data_parallel = std::make_shared<DataParallel>(dpc);
    Trainer grouped(small, tc), alone(small, train_config(o, o.device, o.precision)), again(small, train_config(o, o.device, o.precision));
    const auto before = alone.parameters();
    alone.step({packed});
    grouped.step({packed});
    again.step({packed});
    // Measured against the step's own update: a reduction that dropped, doubled or mangled the
    // gradients would move the weights by about the whole update.
    const auto after = alone.parameters();
    double update = 0, off = 0, rerun = 0;
    const auto with_group = grouped.parameters(), rerun_weights = again.parameters();
    for (size_t i = 0; i < after.size(); ++i) {
      update += double(after[i] - before[i]) * (after[i] - before[i]);
      off += double(with_group[i] - after[i]) * (with_group[i] - after[i]);
      rerun += double(rerun_weights[i] - after[i]) * (rerun_weights[i] - after[i]);
    }
    std::printf("check: the same step again, without a group, differs by %.2e of the update\n", std::sqrt(rerun / update));
    rows.push_back({"one-rank group vs none (of the update)", std::sqrt(off / update), 1e-2});
  } catch (const std::exception& e) {
    std::printf("check: no process group on %s: %s\n", o.device.c_str(), e.what());
  }
  bool ok = true;
  std::printf("check: %zu sequences, %lld layers (relative L2 distances)\n", few.size(), static_cast<long long>(small.n_layers));
  for (auto& r : rows) {
    ok &= r.distance <= r.tolerance;
    std::printf("  %-40s %.2e (tolerance %.0e): %s\n", r.what.c_str(), r.distance, r.tolerance, r.distance <= r.tolerance ? "ok" : "DIFFERENT");
  }
  std::printf("\n");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::string why;
  if (!device_available(o.device, &why)) usage(why.c_str());
  keep_freed_memory_for_reuse();
  const std::vector<int64_t> lengths = length_mix(o);
  std::mt19937_64 rng(o.seed + 1);
  std::vector<Sequence> seqs;
  for (int64_t n : lengths) {
    Sequence s;
    std::uniform_int_distribution<int64_t> id(3, o.model.vocab_size - 1);
    for (int64_t t = 0; t < n; ++t) s.ids.push_back(id(rng));
    seqs.push_back(std::move(s));
  }
  const int64_t row_tokens = 65536 / o.scale;
  const double tokens = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  const float w = static_cast<float>(1.0 / (tokens - static_cast<double>(lengths.size())));
  const double peak = matmul_flops_per_second(o.precision == "bf16" ? DType::BF16 : DType::F32, o.device,
                                              o.device == "cpu" ? 2048 : 8192);
  const double flops = training_flops(o.model, lengths);
  std::printf("train_bench: %s, %s, d%lld x %lld layers, %lld heads (%lld kv), d_ff %lld, vocab %lld: %.1fM params\n",
              o.device.c_str(), o.precision.c_str(), static_cast<long long>(o.model.d_model), static_cast<long long>(o.model.n_layers),
              static_cast<long long>(o.model.n_heads), static_cast<long long>(o.model.n_kv_heads), static_cast<long long>(o.model.d_ff),
              static_cast<long long>(o.model.vocab_size), static_cast<double>(param_count(o.model)) / 1e6);
  std::printf("mix: %lld long + %lld short sequences, %.0f tokens, rows of %lld (lengths / %lld); batch %lld; matmul peak %.1f TFLOP/s\n\n",
              static_cast<long long>(o.n_long), static_cast<long long>(o.n_short), tokens, static_cast<long long>(row_tokens),
              static_cast<long long>(o.scale), static_cast<long long>(o.batch), peak / 1e12);
  const bool checked = !o.check || check(o, seqs);

  Trainer trainer(o.model, train_config(o, o.device, o.precision));
  {  // warm-up (kernels, allocator, libraries), not timed
    std::vector<Sequence> two(seqs.end() - 2, seqs.end());
    for (auto& s : packed_steps(two, 2, row_tokens, w)) trainer.step(s.micro_batches);
  }
  double naive_seconds = 0;
  std::string methods = o.methods + ",";
  for (size_t at; (at = methods.find(',')) != std::string::npos; methods.erase(0, at + 1)) {
    const std::string method = methods.substr(0, at);
    std::vector<const Sequence*> order;
    for (auto& s : seqs) order.push_back(&s);
    std::vector<Step> steps;
    if (method == "naive") {
      std::shuffle(order.begin(), order.end(), rng);
      steps = padded_steps(order, o.batch, row_tokens, w);
    } else if (method == "sorted") {
      std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->ids.size() < b->ids.size(); });
      steps = padded_steps(order, o.batch, row_tokens, w);
      std::shuffle(steps.begin(), steps.end(), rng);
    } else if (method == "packed") {
      steps = packed_steps(seqs, o.batch, row_tokens, w);
    } else {
      usage(("unknown method '" + method + "' (naive, sorted, packed)").c_str());
    }
    double slots = 0, seconds = 0, loss = 0;
    for (auto& s : steps) {
      for (auto& mb : s.micro_batches) slots += static_cast<double>(mb.rows * mb.width);
      const StepStats st = trainer.step(s.micro_batches);
      seconds += st.seconds;
      loss += st.loss;
    }
    if (method == "naive") naive_seconds = seconds;
    std::printf("%-7s %3zu steps  %9.0f slots (%4.1f%% padding)  %7.2f s  %9.0f tokens/s  MFU %5.1f%%", method.c_str(),
                steps.size(), slots, 100.0 * (1 - tokens / slots), seconds, tokens / seconds, 100.0 * flops / seconds / peak);
    if (naive_seconds > 0 && method != "naive") std::printf("  %.2fx naive's speed", naive_seconds / seconds);
    std::printf("  (epoch loss %.4f)\n", loss);
  }
  return checked ? 0 : 1;
}
