// engine::Model, the public handle on a network: weights in and out under Hugging Face's names
// (any of F32, F16, BF16 in; the computing dtype out), and next-token log-probabilities.
#include <cstring>
#include <map>
#include <random>

#include "engine.h"
#include "llama_network.h"

namespace longalign::engine {
namespace {

torch::ScalarType scalar_type(DType t) {
  switch (t) {
    case DType::F32: return torch::kFloat;
    case DType::F16: return torch::kHalf;
    case DType::BF16: return torch::kBFloat16;
  }
  throw std::invalid_argument("unknown dtype");
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

Model::Model(const ModelConfig& config, uint64_t seed) : impl_(std::make_unique<Impl>()) {
  torch::manual_seed(seed);
  impl_->config = config;
  impl_->net = Llama(config);
}

Model::~Model() = default;
Model::Model(Model&&) noexcept = default;

const ModelConfig& Model::config() const { return impl_->config; }

void Model::load(const std::vector<TensorView>& tensors) {
  std::map<std::string, const TensorView*> given;
  for (auto& t : tensors)
    if (!given.emplace(t.name, &t).second) throw std::invalid_argument("tensor '" + t.name + "' is given twice");
  std::map<std::string, torch::Tensor> params;
  for (auto& p : impl_->net->named_parameters()) params.emplace(hf_name(p.key()), p.value());
  for (auto& t : tensors)
    if (!params.count(t.name)) throw std::invalid_argument("tensor '" + t.name + "' is not part of this model");
  torch::NoGradGuard no_grad;
  for (auto& [name, param] : params) {
    auto it = given.find(name);
    if (it == given.end()) throw std::invalid_argument("tensor '" + name + "' is missing");
    const TensorView& t = *it->second;
    if (t.shape != param.sizes().vec())
      throw std::invalid_argument("tensor '" + name + "' has shape " + shape_str(t.shape) + ", the model needs " +
                                  shape_str(param.sizes().vec()));
    auto src = torch::from_blob(const_cast<void*>(t.data), t.shape, torch::TensorOptions().dtype(scalar_type(t.dtype)));
    param.copy_(src);  // converts to the parameter's dtype
  }
}

std::vector<TensorData> Model::tensors(DType dtype) const {
  std::map<std::string, torch::Tensor> params;
  for (auto& p : impl_->net->named_parameters()) params.emplace(hf_name(p.key()), p.value());
  std::vector<TensorData> out;
  for (auto& layout : tensor_layout(impl_->config)) {
    auto t = params.at(layout.name).detach().to(torch::kCPU, scalar_type(dtype)).contiguous();
    TensorData d{layout.name, dtype, layout.shape, std::vector<unsigned char>(t.nbytes())};
    std::memcpy(d.bytes.data(), t.data_ptr(), t.nbytes());
    out.push_back(std::move(d));
  }
  return out;
}

namespace {

// log p(next token) at positions [from - 1, n - 1) of ids, one row per position, in fp32; only
// those positions reach the output head.
torch::Tensor continuation_logprobs(Model::Impl& impl, const std::vector<int64_t>& ids, int64_t from) {
  for (int64_t id : ids)
    if (id < 0 || id >= impl.config.vocab_size)
      throw std::invalid_argument("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                                  std::to_string(impl.config.vocab_size) + ")");
  impl.net->eval();
  const auto n = static_cast<int64_t>(ids.size());
  const auto on = torch::TensorOptions().dtype(torch::kLong).device(impl.net->device());
  auto x = torch::tensor(ids, on).view({1, n});
  auto positions = torch::arange(n, on).view({1, n});
  auto hidden = impl.net->forward(x, positions, {false, {}}).squeeze(0).narrow(0, from - 1, n - from);
  return torch::log_softmax(impl.net->lm_head(hidden).to(torch::kFloat), -1);
}

}  // namespace

std::vector<float> Model::next_token_logprobs(const std::vector<int64_t>& ids) const {
  if (ids.size() < 2) return {};
  torch::NoGradGuard no_grad;
  auto logp = continuation_logprobs(*impl_, ids, 1);
  auto next = torch::tensor(std::vector<int64_t>(ids.begin() + 1, ids.end()), torch::kLong).to(logp.device()).unsqueeze(1);
  auto picked = logp.gather(1, next).squeeze(1).cpu().contiguous();
  return std::vector<float>(picked.data_ptr<float>(), picked.data_ptr<float>() + picked.numel());
}

void set_threads(int n) { at::set_num_threads(std::max(1, n)); }

Model::ContinuationScore Model::score_continuation(const std::vector<int64_t>& ids, int64_t from) const {
  const auto n = static_cast<int64_t>(ids.size());
  if (from < 1 || from > n) throw std::invalid_argument("score_continuation: from must lie in [1, " + std::to_string(n) + "]");
  ContinuationScore out;
  if (from == n) return out;
  torch::NoGradGuard no_grad;
  auto logp = continuation_logprobs(*impl_, ids, from);
  auto next = torch::tensor(std::vector<int64_t>(ids.begin() + from, ids.end()), torch::kLong).to(logp.device());
  out.logprob = logp.gather(1, next.unsqueeze(1)).sum().item<double>();
  out.greedy = logp.argmax(-1).eq(next).all().item<bool>();
  out.tokens = n - from;
  return out;
}

namespace {

// The next token from the last position's logits: argmax, or a draw from softmax(logits / T)
// with our own generator, so a seed gives the same text on any libtorch.
int64_t pick(const torch::Tensor& logits, double temperature, std::mt19937_64& rng) {
  if (temperature <= 0) return logits.argmax().item<int64_t>();
  auto p = torch::softmax(logits.to(torch::kCPU, torch::kDouble) / temperature, -1).contiguous();
  const double* q = p.data_ptr<double>();
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng), acc = 0;
  for (int64_t i = 0; i < p.numel(); ++i)
    if ((acc += q[i]) > u) return i;
  return p.numel() - 1;
}

}  // namespace

std::vector<int64_t> Model::generate(const std::vector<int64_t>& prompt, const Sampling& s) const {
  if (prompt.empty()) throw std::invalid_argument("an empty prompt");
  for (int64_t id : prompt)
    if (id < 0 || id >= impl_->config.vocab_size)
      throw std::invalid_argument("token id " + std::to_string(id) + " is outside the vocabulary (size " +
                                  std::to_string(impl_->config.vocab_size) + ")");
  torch::NoGradGuard no_grad;
  impl_->net->eval();
  std::mt19937_64 rng(s.seed);
  std::vector<int64_t> ids = prompt, out;
  std::vector<LayerCache> cache;
  auto run = [&](int64_t from) {  // logits of the last position, feeding ids[from..]
    const auto n = static_cast<int64_t>(ids.size()) - from;
    const auto on = torch::TensorOptions().dtype(torch::kLong).device(impl_->net->device());
    auto x = torch::tensor(std::vector<int64_t>(ids.begin() + from, ids.end()), on).view({1, n});
    auto positions = torch::arange(from, from + n, on).view({1, n});
    auto hidden = impl_->net->forward(x, positions, {false, {}}, s.use_cache ? &cache : nullptr);
    return impl_->net->lm_head(hidden[0][n - 1]).to(torch::kFloat);
  };
  auto logits = run(0);
  for (int64_t k = 0; k < s.max_new_tokens; ++k) {
    const int64_t next = pick(logits, s.temperature, rng);
    out.push_back(next);
    ids.push_back(next);
    if (next == s.stop_token || k + 1 == s.max_new_tokens) break;
    logits = run(s.use_cache ? static_cast<int64_t>(ids.size()) - 1 : 0);
  }
  return out;
}

}  // namespace longalign::engine
