#include "kernels.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

// Each entry point is built for AVX-512, AVX2 and baseline x86-64 and chosen when the library
// loads (GCC's target_clones); elsewhere, once for the target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LONGALIGN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define LONGALIGN_CLONES
#endif
#define LONGALIGN_INLINE inline __attribute__((always_inline))

namespace longalign::engine::kernels {
namespace {

// Hot loops take 16 floats at a time as GCC/Clang vectors: one AVX-512 register, two AVX2 ones
// or four SSE ones; the same lanes everywhere, so reductions add in the same order on any CPU.
constexpr int64_t W = 16;
typedef float vf __attribute__((vector_size(64)));
typedef int32_t vi __attribute__((vector_size(64)));
typedef uint32_t vu __attribute__((vector_size(64)));
typedef uint16_t vh __attribute__((vector_size(32)));

LONGALIGN_INLINE vf load(const float* p) {
  vf v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
LONGALIGN_INLINE vf load(const bf16* p) {
  vh h;
  std::memcpy(&h, p, sizeof h);
  return reinterpret_cast<vf>(__builtin_convertvector(h, vu) << 16);
}
LONGALIGN_INLINE void store(float* p, vf x) { std::memcpy(p, &x, sizeof x); }
// Round to nearest even, as c10::BFloat16 does; NaN stays NaN.
LONGALIGN_INLINE void store(bf16* p, vf x) {
  const vu u = reinterpret_cast<vu>(x);
  const vu rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
  const vh h = __builtin_convertvector(x != x ? vu{} + 0x7FC0u : rounded, vh);
  std::memcpy(p, &h, sizeof h);
}
// The last n < W entries, the other lanes `fill`.
template <typename T>
LONGALIGN_INLINE vf load_part(const T* p, int64_t n, float fill) {
  T buf[W];
  std::memcpy(buf, p, static_cast<size_t>(n) * sizeof(T));
  vf v = load(buf);
  for (int64_t l = n; l < W; ++l) v[l] = fill;
  return v;
}
template <typename T>
LONGALIGN_INLINE void store_part(T* p, int64_t n, vf x) {
  T buf[W];
  store(buf, x);
  std::memcpy(p, buf, static_cast<size_t>(n) * sizeof(T));
}

LONGALIGN_INLINE vf splat(float x) { return vf{} + x; }

// Cephes' expf: e^x = 2^n * e^r with n = round(x / ln 2) and |r| <= ln 2 / 2, e^r by a degree-7
// polynomial; 0 below -87.3.
LONGALIGN_INLINE vf exp_v(vf x) {
  const float lo = -87.33654f, hi = 88.0f;
  vf xc = x < lo ? splat(lo) : x;
  xc = xc > hi ? splat(hi) : xc;
  // Round to nearest by the 1.5 * 2^23 trick (no rounding instruction on baseline x86-64).
  const vf n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  vf r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vf y = splat(1.9875691500e-4f);
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const vf scale = reinterpret_cast<vf>((__builtin_convertvector(n, vi) + 127) << 23);
  return x < lo ? splat(0.0f) : y * scale;
}

LONGALIGN_INLINE vf max_v(vf a, vf b) { return a > b ? a : b; }
LONGALIGN_INLINE float lanes_max(vf v) {
  float m = v[0];
  for (int l = 1; l < W; ++l) m = m > v[l] ? m : v[l];
  return m;
}
LONGALIGN_INLINE float lanes_sum(vf v) {
  float s = 0;
  for (int l = 0; l < W; ++l) s += v[l];
  return s;
}

template <typename T>
LONGALIGN_INLINE void zero_tail(T* row, int64_t from, int64_t width) {
  if (from < width) std::memset(row + from, 0, static_cast<size_t>(width - from) * sizeof(T));
}

// The fp32 row holds its exponentials in place; a bf16 row needs them in fp32 first.
float* scratch(int64_t n) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < n + W) buf.resize(static_cast<size_t>(n + W));
  return buf.data();
}

template <typename T>
LONGALIGN_INLINE float softmax_impl(T* row, int64_t width, int64_t visible, float* e) {
  const float inf = std::numeric_limits<float>::infinity();
  const int64_t full = visible - visible % W, rest = visible - full;
  vf m = splat(-inf);
  for (int64_t j = 0; j < full; j += W) m = max_v(m, load(row + j));
  if (rest) m = max_v(m, load_part(row + full, rest, -inf));
  const float mx = lanes_max(m);
  vf sum = splat(0.0f);
  for (int64_t j = 0; j < full; j += W) {
    const vf x = exp_v(load(row + j) - mx);
    store(e + j, x);
    sum += x;
  }
  if (rest) {
    const vf x = exp_v(load_part(row + full, rest, -inf) - mx);
    store_part(e + full, rest, x);
    sum += x;
  }
  const float total = lanes_sum(sum), inv = 1.0f / total;
  for (int64_t j = 0; j < full; j += W) store(row + j, load(e + j) * inv);
  if (rest) store_part(row + full, rest, load_part(e + full, rest, 0.0f) * inv);
  zero_tail(row, visible, width);
  return mx + std::log(total);
}

template <typename T>
LONGALIGN_INLINE void softmax_backward_impl(T* s, T* dp, int64_t width, int64_t visible, float lse, float delta) {
  auto one = [&](vf x, vf d, vf& p, vf& ds) {
    p = exp_v(x - lse);
    ds = p * (d - delta);
  };
  const int64_t full = visible - visible % W, rest = visible - full;
  vf p, ds;
  for (int64_t j = 0; j < full; j += W) {
    one(load(s + j), load(dp + j), p, ds);
    store(s + j, p);
    store(dp + j, ds);
  }
  if (rest) {
    one(load_part(s + full, rest, 0.0f), load_part(dp + full, rest, 0.0f), p, ds);
    store_part(s + full, rest, p);
    store_part(dp + full, rest, ds);
  }
  zero_tail(s, visible, width);
  zero_tail(dp, visible, width);
}

LONGALIGN_INLINE vf sigmoid_v(vf x) { return 1.0f / (1.0f + exp_v(-x)); }

template <typename T>
LONGALIGN_INLINE void swiglu_impl(const T* g, const T* u, T* h, int64_t n) {
  auto one = [](vf x, vf up) { return x * sigmoid_v(x) * up; };
  const int64_t full = n - n % W, rest = n - full;
  for (int64_t j = 0; j < full; j += W) store(h + j, one(load(g + j), load(u + j)));
  if (rest) store_part(h + full, rest, one(load_part(g + full, rest, 0.0f), load_part(u + full, rest, 0.0f)));
}

template <typename T>
LONGALIGN_INLINE void swiglu_backward_impl(const T* g, const T* u, const T* dh, T* dg, T* du, int64_t n) {
  auto one = [](vf x, vf up, vf d, vf& dgv, vf& duv) {
    const vf s = sigmoid_v(x);
    dgv = d * up * (s * (1.0f + x * (1.0f - s)));
    duv = d * (x * s);
  };
  const int64_t full = n - n % W, rest = n - full;
  vf a, b;
  for (int64_t j = 0; j < full; j += W) {
    one(load(g + j), load(u + j), load(dh + j), a, b);
    store(dg + j, a);
    store(du + j, b);
  }
  if (rest) {
    one(load_part(g + full, rest, 0.0f), load_part(u + full, rest, 0.0f), load_part(dh + full, rest, 0.0f), a, b);
    store_part(dg + full, rest, a);
    store_part(du + full, rest, b);
  }
}

}  // namespace

