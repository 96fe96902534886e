#include "sweep/config_schema.h"

#include "engine.h"

namespace longalign::host {
namespace {

ParamInfo key(const char* name, la_param_type t, nlohmann::json def, const char* doc,
              std::optional<double> min = std::nullopt, std::vector<std::string> choices = {}) {
  return ParamInfo{name, t, std::move(def), doc, min, std::nullopt, std::move(choices)};
}

}  // namespace

const std::vector<ParamInfo>& config_schema() {
  static const std::vector<ParamInfo> keys = {
      key("model.preset", LA_PARAM_STRING, "tiny", "Model size preset", std::nullopt, engine::model_preset_names()),
      key("model.d_model", LA_PARAM_INT, 0, "Width of a model trained from scratch; 0: the preset's (SwiGLU's d_ff follows: 8/3 of it)", 0.0),
      key("model.layers", LA_PARAM_INT, 0, "Transformer layers; 0: the preset's", 0.0),
      key("model.heads", LA_PARAM_INT, 0, "Attention heads (head size: d_model / heads); 0: the preset's", 0.0),
      key("model.kv_heads", LA_PARAM_INT, 0, "Key/value heads (fewer than heads: grouped-query attention); 0: as many as heads", 0.0),
      key("model.d_ff", LA_PARAM_INT, 0, "SwiGLU hidden size; 0: the preset's, or 8/3 of model.d_model where that is set", 0.0),
      key("model.rope_theta", LA_PARAM_FLOAT, 0.0, "RoPE base; 0 keeps the preset's or init_from's (10,000 for the presets)", 0.0),
      key("model.rope_scaling", LA_PARAM_STRING, "keep",
          "RoPE scaling for a longer context (the alternative to raising model.rope_theta): keep (the preset's or init_from's), "
          "none, linear (positions interpolated by model.rope_factor) or yarn (YaRN over model.rope_original_context)",
          std::nullopt, {"keep", "none", "linear", "yarn"}),
      key("model.rope_factor", LA_PARAM_FLOAT, 0.0, "How many times longer the context gets under linear or yarn scaling", 0.0),
      key("model.rope_original_context", LA_PARAM_INT, 0,
          "yarn: the context the starting model was trained at (its train.max_tokens, say)", 0.0),
      key("model.init_from", LA_PARAM_STRING, "",
          "Start from these weights: a Hugging Face Llama directory (a cell's model/ is one), or RESULTS_DB#CELL_ID for a "
          "done cell of another sweep; its config.json replaces model.preset"),
      key("tokenizer", LA_PARAM_STRING, "auto",
          "Tokenizer: byte (256 byte tokens + BOS, EOS, PAD), a directory holding a tokenizer.json, or auto: "
          "model.init_from's tokenizer.json where it has one, else byte"),
      key("chat_template", LA_PARAM_STRING, "auto",
          "How chats become tokens: auto (the tokenizer directory's own Jinja chat template where it has one, else llama2), "
          "llama2 ([INST] ... [/INST]) or plain",
          std::nullopt, {"auto", "llama2", "plain"}),
      key("train.epochs", LA_PARAM_INT, 1, "Passes over the data (0: no training; the cell holds out, saves and evaluates the weights it starts from)", 0.0),
      key("train.max_tokens", LA_PARAM_INT, 2048, "A row's token budget (the paper's 64k, scaled)", 1.0),
      key("train.rows_per_micro_batch", LA_PARAM_INT, 1, "Rows in one forward/backward pass", 1.0),
      key("train.sequences_per_step", LA_PARAM_INT, 8, "Sequences per optimizer step (0: use tokens_per_step)", 0.0),
      key("train.tokens_per_step", LA_PARAM_INT, 0, "Real tokens per optimizer step (0: use sequences_per_step)", 0.0),
      {"train.lr", LA_PARAM_FLOAT, 1e-3, "Peak learning rate (AdamW)", 0.0, 1.0, {}},
      {"train.warmup_ratio", LA_PARAM_FLOAT, 0.03, "Share of the steps spent warming up (the paper's 3%)", 0.0, 1.0, {}},
      key("train.schedule", LA_PARAM_STRING, "cosine", "Learning-rate decay after warmup", std::nullopt,
          {"cosine", "linear", "constant"}),
      {"train.min_lr_ratio", LA_PARAM_FLOAT, 0.1, "Where the decay ends, as a share of train.lr", 0.0, 1.0, {}},
      key("train.weight_decay", LA_PARAM_FLOAT, 0.0, "AdamW weight decay (the paper's 0)", 0.0),
      {"train.beta1", LA_PARAM_FLOAT, 0.9, "AdamW beta1", 0.0, 0.999999, {}},
      {"train.beta2", LA_PARAM_FLOAT, 0.95, "AdamW beta2 (the paper's 0.95)", 0.0, 0.999999, {}},
      key("train.grad_clip", LA_PARAM_FLOAT, 1.0, "Clip the gradient norm to this; 0 = no clipping", 0.0),
      key("train.precision", LA_PARAM_STRING, "fp32",
          "fp32, or bf16: bf16 compute (CPU autocast), fp32 master weights, loss and weights", std::nullopt, {"fp32", "bf16"}),
      key("train.gradient_checkpointing", LA_PARAM_BOOL, false,
          "Recompute each layer in the backward pass: less memory for about a third more compute, the same gradients"),
      key("train.device", LA_PARAM_STRING, "cpu", "Where the cell trains: cpu, or cuda where the engine is built against a CUDA libtorch (refused at plan otherwise)",
          std::nullopt, {"cpu", "cuda"}),
      key("train.world_size", LA_PARAM_INT, 1,
          "Processes training the cell together (data parallel over c10d/Gloo): each takes a share of every step's "
          "micro-batches and the cell's cores", 1.0),
      key("train.positions", LA_PARAM_STRING, "restart", "Position ids restart for each sequence of a packed row, or run on (the paper's code)",
          std::nullopt, {"restart", "running"}),
      key("eval.heldout", LA_PARAM_INT, 0,
          "Examples set aside from the data (a seeded choice) to measure held-out target loss against the unigram baseline", 0.0),
      key("eval.every_steps", LA_PARAM_INT, 0,
          "Every this many optimizer steps, run the evaluations eval.during names on the model in training, stored by "
          "step (step_metrics eval.NAME.METRIC) for accuracy-by-step curves; 0: only after training", 0.0),
      key("eval.during", LA_PARAM_LIST, nlohmann::json::array(),
          "The [[evaluate]] entries (by name) that run every eval.every_steps steps; empty: all of them"),
      key("checkpoint.save", LA_PARAM_BOOL, true, "Save the trained model as a Hugging Face directory, model/ in the cell's folder"),
      key("checkpoint.every", LA_PARAM_INT, 100,
          "Save the training state every this many optimizer steps, so a killed cell resumes there (0: never)", 0.0),
      key("checkpoint.keep", LA_PARAM_INT, 2, "Training checkpoints kept per cell (the newest)", 1.0),
      key("llm.url", LA_PARAM_STRING, "",
          "An OpenAI-compatible endpoint (e.g. http://127.0.0.1:8000/v1) for the sources that ask an LLM (self-instruct) "
          "and the judge; empty: none"),
      key("llm.model", LA_PARAM_STRING, "", "The model the endpoint serves"),
      key("llm.api_key_env", LA_PARAM_STRING, "", "The environment variable holding its API key (never stored); empty: no key"),
      key("llm.timeout_s", LA_PARAM_FLOAT, 120.0, "Seconds a request may take", 0.001),
      key("llm.max_retries", LA_PARAM_INT, 5, "Retries of a request that failed in a way a retry can fix (429, 5xx, timeouts)", 0.0),
      key("llm.requests_per_second", LA_PARAM_FLOAT, 0.0, "The most requests a second each cell sends (0: no limit)", 0.0),
      key("llm.cache", LA_PARAM_BOOL, true, "Keep replies on disk by the request's hash, so a rerun costs nothing"),
      key("batching.plugin", LA_PARAM_STRING, "naive", "The batching strategy plugin"),
      key("batching.params", LA_PARAM_TABLE, nlohmann::json::object(), "Its parameters"),
      key("loss.plugin", LA_PARAM_STRING, "token-mean", "The loss weighting plugin"),
      key("loss.params", LA_PARAM_TABLE, nlohmann::json::object(), "Its parameters"),
  };
  return keys;
}

const std::vector<ParamInfo>& data_entry_schema() {
  static const std::vector<ParamInfo> keys = {
      key("source", LA_PARAM_STRING, "", "The data-source plugin"),
      key("params", LA_PARAM_TABLE, nlohmann::json::object(), "Its parameters"),
      key("count", LA_PARAM_INT, nullptr, "Exactly this many examples (absent: all of them)", 0.0),
      {"ratio", LA_PARAM_FLOAT, nullptr, "This fraction of the source's examples, instead of count", 0.0, 1.0, {}},
      key("min_tokens", LA_PARAM_INT, nullptr, "Drop examples shorter than this many tokens, rendered (read on to keep count exact)", 1.0),
      key("max_tokens", LA_PARAM_INT, nullptr, "Examples longer than this many tokens, rendered, are handled as over_length says", 1.0),
      key("over_length", LA_PARAM_STRING, "drop",
          "Past max_tokens: drop the example (read on), or truncate the middle of its longest user turn (plain text: its end)",
          std::nullopt, {"drop", "truncate"}),
      key("targets", LA_PARAM_STRING, "assistant",
          "Which tokens the loss trains on: the assistant turns (and their end-of-turn token), or all: every token after "
          "the first, the prompt too (axolotl's train_on_inputs)",
          std::nullopt, {"assistant", "all"}),
  };
  return keys;
}

const std::vector<ParamInfo>& evaluate_entry_schema() {
  static const std::vector<ParamInfo> keys = {
      key("evaluator", LA_PARAM_STRING, "", "The evaluator plugin"),
      key("params", LA_PARAM_TABLE, nlohmann::json::object(), "Its parameters"),
      key("data", LA_PARAM_TABLE, nullptr,
          "Examples for the evaluator, as a [[data]] entry: { source = ..., params = {...}, count = N }"),
  };
  return keys;
}

}  // namespace longalign::host
