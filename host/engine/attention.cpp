#include "attention.h"

#include "llama_network.h"  // LONGALIGN_TORCH_AT_LEAST
#include "fused.h"
#include "bf16_attention.h"
#include "kernels.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <numeric>

namespace longalign::engine {
namespace {

using torch::Tensor;
using Clock = std::chrono::steady_clock;

double g_attention_seconds = 0;  // the engine trains on one thread of control

struct AttentionTimer {
  Clock::time_point t0 = Clock::now();
  ~AttentionTimer() { g_attention_seconds += std::chrono::duration<double>(Clock::now() - t0).count(); }
};
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// One query tile of one segment: queries [s0 + a, s0 + b), keys [s0, s0 + b). Returns the
// scores in the inputs' dtype (q comes scaled by 1 / sqrt(D), which saves a pass here); query
// a + r sees keys [0, a + r].
Tensor tile_scores(const Tensor& q, const Tensor& k, int64_t s0, int64_t a, int64_t b) {
  return torch::bmm(q.narrow(1, s0 + a, b - a), k.narrow(1, s0, b).transpose(1, 2));
}

// On CPU in fp32 and bf16 the elementwise passes of a tile run fused, a row at a time
// (kernels.h), split over the intra-op threads; elsewhere (a CUDA device without the flash
// kernel) as torch ops over the whole tile, with the same fp32 statistics.
template <typename F>
void each_row(int64_t n, int64_t width, const F& f) {
  parallel_items(n, width, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) f(i);
  });
}

// The future keys of a tile's m queries, within its last m keys: an upper triangle.
Tensor future_mask(const Tensor& s) {
  const int64_t m = s.size(1);
  return torch::ones({m, m}, torch::TensorOptions().dtype(torch::kBool).device(s.device())).triu(1);
}

// Softmax of the tile's scores s (N, m, b) over the visible keys; writes each query's
// log-sum-exp to lse (N, m, fp32, a view) and returns the probabilities in s's dtype (s itself
// on CPU).
Tensor tile_softmax(Tensor s, Tensor lse, int64_t a) {
  const int64_t N = s.size(0), m = s.size(1), b = s.size(2);
  if (fused_kernels_apply(s)) {
    float* l = lse.data_ptr<float>();
    const int64_t head_stride = lse.stride(0);
    auto each = [&](auto* base) {
      each_row(N * m, b, [&](int64_t i) {
        const int64_t h = i / m, r = i % m;
        l[h * head_stride + r] = kernels::softmax(base + i * b, b, a + r + 1);
      });
    };
    s.scalar_type() == torch::kFloat ? each(data_as<float>(s)) : each(data_as<kernels::bf16>(s));
    return s;
  }
  auto f = s.to(torch::kFloat);
  f.narrow(2, a, m).masked_fill_(future_mask(s), -std::numeric_limits<float>::infinity());
  // The segment's first key is visible to every query, so lse = score - log p there.
  auto logp = torch::log_softmax(f, -1);
  lse.copy_(f.select(2, 0) - logp.select(2, 0));
  return logp.exp_().to(s.scalar_type());
}

// The backward's softmax of a tile: from its scores s and dL/dp (N, m, b), lse and delta (N, m),
// the probabilities p and dL/ds, in s's dtype (s and dp themselves on CPU).
std::pair<Tensor, Tensor> tile_softmax_backward(Tensor s, Tensor dp, const Tensor& lse, const Tensor& delta, int64_t a) {
  const int64_t N = s.size(0), m = s.size(1), b = s.size(2);
  if (fused_kernels_apply(s)) {
    const float *l = lse.data_ptr<float>(), *d = delta.data_ptr<float>();
    const int64_t ls = lse.stride(0), ds = delta.stride(0);
    auto each = [&](auto* sbase, auto* dbase) {
      each_row(N * m, b, [&](int64_t i) {
        const int64_t h = i / m, r = i % m;
        kernels::softmax_backward(sbase + i * b, dbase + i * b, b, a + r + 1, l[h * ls + r], d[h * ds + r]);
      });
    };
    s.scalar_type() == torch::kFloat ? each(data_as<float>(s), data_as<float>(dp)) : each(data_as<kernels::bf16>(s), data_as<kernels::bf16>(dp));
    return {s, dp};
  }
  auto f = s.to(torch::kFloat);
  f.narrow(2, a, m).masked_fill_(future_mask(s), -std::numeric_limits<float>::infinity());
  auto p = f.sub_(lse.unsqueeze(-1)).exp_();
  auto dsf = dp.to(torch::kFloat).sub_(delta.unsqueeze(-1)).mul_(p);
  return {p.to(s.scalar_type()), dsf.to(s.scalar_type())};
}

