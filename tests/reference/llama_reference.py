#!/usr/bin/python3
"""An independent Llama forward pass for checking the engine: Debian's python3-torch only (no
transformers), reading config.json and the safetensors files itself, written from the
transformers LlamaForCausalLM definition (RMSNorm, rotate-half RoPE, SwiGLU, grouped-query
attention) and its Mistral, Qwen2 and Qwen3 variants (projection biases where the weights have
them, Qwen3's per-head q/k RMSNorm, an explicit head_dim, linear, llama3 and yarn RoPE scaling, from transformers'
_compute_linear_scaling_rope_parameters, _compute_llama3_parameters and _compute_yarn_parameters). Prints
the log-probability of each next token as a JSON list, as `longalign score --json` does.

  llama_reference.py MODEL_DIR 1,2,3 [--interleaved-rope]

--interleaved-rope rotates adjacent pairs (GPT-J / Meta's original convention) instead: the
tests use it to show that the comparison can tell the two conventions apart.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[base + begin : base + end])
        t = torch.frombuffer(raw, dtype=DTYPES[entry["dtype"]]) if raw else torch.empty(0, dtype=DTYPES[entry["dtype"]])
        out[name] = t.reshape(entry["shape"]).to(torch.float64)
    return out


def read_weights(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    weights = {}
    for name in files:
        weights.update(read_safetensors(os.path.join(model_dir, name)))
    return weights


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def yarn_mscale(scale, mscale=1.0):
    return 1.0 if scale <= 1 else 0.1 * mscale * math.log(scale) + 1.0


def inverse_frequencies(d, theta, scaling, max_positions):
    """RoPE's inverse frequencies and the factor cos and sin are scaled by."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "linear":
        return inv_freq / scaling["factor"], 1.0
    if kind == "yarn":
        original = scaling.get("original_max_position_embeddings") or max_positions
        factor = scaling.get("factor") or max_positions / original
        mscale, mscale_all_dim = scaling.get("mscale"), scaling.get("mscale_all_dim")
        attention = scaling.get("attention_factor")
        if attention is None:
            attention = yarn_mscale(factor, mscale) / yarn_mscale(factor, mscale_all_dim) if mscale and mscale_all_dim else yarn_mscale(factor)

        def dimension(rotations):  # where a frequency turns `rotations` times over the original context
            return d * math.log(original / (rotations * 2 * math.pi)) / (2 * math.log(theta))

        low, high = dimension(scaling.get("beta_fast") or 32), dimension(scaling.get("beta_slow") or 1)
        if scaling.get("truncate", True):
            low, high = math.floor(low), math.ceil(high)
        low, high = max(low, 0), min(high, d - 1)
        if low == high:
            high += 0.001
        out = []
        for i, f in enumerate(inv_freq.tolist()):
            extrapolate = 1 - min(max((i - low) / (high - low), 0.0), 1.0)
            out.append(f / factor * (1 - extrapolate) + f * extrapolate)
        return torch.tensor(out, dtype=torch.float64), attention
    if kind == "llama3":
        factor, low, high = scaling["factor"], scaling.get("low_freq_factor", 1.0), scaling.get("high_freq_factor", 4.0)
        old = scaling["original_max_position_embeddings"]
        out = []
        for f in inv_freq.tolist():
            wavelen = 2 * math.pi / f
            if wavelen < old / high:
                out.append(f)
            elif wavelen > old / low:
                out.append(f / factor)
            else:
                smooth = (old / wavelen - low) / (high - low)
                out.append((1 - smooth) * f / factor + smooth * f)
        return torch.tensor(out, dtype=torch.float64), 1.0
    assert kind == "default", kind
    return inv_freq, 1.0


def rope(x, positions, inv_freq, interleaved, attention=1.0):
    d = x.shape[-1]
    freqs = positions[:, None].to(torch.float64) * inv_freq[None, :]  # (T, d/2)
    if interleaved:
        cos, sin = freqs.cos().repeat_interleave(2, -1), freqs.sin().repeat_interleave(2, -1)
        pairs = x.reshape(*x.shape[:-1], d // 2, 2)
        rotated = torch.stack((-pairs[..., 1], pairs[..., 0]), -1).reshape(x.shape)
    else:
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        rotated = torch.cat((-x[..., d // 2 :], x[..., : d // 2]), -1)
    return x * cos * attention + rotated * sin * attention


def linear(x, w, p):
    """x @ W.T, plus the bias where the checkpoint has one."""
    y = x @ w[p + ".weight"].T
    return y + w[p + ".bias"] if p + ".bias" in w else y


def forward(cfg, w, ids, interleaved):
    hidden, heads = cfg["hidden_size"], cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads") or heads
    hd = cfg.get("head_dim") or hidden // heads
    eps = cfg.get("rms_norm_eps", 1e-6)
    rope_parameters = cfg.get("rope_parameters") or {}
    theta = rope_parameters.get("rope_theta", cfg.get("rope_theta", 10000.0))
    inv_freq, attention = inverse_frequencies(hd, theta, cfg.get("rope_scaling") or rope_parameters, cfg.get("max_position_embeddings"))
    T = len(ids)
    pos = torch.arange(T)
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]
    causal = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        q = linear(h, w, p + "self_attn.q_proj").reshape(T, heads, hd).transpose(0, 1)
        k = linear(h, w, p + "self_attn.k_proj").reshape(T, kv_heads, hd).transpose(0, 1)
        v = linear(h, w, p + "self_attn.v_proj").reshape(T, kv_heads, hd).transpose(0, 1)
        if cfg.get("model_type") == "qwen3":
            q, k = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps), rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k = rope(q, pos, inv_freq, interleaved, attention), rope(k, pos, inv_freq, interleaved, attention)
        k = k.repeat_interleave(heads // kv_heads, 0)
        v = v.repeat_interleave(heads // kv_heads, 0)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + causal, -1) @ v
        x = x + linear(att.transpose(0, 1).reshape(T, heads * hd), w, p + "self_attn.o_proj")
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = h @ w[p + "mlp.gate_proj.weight"].T
        x = x + (torch.nn.functional.silu(gate) * (h @ w[p + "mlp.up_proj.weight"].T)) @ w[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings", False) else w["lm_head.weight"]
    logp = torch.log_softmax(x @ head.T, -1)
    return [float(logp[t, ids[t + 1]]) for t in range(T - 1)]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    model_dir, ids = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    print(json.dumps(forward(cfg, read_weights(model_dir), ids, "--interleaved-rope" in sys.argv[3:])))


if __name__ == "__main__":
    main()
