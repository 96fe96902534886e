// Hugging Face checkpoints: a save/load round trip is exact (one file and shards; F32 exactly,
// BF16 and F16 to their precision), bad files fail naming the file and tensor, and the engine's
// next-token log-probs, through `longalign score`, equal an independent Python reference's
// (tests/reference/llama_reference.py, Debian's python3-torch, no transformers) on tiny
// checkpoints with grouped-query heads, a non-default rope_theta, tied embeddings and shards,
// and the Qwen2, Qwen3, scaled-RoPE Llama and Mistral variants,
// while the interleaved rotary convention gives different ones.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "checkpoint/checkpoint_error.h"
#include "checkpoint/hf_checkpoint.h"
#include "checkpoint/hf_config.h"
#include "util/subprocess.h"

namespace longalign::host {
namespace {
namespace fs = std::filesystem;

const fs::path kBin = LONGALIGN_BIN;
const fs::path kReference = LONGALIGN_SOURCE_DIR "/tests/reference/llama_reference.py";

struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("longalign-ckpt-" + std::to_string(getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

engine::ModelConfig gqa_config() {
  engine::ModelConfig c;
  c.vocab_size = 300;
  c.d_model = 64;
  c.n_layers = 2;
  c.n_heads = 8;
  c.n_kv_heads = 2;
  c.d_ff = 96;
  c.rope_theta = 500000.0;
  c.norm_eps = 1e-6;
  return c;
}

engine::ModelConfig tied_config() {
  engine::ModelConfig c = gqa_config();
  c.n_kv_heads = 8;
  c.rope_theta = 10000.0;
  c.tie_embeddings = true;
  return c;
}

// The Llama variants of other families: Qwen2's q/k/v biases; Qwen3's q/k norms and a head
// size of its own; Llama's attention_bias with Llama-3.1's RoPE scaling; Mistral with linear.
engine::ModelConfig qwen2_config() {
  engine::ModelConfig c = gqa_config();
  c.family = "qwen2";
  c.qkv_bias = true;
  return c;
}
engine::ModelConfig qwen3_config() {
  engine::ModelConfig c = gqa_config();
  c.family = "qwen3";
  c.qk_norm = true;
  c.head_dim = 16;  // 8 heads of 16 from a width of 64
  return c;
}
engine::ModelConfig llama3_scaled_config() {
  engine::ModelConfig c = gqa_config();
  c.qkv_bias = c.o_bias = true;
  // With heads of 8 and rope_theta 500,000 the wavelengths are 6, 167, 4,443 and 118,000
  // positions: one kept, one blended, two stretched.
  c.rope_scaling = {"llama3", 8.0, 1.0, 4.0, 256};
  return c;
}
engine::ModelConfig qwen2_yarn_config() {
  engine::ModelConfig c = qwen2_config();
  // Over an original context of 64: the fastest of the four frequencies kept, the rest divided
  // by 4, and cos and sin scaled by 0.1 ln 4 + 1.
  c.rope_scaling.type = "yarn";
  c.rope_scaling.factor = 4.0;
  c.rope_scaling.original_max_position_embeddings = 64;
  c.rope_scaling.attention_factor = 0.1 * std::log(4.0) + 1.0;
  return c;
}
engine::ModelConfig mistral_linear_config() {
  engine::ModelConfig c = tied_config();
  c.family = "mistral";
  c.rope_scaling.type = "linear";
  c.rope_scaling.factor = 4.0;
  return c;
}

// A model whose norms are not all ones and whose biases are not zero, so the test exercises
// them, and whose queries and keys are large enough for attention to depend on position.
engine::Model random_model(const engine::ModelConfig& c, uint64_t seed) {
  engine::Model m(c, seed);
  std::vector<engine::TensorData> t = m.tensors(engine::DType::F32);
  std::vector<engine::TensorView> views;
  for (auto& d : t) {
    const bool bias = d.name.size() > 5 && d.name.compare(d.name.size() - 5, 5, ".bias") == 0;
    if (d.name.find("norm") != std::string::npos || bias) {
      auto* f = reinterpret_cast<float*>(d.bytes.data());
      for (size_t i = 0; i < d.bytes.size() / 4; ++i)
        f[i] = (bias ? -0.5f : 0.5f) + static_cast<float>((i * 7919 + seed) % 100) / 100.0f;
    }
    if (d.name.find("q_proj.weight") != std::string::npos || d.name.find("k_proj.weight") != std::string::npos) {
      auto* f = reinterpret_cast<float*>(d.bytes.data());
      for (size_t i = 0; i < d.bytes.size() / 4; ++i) f[i] *= 8.0f;
    }
    views.push_back({d.name, d.dtype, d.shape, d.bytes.data()});
  }
  m.load(views);
  return m;
}

std::vector<int64_t> sample_ids() {
  std::vector<int64_t> ids;
  for (int i = 0; i < 40; ++i) ids.push_back((i * 37 + 11) % 300);
  return ids;
}

std::vector<float> load_and_score(const fs::path& dir, const std::vector<int64_t>& ids) {
  HfCheckpoint ck = load_hf_checkpoint(dir);
  engine::Model m(ck.config);
  m.load(ck.tensors);
  return m.next_token_logprobs(ids);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  return d;
}

TEST(Checkpoint, RoundTripIsExactInOneFileAndInShards) {
  for (auto config : {gqa_config(), tied_config(), qwen2_config(), qwen3_config(), llama3_scaled_config()}) {
    engine::Model m = random_model(config, 3);
    const auto ids = sample_ids();
    const auto want = m.next_token_logprobs(ids);
    TempDir one, sharded;
    save_hf_checkpoint(one.path / "m", config, m.tensors(engine::DType::F32));
    save_hf_checkpoint(sharded.path / "m", config, m.tensors(engine::DType::F32), 40000);
    EXPECT_TRUE(fs::exists(sharded.path / "m" / "model.safetensors.index.json"));
    int shards = 0;
    for (auto& f : fs::directory_iterator(sharded.path / "m")) shards += f.path().filename().string().rfind("model-0", 0) == 0;
    EXPECT_GE(shards, 3) << "40 kB shards";
    EXPECT_EQ(load_and_score(one.path / "m", ids), want);
    EXPECT_EQ(load_and_score(sharded.path / "m", ids), want);
    // The loaded weights are the saved ones, bit for bit.
    HfCheckpoint ck = load_hf_checkpoint(one.path / "m");
    auto saved = m.tensors(engine::DType::F32);
    ASSERT_EQ(ck.tensors.size(), saved.size());
    for (size_t i = 0; i < saved.size(); ++i)
      EXPECT_EQ(std::memcmp(ck.tensors[i].data, saved[i].bytes.data(), saved[i].bytes.size()), 0) << saved[i].name;
  }
}

TEST(Checkpoint, HalfPrecisionFilesLoadToTheirPrecision) {
  engine::Model m = random_model(gqa_config(), 4);
  const auto ids = sample_ids();
  const auto want = m.next_token_logprobs(ids);
  for (auto dtype : {engine::DType::BF16, engine::DType::F16}) {
    TempDir d;
    save_hf_checkpoint(d.path / "m", gqa_config(), m.tensors(dtype));
    const double diff = max_abs_diff(load_and_score(d.path / "m", ids), want);
    EXPECT_GT(diff, 0.0) << "the weights were rounded";
    EXPECT_LT(diff, dtype == engine::DType::BF16 ? 5e-2 : 5e-3);
  }
}

std::string load_error(const fs::path& dir) {
  try {
    load_hf_checkpoint(dir);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "";
}

void overwrite(const fs::path& file, size_t offset, const std::string& bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(Checkpoint, BadFilesFailNamingTheFileAndTensor) {
  engine::Model m = random_model(gqa_config(), 5);
  TempDir d;
  const fs::path dir = d.path / "m", file = dir / "model.safetensors";
  const std::string where = file.string() + ": ";
  auto fresh = [&](const engine::ModelConfig& c) { save_hf_checkpoint(dir, c, m.tensors(engine::DType::F32)); };

  fresh(gqa_config());
  fs::resize_file(file, fs::file_size(file) - 100);
  EXPECT_EQ(load_error(dir).rfind(where + "tensor '", 0), 0u) << load_error(dir);
  EXPECT_NE(load_error(dir).find("a truncated file?"), std::string::npos) << load_error(dir);

  fresh(gqa_config());
  overwrite(file, 8, "[");  // the header's opening brace
  EXPECT_EQ(load_error(dir).rfind(where + "bad JSON header", 0), 0u) << load_error(dir);

  fresh(gqa_config());
  overwrite(file, 0, std::string("\xff\xff\xff\xff\xff\x00\x00\x00", 8));
  EXPECT_EQ(load_error(dir).rfind(where + "header size", 0), 0u) << load_error(dir);

  // A config that implies other tensors than the file holds.
  engine::ModelConfig more = gqa_config();
  fresh(more);
  more.n_layers = 3;
  {
    std::ofstream(dir / "config.json") << hf_config_json(more, engine::DType::F32);
  }
  EXPECT_EQ(load_error(dir), dir.string() + ": tensor 'model.layers.2.input_layernorm.weight' is missing (config.json implies it)");
  engine::ModelConfig wider = gqa_config();
  wider.d_ff = 128;
  {
    std::ofstream(dir / "config.json") << hf_config_json(wider, engine::DType::F32);
  }
  EXPECT_EQ(load_error(dir), where + "tensor 'model.layers.0.mlp.gate_proj.weight' has shape [96,64], config.json implies [128,64]");

  fresh(gqa_config());
  {
    std::ofstream(dir / "config.json") << R"({"hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
      "num_attention_heads": 8, "num_key_value_heads": 2, "vocab_size": 300, "rope_scaling": {"type": "dynamic", "factor": 2.0}})";
  }
  EXPECT_EQ(load_error(dir).rfind((dir / "config.json").string() + ": key 'rope_scaling': ", 0), 0u) << load_error(dir);
  fs::remove(dir / "model.safetensors");
  fs::remove(dir / "config.json");
  EXPECT_EQ(load_error(dir), dir.string() + ": no config.json (a Hugging Face model directory has one)");
}

// The engine, through the real `longalign score`, against the Python reference.
std::vector<float> run_json(const std::vector<std::string>& argv) {
  ProcessResult r = run_process(argv, std::chrono::seconds(120));
  EXPECT_TRUE(r.ok()) << argv[0] << ": " << r.describe() << "\n" << r.err;
  if (!r.ok()) return {};
  return nlohmann::json::parse(r.out).get<std::vector<float>>();
}

TEST(Checkpoint, ScoreMatchesAnIndependentPythonLlama) {
  ProcessResult has_torch = run_process({"/usr/bin/python3", "-c", "import torch"}, std::chrono::seconds(60));
  ASSERT_TRUE(has_torch.ok()) << "the reference needs Debian's python3-torch (apt install python3-torch)\n" << has_torch.err;
  std::string ids;
  for (int64_t id : sample_ids()) ids += (ids.empty() ? "" : ",") + std::to_string(id);
  struct Case {
    const char* name;
    engine::ModelConfig config;
    uint64_t shard_bytes;
  };
  for (const Case& c : {Case{"grouped-query heads, rope_theta 500000, one file", gqa_config(), 0},
                        Case{"tied embeddings, shards", tied_config(), 40000}, Case{"qwen2: q/k/v biases", qwen2_config(), 0},
                        Case{"qwen3: q/k norms, head_dim 16 of a width of 64", qwen3_config(), 0},
                        Case{"llama: attention biases, llama3 RoPE scaling", llama3_scaled_config(), 0},
                        Case{"mistral: linear RoPE scaling, tied", mistral_linear_config(), 0},
                        Case{"qwen2: yarn RoPE scaling", qwen2_yarn_config(), 0}}) {
    TempDir d;
    const std::vector<engine::TensorData> weights = random_model(c.config, 7).tensors(engine::DType::F32);
    save_hf_checkpoint(d.path / "m", c.config, weights, c.shard_bytes);
    const std::string dir = (d.path / "m").string();
    auto ours = run_json({kBin.string(), "score", "--model", dir, "--ids", ids, "--json"});
    auto reference = run_json({"/usr/bin/python3", kReference.string(), dir, ids});
    ASSERT_EQ(ours.size(), sample_ids().size() - 1) << c.name;
    EXPECT_LT(max_abs_diff(ours, reference), 1e-4) << c.name;
    if (c.config.rope_scaling.type.empty()) {
      // The comparison can tell rotary conventions apart.
      auto interleaved = run_json({"/usr/bin/python3", kReference.string(), dir, ids, "--interleaved-rope"});
      EXPECT_GT(max_abs_diff(ours, interleaved), 1e-3) << c.name;
    } else {
      // And the scaling changes what the model computes: the same weights unscaled score otherwise.
      engine::ModelConfig unscaled = c.config;
      unscaled.rope_scaling = {};
      save_hf_checkpoint(d.path / "unscaled", unscaled, weights);
      auto plain = run_json({kBin.string(), "score", "--model", (d.path / "unscaled").string(), "--ids", ids, "--json"});
      EXPECT_GT(max_abs_diff(ours, plain), 1e-3) << c.name;
    }
  }
}

// The golden fixture: checkpoints that real transformers wrote (5.x: `dtype`, `rope_parameters`),
// with its log-probabilities; remade by tests/reference/make_transformers_golden.py.
TEST(Checkpoint, ScoreMatchesRealTransformersOnItsOwnCheckpoints) {
  const fs::path fixture = LONGALIGN_SOURCE_DIR "/tests/fixtures/transformers-llama";
  std::ifstream in(fixture / "golden.json");
  const auto golden = nlohmann::json::parse(in);
  ASSERT_EQ(golden["cases"].size(), 2u);
  for (auto& c : golden["cases"]) {
    std::string ids;
    for (auto& id : c["ids"]) ids += (ids.empty() ? "" : ",") + std::to_string(id.get<int64_t>());
    auto ours = run_json({kBin.string(), "score", "--model", (fixture / c["dir"].get<std::string>()).string(), "--ids", ids, "--json"});
    const auto want = c["logprobs"].get<std::vector<float>>();
    ASSERT_EQ(ours.size(), want.size()) << c["dir"];
    EXPECT_LT(max_abs_diff(ours, want), 1e-5) << c["dir"] << " (" << c["dtype"] << ", transformers " << golden["transformers"] << ")";
  }
}

TEST(Checkpoint, ScoreTextUsesTheByteTokenizerAndRejectsBadInput) {
  engine::ModelConfig c = gqa_config();
  TempDir d;
  engine::Model m = random_model(c, 8);
  save_hf_checkpoint(d.path / "m", c, m.tensors(engine::DType::F32));
  const std::string dir = (d.path / "m").string();
  // BOS (256), then the bytes of "hi".
  EXPECT_EQ(run_json({kBin.string(), "score", "--model", dir, "--text", "hi", "--json"}), m.next_token_logprobs({256, 'h', 'i'}));
  ProcessResult bad = run_process({kBin.string(), "score", "--model", dir, "--ids", "1,2,999"}, std::chrono::seconds(60));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("token id 999 is outside the vocabulary (size 300)"), std::string::npos) << bad.err;
  ProcessResult none = run_process({kBin.string(), "score", "--model", dir}, std::chrono::seconds(60));
  EXPECT_EQ(none.exit_code, 2);
}

TEST(Checkpoint, GenerateContinuesAPromptAndCutsItInTheMiddle) {
  engine::ModelConfig c = gqa_config();
  TempDir d;
  engine::Model m = random_model(c, 9);
  save_hf_checkpoint(d.path / "m", c, m.tensors(engine::DType::F32));
  const std::string dir = (d.path / "m").string();
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {kBin.string(), "generate", "--model", dir, "--max-new-tokens", "12", "--json"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessResult r = run_process(argv, std::chrono::seconds(60));
    EXPECT_TRUE(r.ok()) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  engine::Model::Sampling greedy;
  greedy.max_new_tokens = 12;
  greedy.stop_token = 257;
  std::vector<int64_t> prompt = {256, 'a', 'b', 'c', 'd', 'e', 'f'};
  auto j = run({"--prompt", "abcdef"});
  EXPECT_EQ(j["ids"].get<std::vector<int64_t>>(), m.generate(prompt, greedy));
  EXPECT_EQ(run({"--prompt", "abcdef", "--no-cache"})["ids"], j["ids"]);
  // 7 tokens cut to 4: BOS and 'a', then 'e' and 'f'.
  auto cut = run({"--prompt", "abcdef", "--max-prompt-tokens", "4"});
  EXPECT_EQ(cut["prompt_tokens"], 4);
  EXPECT_EQ(cut["ids"].get<std::vector<int64_t>>(), m.generate({256, 'a', 'e', 'f'}, greedy));
}

TEST(Checkpoint, AModelDirectorysSentencepieceTokenizerIsUsedAndATokenizerJsonAloneIsRefused) {
  // The pieces come from Debian's spm_encode: this binary links libtorch, and sentencepiece
  // stays out of such processes (the CLI tokenizes).
  TempDir d;
  {
    std::ofstream corpus(d.path / "corpus.txt");
    for (int i = 0; i < 200; ++i)
      corpus << "the quick brown fox " << i << " jumps over the lazy dog; long context alignment needs long data\n";
  }
  ProcessResult train = run_process({"/usr/bin/spm_train", "--input=" + (d.path / "corpus.txt").string(),
                                     "--model_prefix=" + (d.path / "sp").string(), "--vocab_size=120", "--model_type=bpe",
                                     "--unk_id=0", "--bos_id=1", "--eos_id=2"},
                                    std::chrono::seconds(120));
  ASSERT_TRUE(train.ok()) << "needs Debian's sentencepiece (spm_train)\n" << train.err;
  const std::string text = "the lazy fox";
  {
    std::ofstream(d.path / "text.txt") << text << "\n";
  }
  ProcessResult encoded = run_process({"/usr/bin/spm_encode", "--model=" + (d.path / "sp.model").string(), "--output_format=id",
                                       "--input=" + (d.path / "text.txt").string()},
                                      std::chrono::seconds(60));
  ASSERT_TRUE(encoded.ok()) << encoded.err;
  std::vector<int64_t> pieces = {1};  // BOS
  std::istringstream in(encoded.out);
  for (int64_t id; in >> id;) pieces.push_back(id);
  ASSERT_LT(pieces.size(), text.size()) << "pieces, not bytes";

  engine::ModelConfig c = gqa_config();
  c.vocab_size = 120;
  engine::Model m = random_model(c, 10);
  save_hf_checkpoint(d.path / "m", c, m.tensors(engine::DType::F32));
  fs::copy_file(d.path / "sp.model", d.path / "m" / "tokenizer.model");
  const std::string dir = (d.path / "m").string();
  EXPECT_EQ(run_json({kBin.string(), "score", "--model", dir, "--text", text, "--json"}), m.next_token_logprobs(pieces));

  fs::remove(d.path / "m" / "tokenizer.model");
  std::ofstream(d.path / "m" / "tokenizer.json") << "{}";
  ProcessResult refused = run_process({kBin.string(), "score", "--model", dir, "--text", text}, std::chrono::seconds(60));
  EXPECT_EQ(refused.exit_code, 2);
  // A tokenizer.json is read before a tokenizer.model; one that is not a tokenizer is refused by
  // file and JSON path.
  EXPECT_NE(refused.err.find("tokenizer.json at /: no member 'model'"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace longalign::host
