// model.init_from: a sweep starts from another sweep's trained cell, named by its results file
// and cell id, by its model/ directory or by one of its training checkpoints, with a new RoPE base (the paper's context extension);
// it starts where that cell ended (its first loss is the trained model's, not a random one's),
// and a missing or broken starting point is bad input at plan time, naming the key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "store/sqlite.h"
#include "test_dirs.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {

using namespace std::chrono_literals;

std::string sweep(const std::string& name, const std::string& extra) {
  return "name = \"" + name + "\"\n[config]\ntrain.epochs = 2\ntrain.sequences_per_step = 4\n" + extra +
         "\n[[data]]\nsource = \"synthetic-copy\"\nparams = { count = 120 }\n";
}

TEST(InitFrom, ASweepStartsFromAnotherSweepsCell) {
  test::ScratchDir d("init-from");
  auto run = [&](const std::string& file, const std::string& text, const std::string& db) {
    std::ofstream(d.path / file) << text;
    return run_process({test::kBin.string(), "run", (d.path / file).string(), "--db", (d.path / db).string()}, 300s);
  };
  ASSERT_TRUE(run("base.toml", sweep("base", "train.lr = 0.005\ncheckpoint.every = 20"), "base.sqlite").ok());
  std::string cell;
  {
    Database db((d.path / "base.sqlite").string(), false);
    auto s = db.prepare("SELECT cell_id FROM runs");
    ASSERT_TRUE(s.step());
    cell = s.text_at(0);
  }
  const double trained_from_scratch = test::first_loss(d.path / "base.sqlite");

  ProcessResult by_id = run("tune.toml", sweep("tune", "model.init_from = \"base.sqlite#" + cell.substr(0, 8) + "\"\nmodel.rope_theta = 1e6"),
                            "tune.sqlite");
  ASSERT_TRUE(by_id.ok()) << by_id.err;
  const double tuned = test::first_loss(d.path / "tune.sqlite");
  EXPECT_LT(tuned, trained_from_scratch - 1.0) << "the first step starts from the trained weights";

  ProcessResult by_dir = run("tune2.toml", sweep("tune2", "model.init_from = \"base/cells/" + cell + "/model\"\nmodel.rope_theta = 1e6"),
                             "tune2.sqlite");
  ASSERT_TRUE(by_dir.ok()) << by_dir.err;
  EXPECT_EQ(test::first_loss(d.path / "tune2.sqlite"), tuned) << "both ways name the same weights";

  // The results file alone: its one done cell.
  ProcessResult by_db = run("tune4.toml", sweep("tune4", "model.init_from = \"base.sqlite\"\nmodel.rope_theta = 1e6"), "tune4.sqlite");
  ASSERT_TRUE(by_db.ok()) << by_db.err;
  EXPECT_EQ(test::first_loss(d.path / "tune4.sqlite"), tuned) << "the file's one cell is the same weights";
  // A starting model is part of a cell's identity by its content, not by where it lies.
  auto cell_of = [&](const std::string& file) {
    ProcessResult p = run_process({test::kBin.string(), "plan", (d.path / file).string(), "--json"}, 60s);
    return p.ok() ? nlohmann::json::parse(p.out)["cells"][0]["id"].get<std::string>() : p.err;
  };
  EXPECT_EQ(cell_of("tune2.toml"), cell_of("tune4.toml"));

  // A training checkpoint's directory: its model/ inside.
  std::string step;
  for (auto& e : std::filesystem::directory_iterator(d.path / "base" / "cells" / cell / "checkpoints")) step = e.path().filename().string();
  ASSERT_FALSE(step.empty());
  ProcessResult by_checkpoint = run("tune3.toml", sweep("tune3", "model.init_from = \"base/cells/" + cell + "/checkpoints/" + step + "\""),
                                    "tune3.sqlite");
  ASSERT_TRUE(by_checkpoint.ok()) << by_checkpoint.err;
  EXPECT_LT(test::first_loss(d.path / "tune3.sqlite"), trained_from_scratch - 0.5) << "the checkpoint's weights are trained ones";

  std::ofstream(d.path / "bad.toml") << sweep("bad", "model.init_from = \"nowhere\"");
  ProcessResult bad = run_process({test::kBin.string(), "plan", (d.path / "bad.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:5:7: key 'model.init_from': "), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("nowhere: not a directory"), std::string::npos) << bad.err;
  std::ofstream(d.path / "bad2.toml") << sweep("bad2", "model.init_from = \"base.sqlite#ffffffffffff\"");
  bad = run_process({test::kBin.string(), "plan", (d.path / "bad2.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no done cell ffffffffffff in"), std::string::npos) << bad.err;
  // A results file of several done cells must be told which.
  ASSERT_TRUE(run("base.toml", sweep("base", "train.lr = 0.004\ncheckpoint.every = 20"), "base.sqlite").ok());
  std::ofstream(d.path / "bad3.toml") << sweep("bad3", "model.init_from = \"base.sqlite\"");
  bad = run_process({test::kBin.string(), "plan", (d.path / "bad3.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("base.sqlite holds several done cells: name one, as base.sqlite#"), std::string::npos) << bad.err;

  // YaRN instead of a new RoPE base: the cell trains with it, and its saved model carries it as
  // transformers reads it; a scaling without its factor is refused at plan time.
  ProcessResult yarn = run("yarn.toml", sweep("yarn", "model.init_from = \"base/cells/" + cell + "/model\"\nmodel.rope_scaling = \"yarn\"\n"
                                                      "model.rope_factor = 4.0\nmodel.rope_original_context = 512"),
                           "yarn.sqlite");
  ASSERT_TRUE(yarn.ok()) << yarn.err;
  std::filesystem::path yarn_model;
  for (auto& e : std::filesystem::directory_iterator(d.path / "yarn" / "cells")) yarn_model = e.path() / "model";
  const nlohmann::json scaled = nlohmann::json::parse(std::ifstream(yarn_model / "config.json"))["rope_scaling"];
  EXPECT_EQ(scaled["rope_type"], "yarn") << scaled;
  EXPECT_EQ(scaled["factor"], 4.0);
  EXPECT_EQ(scaled["original_max_position_embeddings"], 512);
  EXPECT_LT(test::first_loss(d.path / "yarn.sqlite"), trained_from_scratch - 0.5) << "it starts from the trained weights";
  std::ofstream(d.path / "nofactor.toml") << sweep("nofactor", "model.init_from = \"base/cells/" + cell + "/model\"\nmodel.rope_scaling = \"yarn\"");
  bad = run_process({test::kBin.string(), "plan", (d.path / "nofactor.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'model.rope_factor': yarn scaling needs the factor the context grows by"), std::string::npos) << bad.err;

  // A starting model whose tokenizer is only sentencepiece's tokenizer.model: refused, not bytes.
  const std::filesystem::path sentencepiece = d.path / "sentencepiece";
  std::filesystem::copy(d.path / "base" / "cells" / cell / "model", sentencepiece);
  std::ofstream(sentencepiece / "tokenizer.model") << "a sentencepiece model";
  std::ofstream(d.path / "spm.toml") << sweep("spm", "model.init_from = \"sentencepiece\"");
  bad = run_process({test::kBin.string(), "plan", (d.path / "spm.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'tokenizer': model.init_from's tokenizer is a sentencepiece tokenizer.model, which cells do not read"),
            std::string::npos)
      << bad.err;

  // The same weights as a Mistral with a sliding window: rows may not be longer than it.
  const std::filesystem::path mistral = d.path / "mistral";
  std::filesystem::copy(d.path / "base" / "cells" / cell / "model", mistral);
  nlohmann::json config = nlohmann::json::parse(std::ifstream(mistral / "config.json"));
  config["model_type"] = "mistral";
  config["architectures"] = {"MistralForCausalLM"};
  config.erase("attention_bias");
  config["sliding_window"] = 256;
  std::ofstream(mistral / "config.json") << config.dump();
  std::ofstream(d.path / "window.toml") << sweep("window", "model.init_from = \"mistral\"\ntrain.max_tokens = 512");
  bad = run_process({test::kBin.string(), "plan", (d.path / "window.toml").string()}, 60s);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("key 'train.max_tokens': 512 is longer than model.init_from's sliding_window (256"), std::string::npos) << bad.err;
  std::ofstream(d.path / "window.toml") << sweep("window", "model.init_from = \"mistral\"\ntrain.max_tokens = 256");
  EXPECT_EQ(run_process({test::kBin.string(), "plan", (d.path / "window.toml").string()}, 60s).exit_code, 0);
}

}  // namespace
}  // namespace longalign::host
