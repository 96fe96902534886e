// The training engine's public face: a Llama-style decoder, its presets, and a trainer that
// takes micro-batches of padded or packed rows with a weight per target token. This header
// is torch-free (the implementation is libtorch and the standard library only), so the host's
// cell process can drive the engine without compiling against torch, and the engine builds alone
// against any libtorch, a CUDA one included.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace longalign::engine {

// RoPE's frequencies stretched for longer contexts, as transformers computes them: "linear"
// (position interpolation: every frequency divided by factor), "llama3" (Llama-3.1: long
// wavelengths divided by factor, short ones kept, a smooth band between), "yarn" (YaRN:
// frequencies that turn fewer than beta_slow times in the original context divided by factor,
// more than beta_fast times kept, a linear ramp between; cos and sin scaled by
// attention_factor), "" for none.
struct RopeScaling {
  std::string type;
  double factor = 1.0;
  double low_freq_factor = 1.0, high_freq_factor = 4.0;  // llama3
  int64_t original_max_position_embeddings = 8192;       // llama3, yarn
  double beta_fast = 32.0, beta_slow = 1.0;              // yarn
  double attention_factor = 1.0;                         // yarn: 0.1 ln(factor) + 1 unless config.json says
  bool truncate = true;                                  // yarn: the ramp's ends rounded outwards to whole dimensions
};

struct ModelConfig {
  int64_t vocab_size = 259;  // the byte tokenizer
  int64_t d_model = 64;
  int64_t n_layers = 2;
  int64_t n_heads = 4;
  int64_t n_kv_heads = 4;  // < n_heads: grouped-query attention
  int64_t d_ff = 172;      // SwiGLU hidden size
  double rope_theta = 10000.0;
  double norm_eps = 1e-5;
  bool tie_embeddings = false;
  // The Llama-family variants of Hugging Face's config.json (what a saved model is written as):
  std::string family = "llama";  // "llama", "mistral", "qwen2" or "qwen3"
  int64_t head_dim = 0;          // 0: d_model / n_heads (Qwen3 sets its own)
  bool qkv_bias = false;         // biases on the q, k and v projections (Qwen2; Llama's attention_bias)
  bool o_bias = false;           // and on o_proj (Llama's attention_bias)
  bool qk_norm = false;          // Qwen3: an RMSNorm over each head's queries and keys, before RoPE
  RopeScaling rope_scaling;
  int64_t sliding_window = 0;    // Mistral's, where config.json sets one: rows may not be longer (attention is full)

  int64_t head_size() const { return head_dim ? head_dim : d_model / n_heads; }
};

// "tiny" (trains on 2 cores in seconds), "small", "base", "llama2-7b".
ModelConfig model_preset(const std::string& name);  // throws std::invalid_argument
const std::vector<std::string>& model_preset_names();
int64_t param_count(const ModelConfig& c);  // computed, nothing allocated

// Tensors cross the engine's boundary in Hugging Face's names (LlamaForCausalLM:
// "model.layers.0.self_attn.q_proj.weight", "lm_head.weight", ...) and these dtypes.
enum class DType { F32, F16, BF16 };
size_t dtype_size(DType t);
struct TensorShape {
  std::string name;
  std::vector<int64_t> shape;
};
// Every tensor a model of this config has, in a fixed order, with its shape.
std::vector<TensorShape> tensor_layout(const ModelConfig& c);
struct TensorView {  // borrowed: data lives in the caller's buffer (a mapped file, say)
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
};
struct TensorData {  // owned, little-endian, row-major
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<unsigned char> bytes;
};

// Process-wide: keep freed tensor memory in the heap instead of returning it to the kernel
// (glibc). Call once at the start of a program that trains.
void keep_freed_memory_for_reuse();

