// The experiments' sweeps, scaled down to seconds (the `tiny` preset, fewer epochs) and run end to
// end as the README runs them: the base model's two stages, the second loading the first's model
// from its results file.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "store/store.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

std::optional<double> run_metric(const std::filesystem::path& db, const std::string& name) {
  Store store(db.string());
  auto q = store.db().prepare("SELECT value FROM run_metrics WHERE name = ?1");
  q.bind(1, name);
  if (!q.step()) return std::nullopt;
  return q.real_at(0);
}

std::optional<double> first_loss(const std::filesystem::path& db) {
  Store store(db.string());
  auto q = store.db().prepare("SELECT value FROM step_metrics WHERE name = 'loss' AND step = 0");
  if (!q.step()) return std::nullopt;
  return q.real_at(0);
}

TEST(Experiments, TheBaseModelPretrainsThenExtendsItsContext) {
  test::ScratchDir dir("experiments-base");
  const std::string experiments = LONGALIGN_SOURCE_DIR "/experiments/";
  const auto base = dir.path / "base.sqlite", extended = dir.path / "base-long.sqlite";
  auto r = dir.longalign({"run", experiments + "base.toml", "--db", base.string(), "--set", "config.model.preset=\"tiny\"",
                          "--set", "config.train.epochs=4"},
                         std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto loss = run_metric(base, "heldout.loss"), unigram = run_metric(base, "heldout.unigram_loss");
  ASSERT_TRUE(loss && unigram);
  EXPECT_LT(*loss, *unigram) << "four epochs of the license texts beat knowing byte frequencies";

  r = dir.longalign({"run", experiments + "base-long.toml", "--db", extended.string(), "--set",
                     "config.model.init_from=\"" + base.string() + "\"", "--set", "config.train.epochs=1"},
                    std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(first_loss(extended));
  EXPECT_LT(*first_loss(extended), std::log(259.0) - 1.0) << "the extension starts from the pretrained weights, not random ones";
  ASSERT_TRUE(run_metric(extended, "heldout.loss"));
}

}  // namespace
}  // namespace longalign::host