// Elsewhere, query tiles of every head at once, through torch's batched products.
void tiled_forward(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<int64_t>& cu, int64_t tile,
                   Tensor& out, Tensor& lse) {
  for (size_t i = 0; i + 1 < cu.size(); ++i) {
    const int64_t s0 = cu[i], n = cu[i + 1] - cu[i];
    for (int64_t a = 0; a < n; a += tile) {
      const int64_t b = std::min(n, a + tile);
      auto p = tile_softmax(tile_scores(q, k, s0, a, b), lse.narrow(1, s0 + a, b - a), a);
      out.narrow(1, s0 + a, b - a).copy_(torch::bmm(p, v.narrow(1, s0, b)));
    }
  }
}

// dq, dk, dv: fp32 accumulators, zero (a key gathers gradient from every query tile after it);
// adding a bf16 tile's result to them converts it on the way.
void tiled_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& dout,
                    const Tensor& lse, const std::vector<int64_t>& cu, int64_t tile, double scale, Tensor& dq, Tensor& dk,
                    Tensor& dv) {
  auto delta = (dout.to(torch::kFloat) * out.to(torch::kFloat)).sum(-1);  // (N, T): rowsum(dO * O)
  for (size_t i = 0; i + 1 < cu.size(); ++i) {
    const int64_t s0 = cu[i], n = cu[i + 1] - cu[i];
    for (int64_t a = 0; a < n; a += tile) {
      const int64_t b = std::min(n, a + tile);
      // The softmax scale is applied to dq and dk's small results instead of to the tile.
      // Operands used twice are made dense once (bmm would copy a narrowed one each time).
      auto q_t = q.narrow(1, s0 + a, b - a).contiguous(), k_t = k.narrow(1, s0, b).contiguous();
      auto do_t = dout.narrow(1, s0 + a, b - a).contiguous();
      auto [p, ds] = tile_softmax_backward(torch::bmm(q_t, k_t.transpose(1, 2)), torch::bmm(do_t, v.narrow(1, s0, b).transpose(1, 2)),
                                           lse.narrow(1, s0 + a, b - a), delta.narrow(1, s0 + a, b - a), a);
      dv.narrow(1, s0, b).add_(torch::bmm(p.transpose(1, 2), do_t));
      dq.narrow(1, s0 + a, b - a).add_(torch::bmm(ds, k_t), scale);
      dk.narrow(1, s0, b).add_(torch::bmm(ds.transpose(1, 2), q_t));  // q is scaled
    }
  }
}

// bf16 on a CPU with AVX512-BF16: the whole of a (head, segment) in bf16_attention.h's kernels.
bool bf16_kernels_apply(const Tensor& q) {
  return q.device().is_cpu() && q.scalar_type() == torch::kBFloat16 && kernels::bf16_attention_supported(q.size(2));
}

// f(head, first row, length) for every head of every segment of cu, each on one intra-op
// thread, the threads taking the longest segments first from a shared queue (a segment's cost
// grows with its length squared, so equal shares of items would not be equal shares of work).
template <typename F>
void each_head_segment(int64_t heads, const std::vector<int64_t>& cu, const F& f) {
  std::vector<size_t> order(cu.size() - 1);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return cu[x + 1] - cu[x] > cu[y + 1] - cu[y]; });
  const int64_t items = static_cast<int64_t>(order.size()) * heads;
  std::atomic<int64_t> next{0};
  at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
    for (int64_t i; (i = next++) < items;) {
      const size_t seg = order[static_cast<size_t>(i / heads)];
      f(i % heads, cu[seg], cu[seg + 1] - cu[seg]);
    }
  });
}

void bf16_kernels_forward(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<int64_t>& cu, Tensor& out,
                          Tensor& lse) {
  const int64_t T = q.size(1), D = q.size(2);
  const auto *qd = data_as<kernels::bf16>(q), *kd = data_as<kernels::bf16>(k), *vd = data_as<kernels::bf16>(v);
  auto* od = data_as<kernels::bf16>(out);
  float* l = lse.data_ptr<float>();
  each_head_segment(q.size(0), cu, [&](int64_t h, int64_t s0, int64_t n) {
    const int64_t at = (h * T + s0) * D;
    kernels::bf16_attention_forward(qd + at, kd + at, vd + at, n, D, od + at, l + h * T + s0);
  });
}