// One forward/backward pass: `rows` rows of `width` token slots. A padded micro-batch has one
// sequence per row, right-padded; a packed one has several per row, with boundaries.
struct MicroBatch {
  int64_t rows = 0, width = 0;
  bool packed = false;
  std::vector<int64_t> ids;        // rows * width
  std::vector<int64_t> positions;  // rows * width: restart per sequence, or run on (the paper's code)
  std::vector<std::vector<int64_t>> cu_seqlens;  // per row: segment starts and the end, e.g. {0, 5, 9}
  // rows * width: the loss weight of predicting token t from the tokens before it (0: not a target)
  std::vector<float> weights;
};

// Data parallelism over torch's c10d: this process is rank `rank` of `world_size`, meeting the
// others at a TCPStore on master_addr:master_port (rank 0 serves it); collectives over Gloo on
// CPU. A step's gradients (and loss) are summed across ranks: the host's loss weights are
// normalised over the global step, so N ranks train exactly as one process would on it.
struct DataParallelConfig {
  int rank = 0, world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 600;  // a rank that does not answer in time fails the collective
  // The device the ranks train on: "cpu" reduces over Gloo; "cuda" over NCCL where the build has
  // it (backend "auto"), else over Gloo through host memory. backend: "auto", "gloo" or "nccl".
  std::string device = "cpu", backend = "auto";
  // Form the group even for one rank (checks a backend on a one-GPU machine); steps then reduce
  // through it.
  bool group_when_alone = false;
};

// torchrun's RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, else Slurm's SLURM_PROCID and
// SLURM_NTASKS (with MASTER_ADDR and MASTER_PORT); one rank when neither is set. Throws
// std::invalid_argument naming the variable that is malformed or missing.
DataParallelConfig data_parallel_from_environment();

class DataParallel {
 public:
  explicit DataParallel(const DataParallelConfig& config);  // blocks until every rank joined
  ~DataParallel();
  int rank() const;
  int world_size() const;
  bool reduces() const;  // steps sum their gradients through the group (it has one)
  struct Impl;
  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

struct TrainConfig {
  double lr = 1e-3, min_lr_ratio = 0.1;
  int64_t warmup_steps = 0, total_steps = 1;
  std::string schedule = "cosine";  // cosine | linear | constant
  double beta1 = 0.9, beta2 = 0.95, weight_decay = 0.0, grad_clip = 1.0;
  uint64_t seed = 0;
  int threads = 1;
  // Where the model trains: "cpu", or "cuda" / "cuda:N" on a libtorch built with CUDA.
  std::string device = "cpu";
  // "fp32", or "bf16": bf16 compute through autocast, fp32 master weights, loss and weights.
  std::string precision = "fp32";
  int64_t loss_chunk = 4096;  // target tokens whose logits exist at once; 0 = all at once
  bool gradient_checkpointing = false;  // recompute each layer in the backward pass
  std::shared_ptr<DataParallel> data_parallel;  // none: this process alone
};

struct StepStats {
  double loss = 0;  // sum over the step of w_t * l_t
  double lr = 0, grad_norm = 0, seconds = 0;
  // Where the time went: forward and backward passes (each including its attention), the
  // attention alone (forward + backward), the loss head (logits, cross-entropy and their
  // backward, chunk by chunk; counted in forward), clipping and the optimizer.
  double forward_seconds = 0, backward_seconds = 0, attention_seconds = 0, loss_seconds = 0, optimizer_seconds = 0;
};

// Intra-op threads of what runs next in this process (a Trainer sets its own from TrainConfig).
void set_threads(int n);

// Whether this libtorch can train on `device` ("cpu", "cuda", "cuda:1", ...); when not, why.
bool device_available(const std::string& device, std::string* why = nullptr);
// Whether the engine is built against a CUDA libtorch (whether or not a GPU is visible here: a
// login node plans and submits what GPU nodes run).
bool built_with_cuda();

// FLOPs of one training step over sequences of these lengths (the model-FLOPs count MFU uses): 6 * params * tokens
// plus causal attention, 6 * layers * d_model * sum n_i^2. Recomputation is not counted.
double training_flops(const ModelConfig& c, const std::vector<int64_t>& lengths);

// FLOP/s of an n x n x n matrix product in `dtype` on `device`, measured now (the ceiling that
// model-FLOPs utilisation is counted against).
double matmul_flops_per_second(DType dtype, const std::string& device = "cpu", int64_t n = 2048);

// A model's weights, for scoring and checkpoints. Randomly initialised from a seed, or loaded.
class Model {
 public:
  explicit Model(const ModelConfig& config, uint64_t seed = 0);
  ~Model();
  Model(Model&&) noexcept;
  const ModelConfig& config() const;
  // Replaces every weight: `tensors` must hold exactly tensor_layout(config()) (names and
  // shapes; any dtype), else std::invalid_argument naming the tensor.
  void load(const std::vector<TensorView>& tensors);
  std::vector<TensorData> tensors(DType dtype) const;  // tensor_layout's order
  // log p(ids[t + 1] | ids[0..t]) for t = 0 .. n - 2, in fp32 whatever the weights' dtype.
  std::vector<float> next_token_logprobs(const std::vector<int64_t>& ids) const;