LONGALIGN_CLONES float softmax(float* row, int64_t width, int64_t visible) { return softmax_impl(row, width, visible, row); }
LONGALIGN_CLONES float softmax(bf16* row, int64_t width, int64_t visible) {
  return softmax_impl(row, width, visible, scratch(visible));
}
LONGALIGN_CLONES void softmax_backward(float* s, float* dp, int64_t width, int64_t visible, float lse, float delta) {
  softmax_backward_impl(s, dp, width, visible, lse, delta);
}
LONGALIGN_CLONES void softmax_backward(bf16* s, bf16* dp, int64_t width, int64_t visible, float lse, float delta) {
  softmax_backward_impl(s, dp, width, visible, lse, delta);
}
LONGALIGN_CLONES void swiglu(const float* g, const float* u, float* h, int64_t n) { swiglu_impl(g, u, h, n); }
LONGALIGN_CLONES void swiglu(const bf16* g, const bf16* u, bf16* h, int64_t n) { swiglu_impl(g, u, h, n); }
LONGALIGN_CLONES void swiglu_backward(const float* g, const float* u, const float* dh, float* dg, float* du, int64_t n) {
  swiglu_backward_impl(g, u, dh, dg, du, n);
}
LONGALIGN_CLONES void swiglu_backward(const bf16* g, const bf16* u, const bf16* dh, bf16* dg, bf16* du, int64_t n) {
  swiglu_backward_impl(g, u, dh, dg, du, n);
}
float exp(float x) { return exp_v(splat(x))[0]; }

}  // namespace longalign::engine::kernels
