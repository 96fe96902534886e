// The experiments' sweeps, scaled down to seconds (the `tiny` preset, fewer epochs) and run end to
// end as the README runs them: the base model's two stages, the second loading the first's model
// from its results file.
#include <gtest/gtest.h>

#include <cmath>

#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

TEST(Experiments, TheBaseModelPretrainsThenExtendsItsContext) {
  test::ScratchDir dir("experiments-base");
  const std::string experiments = LONGALIGN_SOURCE_DIR "/experiments/";
  const auto base = dir.path / "base.sqlite", extended = dir.path / "base-long.sqlite";
  auto r = dir.longalign({"run", experiments + "base.toml", "--db", base.string(), "--set", "config.model.preset=\"tiny\"",
                          "--set", "config.train.epochs=4"},
                         std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double loss = test::run_metric(base, "heldout.loss"), unigram = test::run_metric(base, "heldout.unigram_loss");
  ASSERT_GT(loss, 0);
  EXPECT_LT(loss, unigram) << "four epochs of the license texts beat knowing byte frequencies";

  r = dir.longalign({"run", experiments + "base-long.toml", "--db", extended.string(), "--set",
                     "config.model.init_from=\"" + base.string() + "\"", "--set", "config.train.epochs=1"},
                    std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_GT(test::first_loss(extended), 0);
  EXPECT_LT(test::first_loss(extended), std::log(259.0) - 1.0) << "the extension starts from the pretrained weights, not random ones";
  EXPECT_GT(test::run_metric(extended, "heldout.loss"), 0);
}

}  // namespace
}  // namespace longalign::host