  struct ContinuationScore {
    double logprob = 0;  // sum of log p over the continuation's tokens
    bool greedy = true;  // every continuation token is the argmax of its position
    int64_t tokens = 0;
  };
  // The continuation ids[from..] given ids[..from); only its positions reach the output head, so
  // a long context costs no context x vocabulary logits. from >= 1.
  ContinuationScore score_continuation(const std::vector<int64_t>& ids, int64_t from) const;

  struct Sampling {
    int64_t max_new_tokens = 64;
    double temperature = 0;  // 0: greedy
    uint64_t seed = 0;       // for temperature sampling
    int64_t stop_token = -1;  // generation ends after this one (EOS), when >= 0
    bool use_cache = true;   // keys and values of past positions kept (false: recomputed each token)
  };
  // The tokens that follow `prompt`.
  std::vector<int64_t> generate(const std::vector<int64_t>& prompt, const Sampling& s) const;

  struct Impl;

 private:
  friend class Trainer;
  std::unique_ptr<Impl> impl_;
};

class Trainer {
 public:
  Trainer(const ModelConfig& model, const TrainConfig& train);
  // Trains `model` (taken over) from its current weights.
  Trainer(Model model, const TrainConfig& train);
  ~Trainer();
  const Model& model() const;
  // One optimizer step over its micro-batches: gradients of sum w_t * l_t summed, clipped, applied.
  StepStats step(const std::vector<MicroBatch>& micro_batches);
  // sum w_t * l_t without training, for held-out data.
  double evaluate(const std::vector<MicroBatch>& micro_batches);
  // The gradient of sum w_t * l_t over the micro-batches, flattened, parameters unchanged
  // (for equivalence tests and, later, data-parallel checks).
  std::vector<float> gradient(const std::vector<MicroBatch>& micro_batches);
  // Every parameter, flattened in registration order.
  std::vector<float> parameters() const;

  // For resuming: the optimizer steps taken, and AdamW's state as fp32 tensors named
  // "<tensor>.exp_avg" and "<tensor>.exp_avg_sq" with each tensor's own step count in
  // `steps_by_tensor` (a tensor without a gradient yet has no state).
  int64_t steps_done() const;
  std::vector<TensorData> optimizer_state(std::vector<std::pair<std::string, int64_t>>& steps_by_tensor) const;
  // Puts back what the three above gave (weights through model().load first); exact, so the
  // run goes on bit for bit. Throws std::invalid_argument on a tensor that does not fit.
  void restore(int64_t steps, const std::vector<TensorView>& optimizer_state,
               const std::vector<std::pair<std::string, int64_t>>& steps_by_tensor);
  Model& model();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace longalign::engine
