// Data parallelism over c10d (Gloo): two ranks, each training its share of every step's
// micro-batches, end with the parameters and losses of one process training whole steps (the
// weights being normalised over the global step, gradients summed). Each rank is a forked
// process meeting the other at a TCPStore on a free loopback port.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <random>

#include "engine.h"
#include "util/ports.h"

namespace longalign::engine {
namespace {

// A padded micro-batch of one random row whose target weights are `w` each.
MicroBatch row(std::mt19937& rng, int64_t width, float w) {
  MicroBatch mb;
  mb.rows = 1;
  mb.width = width;
  for (int64_t t = 0; t < width; ++t) {
    mb.ids.push_back(static_cast<int64_t>(rng() % 256));
    mb.positions.push_back(t);
    mb.weights.push_back(t > 0 ? w : 0.0f);
  }
  return mb;
}

// steps x 4 micro-batches, weights summing to 1 over each step.
std::vector<std::vector<MicroBatch>> steps() {
  std::mt19937 rng(3);
  std::vector<std::vector<MicroBatch>> out(3);
  for (auto& s : out) {
    const int64_t widths[] = {17, 40, 9, 25};
    const float total = static_cast<float>(16 + 39 + 8 + 24);
    for (int64_t w : widths) s.push_back(row(rng, w, 1.0f / total));
  }
  return out;
}

TrainConfig config() {
  TrainConfig tc;
  tc.lr = 0.01;
  tc.total_steps = 3;
  tc.seed = 5;
  tc.grad_clip = 0.5;  // clipping sees the summed gradient: it must match too
  return tc;
}


std::vector<float> parameters(const Trainer& t) {
  std::vector<float> out;
  for (auto& d : t.model().tensors(DType::F32)) {
    const float* f = reinterpret_cast<const float*>(d.bytes.data());
    out.insert(out.end(), f, f + d.bytes.size() / sizeof(float));
  }
  return out;
}

TEST(DataParallel, TwoRanksTrainAsOneProcessDoes) {
  // The ranks first: forked before this process starts any torch thread pool.
  const int port = host::free_loopback_port();
  const std::string dir = ::testing::TempDir();
  std::vector<pid_t> ranks;
  for (int rank = 0; rank < 2; ++rank) {
    pid_t pid = fork();
    if (pid == 0) {
      TrainConfig tc = config();
      tc.data_parallel = std::make_shared<DataParallel>(DataParallelConfig{rank, 2, "127.0.0.1", port, 60});
      Trainer t(model_preset("tiny"), tc);
      std::ofstream out(dir + "/rank" + std::to_string(rank), std::ios::binary);
      for (auto& s : steps()) {
        std::vector<MicroBatch> mine;  // rank r takes micro-batches r, r + 2
        for (size_t i = static_cast<size_t>(rank); i < s.size(); i += 2) mine.push_back(s[i]);
        double loss = t.step(mine).loss;
        out.write(reinterpret_cast<const char*>(&loss), sizeof loss);
      }
      auto p = parameters(t);
      out.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size() * sizeof(float)));
      out.close();
      _exit(out ? 0 : 1);
    }
    ranks.push_back(pid);
  }
  for (pid_t pid : ranks) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  // One process, whole steps.
  Trainer single(model_preset("tiny"), config());
  std::vector<double> losses;
  for (auto& s : steps()) losses.push_back(single.step(s).loss);
  const std::vector<float> want = parameters(single);
  for (int rank = 0; rank < 2; ++rank) {
    std::ifstream in(dir + "/rank" + std::to_string(rank), std::ios::binary);
    for (double l : losses) {
      double got = 0;
      in.read(reinterpret_cast<char*>(&got), sizeof got);
      EXPECT_NEAR(got, l, 1e-5) << "rank " << rank << " reports the global step's loss";
    }
    std::vector<float> p(want.size());
    in.read(reinterpret_cast<char*>(p.data()), static_cast<std::streamsize>(p.size() * sizeof(float)));
    double worst = 0;
    for (size_t i = 0; i < p.size(); ++i) worst = std::max(worst, static_cast<double>(std::fabs(p[i] - want[i])));
    // The ranks sum each step's gradients in another order, so they differ in the last bits; AdamW's
    // first steps divide by sqrt(v) and can scale that up for a gradient near 0: within 1e-3 lr.
    EXPECT_LT(worst, 1e-3 * config().lr) << "rank " << rank;
  }
}

TEST(DataParallel, EnvironmentFollowsTorchrunThenSlurm) {
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "2", 1);
  setenv("MASTER_ADDR", "10.0.0.1", 1);
  setenv("MASTER_PORT", "29511", 1);
  auto c = data_parallel_from_environment();
  EXPECT_EQ(c.rank, 2);
  EXPECT_EQ(c.world_size, 4);
  EXPECT_EQ(c.master_addr, "10.0.0.1");
  EXPECT_EQ(c.master_port, 29511);
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  setenv("SLURM_NTASKS", "2", 1);
  setenv("SLURM_PROCID", "1", 1);
  c = data_parallel_from_environment();
  EXPECT_EQ(c.rank, 1);
  EXPECT_EQ(c.world_size, 2);
  unsetenv("MASTER_PORT");
  EXPECT_THROW(data_parallel_from_environment(), std::invalid_argument);
  for (const char* v : {"SLURM_NTASKS", "SLURM_PROCID", "MASTER_ADDR"}) unsetenv(v);
  EXPECT_EQ(data_parallel_from_environment().world_size, 1);
}

// A one-rank group on CPU (Gloo here; the CUDA build's NCCL is checked by train_bench --check on a
// GPU): steps through it train exactly as steps without one. Bad choices are refused by name.
TEST(DataParallel, AOneRankGroupChangesNothingAndBadBackendsAreRefused) {
  DataParallelConfig c;
  c.group_when_alone = true;
  c.master_port = host::free_loopback_port();
  auto model = model_preset("tiny");
  TrainConfig with;
  with.data_parallel = std::make_shared<DataParallel>(c);
  EXPECT_TRUE(with.data_parallel->reduces());
  Trainer grouped(model, with), alone(model, TrainConfig{});
  MicroBatch mb;
  mb.rows = 1, mb.width = 8, mb.ids = {256, 1, 2, 3, 4, 5, 6, 7}, mb.positions = {0, 1, 2, 3, 4, 5, 6, 7};
  mb.weights = {0, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0, 0};
  EXPECT_EQ(grouped.step({mb}).loss, alone.step({mb}).loss);
  EXPECT_EQ(grouped.parameters(), alone.parameters());
  DataParallelConfig bad;
  bad.backend = "mpi";
  EXPECT_THROW(DataParallel{bad}, std::invalid_argument);
}

}  // namespace
}  // namespace longalign::engine