// dq, dk, dv: fp32, zero; each (head, segment) writes its own rows.
void bf16_kernels_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& dout,
                           const Tensor& lse, const std::vector<int64_t>& cu, double scale, Tensor& dq, Tensor& dk,
                           Tensor& dv) {
  const int64_t T = q.size(1), D = q.size(2);
  const auto *qd = data_as<kernels::bf16>(q), *kd = data_as<kernels::bf16>(k), *vd = data_as<kernels::bf16>(v);
  const auto *od = data_as<kernels::bf16>(out), *dod = data_as<kernels::bf16>(dout);
  const float* l = lse.data_ptr<float>();
  float *dqd = dq.data_ptr<float>(), *dkd = dk.data_ptr<float>(), *dvd = dv.data_ptr<float>();
  each_head_segment(q.size(0), cu, [&](int64_t h, int64_t s0, int64_t n) {
    const int64_t at = (h * T + s0) * D;
    kernels::bf16_attention_backward(qd + at, kd + at, vd + at, od + at, dod + at, l + h * T + s0, n, D,
                                     static_cast<float>(scale), dqd + at, dkd + at, dvd + at);
  });
}

struct SegmentAttention : public torch::autograd::Function<SegmentAttention> {
  static Tensor forward(AutogradContext* ctx, const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                        std::vector<int64_t> cu, int64_t tile) {
    AttentionTimer timer;
    const int64_t N = q_in.size(0), T = q_in.size(1), D = q_in.size(2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(D));
    auto q = (q_in * scale).contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
    auto out = torch::zeros({N, T, D}, q.options());
    auto lse = torch::zeros({N, T}, q.options().dtype(torch::kFloat));
    if (bf16_kernels_apply(q))
      bf16_kernels_forward(q, k, v, cu, out, lse);
    else
      tiled_forward(q, k, v, cu, tile, out, lse);
    ctx->save_for_backward({q, k, v, out, lse});
    ctx->saved_data["cu"] = cu;
    ctx->saved_data["tile"] = tile;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    AttentionTimer timer;
    auto saved = ctx->get_saved_variables();
    const Tensor &q = saved[0], &k = saved[1], &v = saved[2], &out = saved[3], &lse = saved[4];
    const std::vector<int64_t> cu = ctx->saved_data["cu"].toIntVector();
    const int64_t tile = ctx->saved_data["tile"].toInt();
    auto dout = grads[0].to(q.scalar_type()).contiguous();
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(2)));
    auto f32 = q.options().dtype(torch::kFloat);
    auto dq = torch::zeros(q.sizes(), f32), dk = torch::zeros(k.sizes(), f32), dv = torch::zeros(v.sizes(), f32);
    if (bf16_kernels_apply(q))
      bf16_kernels_backward(q, k, v, out, dout, lse, cu, scale, dq, dk, dv);
    else
      tiled_backward(q, k, v, out, dout, lse, cu, tile, scale, dq, dk, dv);
    return {dq.to(q.scalar_type()), dk.to(k.scalar_type()), dv.to(v.scalar_type()), Tensor(), Tensor()};
  }
};

// Rows whose segments are all this short take plain softmax attention through autograd: its
// scores are small, and it is fewer ops than the tiled function (measured: the quickstart's
// ~100-token rows train 1.5x faster this way). Not where the bf16 kernels run: they are 3-4x
// faster than plain attention on segments of 64 to 256 tokens.
constexpr int64_t kPlainUpTo = 256;

Tensor plain_attention(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<int64_t>& cu) {
  const int64_t T = q.size(1);
  std::vector<Tensor> parts;
  for (size_t i = 0; i + 1 < cu.size(); ++i) {
    const int64_t s0 = cu[i], n = cu[i + 1] - cu[i];
    auto s = torch::matmul(q.narrow(1, s0, n), k.narrow(1, s0, n).transpose(1, 2)).to(torch::kFloat) /
             std::sqrt(static_cast<double>(q.size(2)));
    auto future = torch::ones({n, n}, torch::TensorOptions().dtype(torch::kBool).device(q.device())).triu(1);
    auto p = torch::softmax(s.masked_fill(future, -std::numeric_limits<float>::infinity()), -1).to(q.scalar_type());
    parts.push_back(torch::matmul(p, v.narrow(1, s0, n)));
  }
  if (cu.back() < T) parts.push_back(torch::zeros({q.size(0), T - cu.back(), q.size(2)}, q.options()));
  return parts.size() == 1 ? parts[0] : torch::cat(parts, 1);
}

