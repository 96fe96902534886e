#include "bf16_attention.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

// GCC on x86-64 builds the kernels for AVX512-BF16 whatever the build's target, and
// bf16_attention_supported asks the CPU at run time; elsewhere they are absent.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LONGALIGN_BF16_ATTENTION 1
#include <immintrin.h>
#endif

namespace longalign::engine::kernels {

#ifdef LONGALIGN_BF16_ATTENTION
namespace {

// Query rows per block: the block's scores (rows x keys, fp32) stay in L2 for a segment of a few
// thousand keys, and the keys' gradient takes a reduction of rows / 2 steps per visit.
constexpr int64_t kBlock = 64;

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// A thread's working memory, kept between calls (the intra-op threads persist). The containers'
// code is built outside the AVX-512 region below, so no inline function other files share is
// compiled for it.
struct Scratch {
  std::vector<uint32_t> kt, vt, kp, vp, pb, pt, dst, qp, dop;
  std::vector<float> s, dp, o, dk, dv;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}
template <typename T>
T* sized(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")
#define LONGALIGN_INLINE inline __attribute__((always_inline))
// The microkernel's loops over registers unrolled whatever the optimisation level, so its
// accumulators live in registers.
#define LONGALIGN_UNROLL _Pragma("GCC unroll 8")

// Matrices are of words, each two bf16 along the reduction ("pairs"): A's word (r, p) at
// A[r * a_rs + p * a_ps], B's words for pair p and columns c.. at B[p * b_ps + c] (the VNNI
// layout vdpbf16ps reads). C is fp32, row stride ldc.
struct Operands {
  const uint32_t* a;
  int64_t a_rs, a_ps;
  const uint32_t* b;
  int64_t b_ps;
  float* c;
  int64_t ldc;
};

// C[MR x 16 NV] (+)= A[MR x 2P] B[2P x 16 NV] in registers: MR x NV accumulators, NV loads of B
// and MR broadcasts of A per pair.
template <int MR, int NV, bool Add>
LONGALIGN_INLINE void microkernel(const Operands& o, int64_t P) {
  __m512 acc[MR][NV];
  LONGALIGN_UNROLL for (int r = 0; r < MR; ++r)
    LONGALIGN_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = Add ? _mm512_loadu_ps(o.c + r * o.ldc + 16 * v) : _mm512_setzero_ps();
  for (int64_t p = 0; p < P; ++p) {
    __m512bh b[NV];
    LONGALIGN_UNROLL for (int v = 0; v < NV; ++v) b[v] = (__m512bh)_mm512_loadu_si512(o.b + p * o.b_ps + 16 * v);
    LONGALIGN_UNROLL for (int r = 0; r < MR; ++r) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(static_cast<int>(o.a[r * o.a_rs + p * o.a_ps]));
      LONGALIGN_UNROLL for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], a, b[v]);
    }
  }
  LONGALIGN_UNROLL for (int r = 0; r < MR; ++r)
    LONGALIGN_UNROLL for (int v = 0; v < NV; ++v) _mm512_storeu_ps(o.c + r * o.ldc + 16 * v, acc[r][v]);
}

constexpr int kRows = 6, kVectors = 4;  // 24 accumulators of the 32 registers

template <int MR, bool Add>
LONGALIGN_INLINE void microkernel_nv(const Operands& o, int64_t P, int nv) {
  switch (nv) {
    case 1: return microkernel<MR, 1, Add>(o, P);
    case 2: return microkernel<MR, 2, Add>(o, P);
    case 3: return microkernel<MR, 3, Add>(o, P);
    default: return microkernel<MR, 4, Add>(o, P);
  }
}
template <bool Add>
void microkernel_any(const Operands& o, int64_t P, int mr, int nv) {
  switch (mr) {
    case 1: return microkernel_nv<1, Add>(o, P, nv);
    case 2: return microkernel_nv<2, Add>(o, P, nv);
    case 3: return microkernel_nv<3, Add>(o, P, nv);
    case 4: return microkernel_nv<4, Add>(o, P, nv);
    case 5: return microkernel_nv<5, Add>(o, P, nv);
    default: return microkernel_nv<6, Add>(o, P, nv);
  }
}

// Causality of a product whose rows are queries a + r (r the row): `skip_columns` leaves out
// blocks of columns (keys) no row of the block sees; `limit_pairs` ends the reduction (over
// keys) after the last key a row of the block sees.
struct Causal {
  int64_t a = 0;
  bool skip_columns = false, limit_pairs = false;
};

