// A cell's typed config and its JSON form: the form is what the cell id hashes and what spec.json
// carries, so reading and writing it must give back exactly what was written, and a spec that
// lacks a key or has one of the wrong type is refused naming it.
#include <gtest/gtest.h>

#include "cell/cell_config.h"

namespace longalign::host {
namespace {

nlohmann::json resolved_config() {
  return nlohmann::json::parse(R"({
    "tokenizer": "byte", "chat_template": "llama2",
    "model": {"preset": "tiny", "d_model": 0, "layers": 4, "heads": 0, "kv_heads": 0, "d_ff": 0, "rope_theta": 0.0,
              "init_from": "/m", "init_sha256": "ab12"},
    "train": {"epochs": 3, "max_tokens": 1024, "rows_per_micro_batch": 1, "sequences_per_step": 8, "tokens_per_step": 0,
              "lr": 0.001, "warmup_ratio": 0.03, "schedule": "cosine", "min_lr_ratio": 0.1, "weight_decay": 0.0,
              "beta1": 0.9, "beta2": 0.95, "grad_clip": 1.0, "precision": "bf16", "gradient_checkpointing": false,
              "device": "cpu", "world_size": 2, "positions": "restart"},
    "eval": {"heldout": 16, "every_steps": 250, "during": ["tasks"]},
    "checkpoint": {"save": true, "every": 500, "keep": 2},
    "llm": {"url": "", "model": "", "api_key_env": "", "timeout_s": 120.0, "max_retries": 5, "requests_per_second": 0.0,
            "cache": true},
    "batching": {"plugin": "packing", "params": {"reshuffle": "per-epoch"}},
    "loss": {"plugin": "token-mean", "params": {}},
    "data": {"chats": {"source": "synthetic-chat", "params": {"seed": 1}, "count": 30, "ratio": 0.5, "min_tokens": 8,
                       "max_tokens": 900, "over_length": "truncate", "targets": "all"},
             "docs": {"source": "text-corpus", "params": {}}},
    "evaluate": {"tasks": {"evaluator": "task-accuracy", "params": {"max_new_tokens": 8},
                           "data": {"source": "corpus-tasks", "params": {}, "count": 32}},
                 "ppl": {"evaluator": "perplexity", "params": {}}}
  })");
}

TEST(CellConfig, ItsJsonFormIsWrittenBackExactly) {
  const nlohmann::json j = resolved_config();
  const CellConfig c = CellConfig::from_json(j);
  EXPECT_EQ(c.to_json(), j);
  EXPECT_EQ(c.to_json().dump(), j.dump()) << "the text the cell id hashes, numbers' types included";
}

TEST(CellConfig, ReadsEverySectionIntoItsField) {
  const CellConfig c = CellConfig::from_json(resolved_config());
  EXPECT_EQ(c.model.layers, 4);
  EXPECT_EQ(c.model.init_sha256, "ab12");
  EXPECT_EQ(c.train.max_tokens, 1024);
  EXPECT_EQ(c.train.lr, 0.001);
  EXPECT_EQ(c.train.world_size, 2);
  EXPECT_EQ(c.eval.during, std::vector<std::string>{"tasks"});
  EXPECT_EQ(c.checkpoint.every, 500);
  EXPECT_EQ(c.batching.plugin, "packing");
  EXPECT_EQ(c.batching.params.value["reshuffle"], "per-epoch");
  const DataEntry& chats = c.data.at("chats");
  EXPECT_EQ(chats.count, 30);
  EXPECT_TRUE(chats.truncates());
  EXPECT_TRUE(chats.trains_on_all_tokens());
  const DataEntry& docs = c.data.at("docs");
  EXPECT_FALSE(docs.count || docs.ratio || docs.min_tokens || docs.max_tokens);
  EXPECT_FALSE(docs.truncates());
  EXPECT_FALSE(docs.trains_on_all_tokens());
  EXPECT_EQ(docs.to_json(), (nlohmann::json{{"source", "text-corpus"}, {"params", nlohmann::json::object()}}))
      << "keys the sweep did not give stay absent";
  ASSERT_TRUE(c.evaluate.at("tasks").data);
  EXPECT_EQ(c.evaluate.at("tasks").data->count, 32);
  EXPECT_FALSE(c.evaluate.at("ppl").data);
  EXPECT_EQ(plugins_used(c),
            (std::vector<std::string>{"packing", "token-mean", "synthetic-chat", "text-corpus", "perplexity", "task-accuracy", "corpus-tasks"}));
}

TEST(CellConfig, WithoutAStartingModelThereIsNoHashToWrite) {
  nlohmann::json j = resolved_config();
  j["model"]["init_from"] = "";
  j["model"].erase("init_sha256");
  EXPECT_EQ(CellConfig::from_json(j).to_json(), j);
}

std::string refusal(const nlohmann::json& j) {
  try {
    CellConfig::from_json(j);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(CellConfig, AMissingOrMistypedKeyIsNamed) {
  nlohmann::json j = resolved_config();
  j["train"].erase("lr");
  EXPECT_EQ(refusal(j), "cell config: no train.lr");
  j = resolved_config();
  j["train"]["max_tokens"] = "1024";
  EXPECT_EQ(refusal(j), "cell config: train.max_tokens: expected an integer");
  j = resolved_config();
  j["train"]["lr"] = 1;  // an integer where a number is wanted reads as one
  EXPECT_EQ(refusal(j), "");
  j = resolved_config();
  j["data"]["chats"]["count"] = 2.5;
  EXPECT_EQ(refusal(j), "cell config: data.chats.count: expected an integer");
  j = resolved_config();
  j["evaluate"]["tasks"].erase("evaluator");
  EXPECT_EQ(refusal(j), "cell config: no evaluate.tasks.evaluator");
  j = resolved_config();
  j["batching"]["params"] = 3;
  EXPECT_EQ(refusal(j), "cell config: batching.params is not a table");
  j = resolved_config();
  j.erase("model");
  EXPECT_EQ(refusal(j), "cell config: no model");
}

}  // namespace
}  // namespace longalign::host
