// The trainer: weighted, chunked cross-entropy over target tokens, summed over a step's
// micro-batches (the loss contract of the SDK's la_step: all normalisation lives in the weights), AdamW,
// warmup plus a cosine, linear or constant schedule, gradient clipping.
#include <ATen/autocast_mode.h>

#include <chrono>
#include <cstring>
#include <map>
#include <sstream>
#include <type_traits>
#include <cmath>

#include "data_parallel.h"
#include "engine.h"
#include "attention.h"
#include "llama_network.h"

namespace longalign::engine {
namespace {

// A copy of the caller's values on `device` (autograd may keep it after the vector is gone).
template <typename T>
torch::Tensor on_device(const std::vector<T>& v, size_t from, at::IntArrayRef shape, torch::Device device) {
  auto view = torch::from_blob(const_cast<T*>(v.data() + from), shape, c10::CppTypeToScalarType<T>::value);
  return device.is_cpu() ? view.clone() : view.to(device);
}

std::vector<float> flatten(const std::vector<torch::Tensor>& parts) {
  auto flat = torch::cat(parts).to(torch::kCPU, torch::kFloat).contiguous();
  return std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
}

void check(const MicroBatch& mb) {
  const size_t n = static_cast<size_t>(mb.rows * mb.width);
  if (mb.ids.size() != n || mb.positions.size() != n || mb.weights.size() != n)
    throw std::invalid_argument("micro-batch arrays do not match rows x width");
  if (mb.packed && mb.cu_seqlens.size() != static_cast<size_t>(mb.rows))
    throw std::invalid_argument("packed micro-batch needs cu_seqlens for every row");
}

}  // namespace

struct Trainer::Impl {
  explicit Impl(Model m) : handle(std::move(m)), model(handle.impl_->net) {}
  Model handle;
  Llama model;
  TrainConfig tc;
  torch::Device device{torch::kCPU};
  std::unique_ptr<torch::optim::AdamW> opt;
  int64_t steps = 0;

  // sum over the micro-batch's target tokens of w_t * (-log p(token_t | tokens before t)).
  // With `root` (training), *root is set to what the caller runs backward from (undefined when
  // there are no targets). Over several chunks, the loss head runs its backward chunk by chunk
  // as it goes, so one chunk's logits are freed before the next chunk's exist, and *root is
  // sum(hidden * dL/dhidden), which carries the gradient on into the model.
  // loss_seconds, when given, gathers the time of the loss head (forward, and backward with root).
  torch::Tensor weighted_loss(const MicroBatch& mb, double* loss_seconds = nullptr, torch::Tensor* root = nullptr) {
    check(mb);
    Autocast autocast(tc.precision == "bf16", device.type());
    auto ids = on_device(mb.ids, 0, {mb.rows, mb.width}, device);
    auto hidden = model->forward(ids, on_device(mb.positions, 0, {mb.rows, mb.width}, device), {mb.packed, mb.cu_seqlens});
    // Token t is predicted from position t - 1 of the same row; a sequence never starts with a
    // target (BOS comes first), so t - 1 always lies in the same sequence.
    std::vector<int64_t> from, target;
    std::vector<float> w;
    for (int64_t r = 0; r < mb.rows; ++r)
      for (int64_t t = 1; t < mb.width; ++t) {
        size_t i = static_cast<size_t>(r * mb.width + t);
        if (mb.weights[i] == 0.0f) continue;
        from.push_back(static_cast<int64_t>(i) - 1);
        target.push_back(mb.ids[i]);
        w.push_back(mb.weights[i]);
      }
    const auto t_loss = std::chrono::steady_clock::now();
    auto flat = hidden.reshape({-1, hidden.size(-1)});
    auto total = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(device));
    const size_t chunk = tc.loss_chunk > 0 ? static_cast<size_t>(tc.loss_chunk) : std::max<size_t>(1, from.size());
    // One chunk needs no early backward: the caller's backward covers the head too.
    const bool per_chunk = root && from.size() > chunk;
    torch::Tensor head_input = per_chunk ? flat.detach().requires_grad_(true) : flat;
    for (size_t s = 0; s < from.size(); s += chunk) {
      int64_t n = static_cast<int64_t>(std::min(chunk, from.size() - s));
      auto idx = on_device(from, s, {n}, device);
      auto tgt = on_device(target, s, {n, 1}, device);
      auto wt = on_device(w, s, {n}, device);
      auto logp = torch::log_softmax(model->lm_head(head_input.index_select(0, idx)).to(torch::kFloat), -1);
      auto part = -(logp.gather(1, tgt).squeeze(1) * wt).sum();
      if (per_chunk) {
        part.backward();  // into the head's weights and head_input's gradient
        part = part.detach();
      }
      total = total + part;
    }
    if (per_chunk && head_input.grad().defined()) *root = (flat * head_input.grad()).sum();
    if (root && !per_chunk && total.requires_grad()) {
      *root = total;
      total = total.detach();
    }
    if (loss_seconds) *loss_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_loss).count();
    return total;
  }

  double lr_at(int64_t step) const {
    if (step < tc.warmup_steps) return tc.lr * static_cast<double>(step + 1) / static_cast<double>(tc.warmup_steps);
    double p = static_cast<double>(step - tc.warmup_steps) / static_cast<double>(std::max<int64_t>(1, tc.total_steps - tc.warmup_steps));
    p = std::min(1.0, std::max(0.0, p));
    double m = tc.min_lr_ratio, f = 1.0;
    if (tc.schedule == "cosine") f = m + (1 - m) * 0.5 * (1 + std::cos(M_PI * p));
    else if (tc.schedule == "linear") f = 1 - (1 - m) * p;
    return tc.lr * f;
  }
};