// C[M x N] (+)= A[M x 2P] B[2P x N], N a multiple of 16; column panels of B outermost, so a
// panel stays in cache while the rows pass.
template <bool Add>
void gemm(const Operands& o, int64_t M, int64_t N, int64_t P, Causal causal = {}) {
  for (int64_t c = 0; c < N; c += 16 * kVectors) {
    const int nv = static_cast<int>(std::min<int64_t>(kVectors, (N - c) / 16));
    for (int64_t r = 0; r < M; r += kRows) {
      const int mr = static_cast<int>(std::min<int64_t>(kRows, M - r));
      const int64_t seen = causal.a + r + mr;  // keys [0, seen) are visible to some row here
      if (causal.skip_columns && c >= seen) continue;
      const int64_t pairs = causal.limit_pairs ? std::min(P, (seen + 1) / 2) : P;
      const Operands at{o.a + r * o.a_rs, o.a_rs, o.a_ps, o.b + c, o.b_ps, o.c + r * o.ldc + c, o.ldc};
      microkernel_any<Add>(at, pairs, mr, nv);
    }
  }
}

float bf16_to_float(bf16 h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// x's rows as words (two bf16 along the row): what A reads with a_rs = D / 2, a_ps = 1.
const uint32_t* words(const bf16* x) { return reinterpret_cast<const uint32_t*>(x); }

// B for x^T (pairs along x's rows' width): t[p * n16 + j] = word p of row j, 0 past n.
uint32_t* pack_transposed(const bf16* x, int64_t n, int64_t D, std::vector<uint32_t>& buf) {
  const int64_t P = D / 2, n16 = round_up(n, 16);
  uint32_t* t = sized(buf, P * n16);
  const uint32_t* w = words(x);
  for (int64_t p = 0; p < P; ++p) {
    uint32_t* row = t + p * n16;
    for (int64_t j = 0; j < n; ++j) row[j] = w[j * P + p];
    std::fill(row + n, row + n16, 0u);
  }
  return t;
}

// B for x (pairs along the rows): t[i * D + d] = (x[2i][d], x[2i + 1][d]), rows to `rows`
// (at least n, even) with zeros past n.
uint32_t* pack_pairs(const bf16* x, int64_t n, int64_t D, int64_t rows, std::vector<uint32_t>& buf) {
  uint32_t* t = sized(buf, rows / 2 * D);
  for (int64_t i = 0; i < rows / 2; ++i)
    for (int64_t d = 0; d < D; ++d) {
      const uint32_t lo = 2 * i < n ? x[2 * i * D + d] : 0, hi = 2 * i + 1 < n ? x[(2 * i + 1) * D + d] : 0;
      t[i * D + d] = lo | hi << 16;
    }
  return t;
}

// fp32 rows (m of width w, a multiple of 16) to bf16, rounding to nearest even.
void to_bf16_rows(const float* x, int64_t m, int64_t w, uint32_t* out) {
  const int64_t n = m * w;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512bh h = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + i + 16), _mm512_loadu_ps(x + i));
    _mm512_storeu_si512(out + i / 2, (__m512i)h);
  }
  if (i < n) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i / 2), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(x + i)));
}

// The transpose of m fp32 rows of width w as A words (pairs along the rows):
// out[i * w + j] = (x[2i][j], x[2i + 1][j]) in bf16, an odd last row paired with zeros.
void to_bf16_transposed_pairs(const float* x, int64_t m, int64_t w, uint32_t* out) {
  const __m512i interleave =
      _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (int64_t i = 0; i < (m + 1) / 2; ++i) {
    const float* r0 = x + 2 * i * w;
    const float* r1 = 2 * i + 1 < m ? r0 + w : nullptr;
    for (int64_t j = 0; j < w; j += 16) {
      const __m512 hi = r1 ? _mm512_loadu_ps(r1 + j) : _mm512_setzero_ps();
      const __m512i h = (__m512i)_mm512_cvtne2ps_pbh(hi, _mm512_loadu_ps(r0 + j));
      _mm512_storeu_si512(out + i * w + j, _mm512_permutexvar_epi16(interleave, h));
    }
  }
}

// rowsum(dout * out) of a query, in fp32.
float dot_bf16(const bf16* x, const bf16* y, int64_t D) {
  float acc = 0;
  for (int64_t d = 0; d < D; ++d) acc += bf16_to_float(x[d]) * bf16_to_float(y[d]);
  return acc;
}

// The scores of queries [a, a + m) over keys [0, c16): s = q k^T, past each query's last key
// left unwritten or garbage (the softmax reads only what a query sees).
void scores(const bf16* q, const uint32_t* kt, int64_t n16, int64_t D, int64_t a, int64_t m, int64_t c16, float* s) {
  const Operands o{words(q + a * D), D / 2, 1, kt, n16, s, c16};
  gemm<false>(o, m, c16, D / 2, Causal{a, true, false});
}