#if LONGALIGN_TORCH_AT_LEAST(2, 4)
// libtorch's varlen flash-attention kernel, forward and backward, as one autograd function (the
// backward called explicitly, so no libtorch version's derivative table is relied on). q, k, v:
// (total tokens, heads, D); cu: int32 segment boundaries over the total, on the device.
struct FlashVarlen : public torch::autograd::Function<FlashVarlen> {
  static Tensor forward(AutogradContext* ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& cu,
                        int64_t longest) {
    auto r = at::_flash_attention_forward(q, k, v, cu, cu, longest, longest, /*dropout_p=*/0.0, /*is_causal=*/true,
                                          /*return_debug_mask=*/false);
    ctx->save_for_backward({q, k, v, std::get<0>(r), std::get<1>(r), cu, std::get<2>(r), std::get<3>(r)});
    ctx->saved_data["longest"] = longest;
    return std::get<0>(r);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto s = ctx->get_saved_variables();
    const int64_t longest = ctx->saved_data["longest"].toInt();
    auto g = at::_flash_attention_backward(grads[0].contiguous(), s[0], s[1], s[2], s[3], s[4], s[5], s[5], longest, longest,
                                           /*dropout_p=*/0.0, /*is_causal=*/true, s[6], s[7]);
    return {std::get<0>(g), std::get<1>(g), std::get<2>(g), Tensor(), Tensor()};
  }
};
#endif

}  // namespace

bool flash_attention_applies(const Tensor& q) {
#if LONGALIGN_TORCH_AT_LEAST(2, 4)
  const auto t = q.scalar_type();
  return q.is_cuda() && (t == torch::kBFloat16 || t == torch::kHalf) && q.size(-1) % 8 == 0 && q.size(-1) <= 256;
#else
  (void)q;
  return false;
#endif
}

Tensor flash_segment_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                               const std::vector<std::vector<int64_t>>& rows) {
#if LONGALIGN_TORCH_AT_LEAST(2, 4)
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  // Every row's segments laid end to end; a row's unused tail becomes one more segment, so its
  // slots get finite values (their loss weight is 0).
  std::vector<int32_t> cu = {0};
  int64_t longest = 0;
  for (int64_t b = 0; b < B; ++b) {
    std::vector<int64_t> row = rows[static_cast<size_t>(b)];
    if (row.back() < T) row.push_back(T);
    for (size_t i = 1; i < row.size(); ++i) {
      cu.push_back(static_cast<int32_t>(b * T + row[i]));
      longest = std::max(longest, row[i] - row[i - 1]);
    }
  }
  auto cu_t = torch::from_blob(cu.data(), {static_cast<int64_t>(cu.size())}, torch::kInt).to(q.device());
  auto flat = [&](const Tensor& x) { return x.to(q.scalar_type()).transpose(1, 2).reshape({B * T, H, D}); };
  auto out = FlashVarlen::apply(flat(q), flat(k), flat(v), cu_t, longest);
  return out.view({B, T, H, D}).transpose(1, 2);
#else
  (void)k, (void)v, (void)rows;
  throw std::logic_error("flash_segment_attention: this libtorch has no varlen flash attention");
#endif
}

double attention_seconds_total() { return g_attention_seconds; }

Tensor segment_attention(const Tensor& q, const Tensor& k, const Tensor& v, const std::vector<int64_t>& cu, int64_t tile) {
  if (cu.empty() || cu.front() != 0 || cu.back() > q.size(1) || tile < 0)
    throw std::invalid_argument("segment_attention: segments must start at 0 and end within the row");
  // One dtype for the three (autocast may have left them apart).
  auto dtype = q.scalar_type();
  int64_t longest = 0;
  for (size_t i = 0; i + 1 < cu.size(); ++i) longest = std::max(longest, cu[i + 1] - cu[i]);
  if (tile == 0) {
    if (longest <= kPlainUpTo && !bf16_kernels_apply(q)) {
      AttentionTimer timer;  // the forward; autograd runs its backward with the rest
      return plain_attention(q, k.to(dtype), v.to(dtype), cu);
    }
    tile = 256;
  }
  return SegmentAttention::apply(q, k.to(dtype), v.to(dtype), cu, tile);
}

}  // namespace longalign::engine