Trainer::Trainer(const ModelConfig& model, const TrainConfig& train) : Trainer(Model(model, train.seed), train) {}

Trainer::Trainer(Model model, const TrainConfig& train) {
  if (train.schedule != "cosine" && train.schedule != "linear" && train.schedule != "constant")
    throw std::invalid_argument("unknown schedule '" + train.schedule + "'");
  if (train.precision != "fp32" && train.precision != "bf16")
    throw std::invalid_argument("unknown precision '" + train.precision + "' (fp32 or bf16)");
  std::string why;
  if (!device_available(train.device, &why)) throw std::invalid_argument("device: " + why);
  at::set_num_threads(std::max(1, train.threads));
  impl_ = std::make_unique<Impl>(std::move(model));
  impl_->tc = train;
  impl_->device = torch::Device(train.device);
  impl_->model->to(impl_->device);  // before the optimizer takes the parameters
  impl_->model->set_checkpoint_layers(train.gradient_checkpointing);
  impl_->opt = std::make_unique<torch::optim::AdamW>(
      impl_->model->parameters(), torch::optim::AdamWOptions(train.lr)
                                      .betas({train.beta1, train.beta2})
                                      .weight_decay(train.weight_decay));
}

Trainer::~Trainer() = default;

const Model& Trainer::model() const { return impl_->handle; }
Model& Trainer::model() { return impl_->handle; }

int64_t Trainer::steps_done() const { return impl_->steps; }

namespace {

// AdamW keeps its state by the parameter's TensorImpl: its address as text up to libtorch 2.0,
// the address itself after.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::AdamW&>().state())>::key_type;
template <typename Key = StateKey>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;  // as c10::guts::to_string writes it
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

}  // namespace

std::vector<TensorData> Trainer::optimizer_state(std::vector<std::pair<std::string, int64_t>>& steps_by_tensor) const {
  std::vector<TensorData> out;
  steps_by_tensor.clear();
  auto& state = impl_->opt->state();
  for (auto& p : impl_->model->named_parameters()) {
    auto it = state.find(state_key(p.value()));
    if (it == state.end()) continue;
    auto& st = static_cast<torch::optim::AdamWParamState&>(*it->second);
    const std::string name = hf_name(p.key());
    steps_by_tensor.emplace_back(name, st.step());
    for (auto& [suffix, t] : {std::pair<const char*, torch::Tensor>{".exp_avg", st.exp_avg()}, {".exp_avg_sq", st.exp_avg_sq()}}) {
      auto c = t.detach().to(torch::kCPU, torch::kFloat).contiguous();
      TensorData d{name + suffix, DType::F32, c.sizes().vec(), std::vector<unsigned char>(c.nbytes())};
      std::memcpy(d.bytes.data(), c.data_ptr(), c.nbytes());
      out.push_back(std::move(d));
    }
  }
  return out;
}