void forward(const bf16* q, const bf16* k, const bf16* v, int64_t n, int64_t D, bf16* out, float* lse) {
  Scratch& w = scratch();
  const int64_t n16 = round_up(n, 16);
  const uint32_t* kt = pack_transposed(k, n, D, w.kt);
  const uint32_t* vp = pack_pairs(v, n, D, n16, w.vp);
  for (int64_t a = 0; a < n; a += kBlock) {
    const int64_t m = std::min(kBlock, n - a), c16 = round_up(a + m, 16);
    float* s = sized(w.s, m * c16);
    scores(q, kt, n16, D, a, m, c16, s);
    for (int64_t r = 0; r < m; ++r) lse[a + r] = softmax(s + r * c16, c16, a + r + 1);
    uint32_t* pb = sized(w.pb, m * c16 / 2);
    to_bf16_rows(s, m, c16, pb);
    float* o = sized(w.o, m * D);
    gemm<false>(Operands{pb, c16 / 2, 1, vp, D, o, D}, m, D, c16 / 2, Causal{a, false, true});
    to_bf16_rows(o, m, D, reinterpret_cast<uint32_t*>(out + a * D));
  }
}

void backward(const bf16* q, const bf16* k, const bf16* v, const bf16* out, const bf16* dout, const float* lse, int64_t n,
              int64_t D, float scale, float* dq, float* dk, float* dv) {
  Scratch& w = scratch();
  const int64_t n16 = round_up(n, 16);
  const uint32_t* kt = pack_transposed(k, n, D, w.kt);
  const uint32_t* vt = pack_transposed(v, n, D, w.vt);
  const uint32_t* kp = pack_pairs(k, n, D, n16, w.kp);
  float* dk_acc = sized(w.dk, n16 * D);
  float* dv_acc = sized(w.dv, n16 * D);
  std::fill(dk_acc, dk_acc + n16 * D, 0.0f);
  std::fill(dv_acc, dv_acc + n16 * D, 0.0f);
  for (int64_t a = 0; a < n; a += kBlock) {
    const int64_t m = std::min(kBlock, n - a), c16 = round_up(a + m, 16), m2 = round_up(m, 2);
    float* s = sized(w.s, m * c16);
    float* dp = sized(w.dp, m * c16);
    scores(q, kt, n16, D, a, m, c16, s);
    gemm<false>(Operands{words(dout + a * D), D / 2, 1, vt, n16, dp, c16}, m, c16, D / 2, Causal{a, true, false});
    // s becomes p and dp becomes dL/ds, zero past each query's keys.
    for (int64_t r = 0; r < m; ++r)
      softmax_backward(s + r * c16, dp + r * c16, c16, a + r + 1, lse[a + r], dot_bf16(dout + (a + r) * D, out + (a + r) * D, D));
    uint32_t* dsb = sized(w.pb, m * c16 / 2);
    to_bf16_rows(dp, m, c16, dsb);
    uint32_t* pt = sized(w.pt, m2 / 2 * c16);
    uint32_t* dst = sized(w.dst, m2 / 2 * c16);
    to_bf16_transposed_pairs(s, m, c16, pt);
    to_bf16_transposed_pairs(dp, m, c16, dst);
    const uint32_t* qp = pack_pairs(q + a * D, m, D, m2, w.qp);
    const uint32_t* dop = pack_pairs(dout + a * D, m, D, m2, w.dop);
    // dq = scale * ds k; dk += ds^T q (q scaled already); dv += p^T dout.
    float* dq_rows = dq + a * D;
    gemm<false>(Operands{dsb, c16 / 2, 1, kp, D, dq_rows, D}, m, D, c16 / 2, Causal{a, false, true});
    for (int64_t i = 0; i < m * D; ++i) dq_rows[i] *= scale;
    gemm<true>(Operands{dst, 1, c16, qp, D, dk_acc, D}, a + m, D, m2 / 2);
    gemm<true>(Operands{pt, 1, c16, dop, D, dv_acc, D}, a + m, D, m2 / 2);
  }
  std::memcpy(dk, dk_acc, static_cast<size_t>(n * D) * sizeof(float));
  std::memcpy(dv, dv_acc, static_cast<size_t>(n * D) * sizeof(float));
}

#undef LONGALIGN_INLINE
#undef LONGALIGN_UNROLL
#pragma GCC pop_options

}  // namespace

bool bf16_attention_supported(int64_t D) {
  static const bool cpu = __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
  return cpu && D > 0 && D % 16 == 0;
}

void bf16_attention_forward(const bf16* q, const bf16* k, const bf16* v, int64_t n, int64_t D, bf16* out, float* lse) {
  forward(q, k, v, n, D, out, lse);
}

void bf16_attention_backward(const bf16* q, const bf16* k, const bf16* v, const bf16* out, const bf16* dout, const float* lse,
                             int64_t n, int64_t D, float scale, float* dq, float* dk, float* dv) {
  backward(q, k, v, out, dout, lse, n, D, scale, dq, dk, dv);
}

#else

bool bf16_attention_supported(int64_t) { return false; }
void bf16_attention_forward(const bf16*, const bf16*, const bf16*, int64_t, int64_t, bf16*, float*) {
  throw std::logic_error("bf16_attention_forward: not built for this target");
}
void bf16_attention_backward(const bf16*, const bf16*, const bf16*, const bf16*, const bf16*, const float*, int64_t, int64_t,
                             float, float*, float*, float*) {
  throw std::logic_error("bf16_attention_backward: not built for this target");
}

#endif

}  // namespace longalign::engine::kernels