void Trainer::restore(int64_t steps, const std::vector<TensorView>& optimizer_state,
                      const std::vector<std::pair<std::string, int64_t>>& steps_by_tensor) {
  std::map<std::string, const TensorView*> given;
  for (auto& t : optimizer_state) given[t.name] = &t;
  std::map<std::string, int64_t> step_of(steps_by_tensor.begin(), steps_by_tensor.end());
  auto& state = impl_->opt->state();
  state.clear();
  auto tensor = [&](const std::string& name, const torch::Tensor& like) {
    auto it = given.find(name);
    if (it == given.end()) throw std::invalid_argument("optimizer state '" + name + "' is missing");
    if (it->second->shape != like.sizes().vec() || it->second->dtype != DType::F32)
      throw std::invalid_argument("optimizer state '" + name + "' does not fit its parameter");
    return torch::from_blob(const_cast<void*>(it->second->data), it->second->shape, torch::kFloat).to(like.device(), like.scalar_type()).clone();
  };
  for (auto& p : impl_->model->named_parameters()) {
    const std::string name = hf_name(p.key());
    auto s = step_of.find(name);
    if (s == step_of.end()) continue;
    auto st = std::make_unique<torch::optim::AdamWParamState>();
    st->step(s->second);
    st->exp_avg(tensor(name + ".exp_avg", p.value()));
    st->exp_avg_sq(tensor(name + ".exp_avg_sq", p.value()));
    state[state_key(p.value())] = std::move(st);
  }
  impl_->steps = steps;
}

StepStats Trainer::step(const std::vector<MicroBatch>& micro_batches) {
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  const auto t0 = Clock::now();
  const double attention0 = attention_seconds_total();
  Impl& m = *impl_;
  StepStats st;
  m.model->train();
  m.opt->zero_grad();
  auto total = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(m.device));
  for (auto& mb : micro_batches) {
    auto t = Clock::now();
    torch::Tensor root;
    auto loss = m.weighted_loss(mb, &st.loss_seconds, &root);
    st.forward_seconds += since(t);
    t = Clock::now();
    if (root.defined()) root.backward();  // gradients sum across micro-batches; none without targets
    st.backward_seconds += since(t);
    total += loss;
  }
  if (m.tc.data_parallel && m.tc.data_parallel->reduces()) {
    // One collective: every gradient (zeros where this rank had none) and the loss, summed.
    std::vector<torch::Tensor> parts;
    auto params = m.model->parameters();
    for (auto& p : params) parts.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    parts.push_back(total.reshape({1}).to(params[0].dtype()));
    auto flat = torch::cat(parts).contiguous();
    m.tc.data_parallel->impl().all_reduce_sum(flat);
    int64_t at = 0;
    for (auto& p : params) {
      auto g = flat.narrow(0, at, p.numel()).view(p.sizes());
      if (p.grad().defined()) p.mutable_grad().copy_(g);
      else p.mutable_grad() = g.clone();
      at += p.numel();
    }
    total = flat.narrow(0, at, 1).reshape({}).to(torch::kFloat);
  }
  const auto t_opt = Clock::now();
  st.lr = m.lr_at(m.steps);
  for (auto& g : m.opt->param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(st.lr);
  st.grad_norm = torch::nn::utils::clip_grad_norm_(m.model->parameters(), m.tc.grad_clip > 0 ? m.tc.grad_clip : 1e30);
  m.opt->step();
  st.optimizer_seconds = since(t_opt);
  ++m.steps;
  st.loss = total.item<double>();
  st.attention_seconds = attention_seconds_total() - attention0;
  st.seconds = since(t0);
  return st;
}

double Trainer::evaluate(const std::vector<MicroBatch>& micro_batches) {
  torch::NoGradGuard no_grad;
  impl_->model->eval();
  double total = 0;
  for (auto& mb : micro_batches) total += impl_->weighted_loss(mb).item<double>();
  return total;
}

std::vector<float> Trainer::gradient(const std::vector<MicroBatch>& micro_batches) {
  Impl& m = *impl_;
  m.model->train();
  m.opt->zero_grad();
  for (auto& mb : micro_batches) {
    torch::Tensor root;
    m.weighted_loss(mb, nullptr, &root);
    if (root.defined()) root.backward();
  }
  std::vector<torch::Tensor> parts;
  for (auto& p : m.model->parameters())
    parts.push_back(p.grad().defined() ? p.grad().reshape({-1}) : torch::zeros({p.numel()}, p.options()));
  std::vector<float> flat = flatten(parts);
  m.opt->zero_grad();
  return flat;
}

std::vector<float> Trainer::parameters() const {
  std::vector<torch::Tensor> parts;
  for (auto& p : impl_->model->parameters()) parts.push_back(p.detach().reshape({-1}));
  return flatten(parts);
}


}  // namespace longalign::engine
