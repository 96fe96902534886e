#!/usr/bin/python3
"""The engine_bench's Python side: the same Llama (rotate-half RoPE, SwiGLU, RMSNorm), weights
read from the same safetensors file, trained with PyTorch eager (Debian's python3-torch, the
libtorch version our engine links) on the same packed row: one sequence of T tokens, every
token after the first a target of weight 1 / (T - 1), AdamW (betas 0.9 / 0.95, no weight decay,
eps 1e-8) at a constant lr, gradients clipped to norm 1. Prints one JSON line:
{"losses": [...], "seconds": [...]} for the warm-up step and each timed step.

  python_step.py MODEL_DIR IDS_FILE STEPS THREADS fp32|bf16
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as F


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    dtypes = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[8 + n + b : 8 + n + end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"]).float()
    return out


class Llama(torch.nn.Module):
    def __init__(self, cfg, w):
        super().__init__()
        self.cfg = cfg
        self.w = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v) for k, v in w.items()})

    def p(self, name):
        return self.w[name.replace(".", "__")]

    def norm(self, x, name):
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.cfg["rms_norm_eps"])).to(x.dtype) * self.p(name)

    def forward(self, ids):
        c = self.cfg
        H, KV = c["num_attention_heads"], c["num_key_value_heads"]
        D = c["hidden_size"] // H
        T = ids.shape[0]
        inv = 1.0 / (c["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
        freqs = torch.arange(T, dtype=torch.float32)[:, None] * inv.float()[None, :]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.full((T, T), float("-inf")).triu(1)
        x = F.embedding(ids, self.p("model.embed_tokens.weight"))
        for i in range(c["num_hidden_layers"]):
            pre = f"model.layers.{i}."
            h = self.norm(x, pre + "input_layernorm.weight")
            q = F.linear(h, self.p(pre + "self_attn.q_proj.weight")).view(T, H, D).transpose(0, 1)
            k = F.linear(h, self.p(pre + "self_attn.k_proj.weight")).view(T, KV, D).transpose(0, 1)
            v = F.linear(h, self.p(pre + "self_attn.v_proj.weight")).view(T, KV, D).transpose(0, 1)
            rot = lambda t: torch.cat((-t[..., D // 2 :], t[..., : D // 2]), -1)
            q = q * cos.to(q.dtype) + rot(q) * sin.to(q.dtype)
            k = k * cos.to(k.dtype) + rot(k) * sin.to(k.dtype)
            k, v = k.repeat_interleave(H // KV, 0), v.repeat_interleave(H // KV, 0)
            s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(D) + mask
            a = torch.matmul(torch.softmax(s.float(), -1).to(v.dtype), v)
            x = x + F.linear(a.transpose(0, 1).reshape(T, H * D), self.p(pre + "self_attn.o_proj.weight"))
            h = self.norm(x, pre + "post_attention_layernorm.weight")
            g = F.silu(F.linear(h, self.p(pre + "mlp.gate_proj.weight"))) * F.linear(h, self.p(pre + "mlp.up_proj.weight"))
            x = x + F.linear(g, self.p(pre + "mlp.down_proj.weight"))
        x = self.norm(x, "model.norm.weight")
        return F.linear(x[:-1], self.p("lm_head.weight")).float()


def main():
    model_dir, ids_file, steps, threads, precision = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    torch.set_num_threads(threads)
    with open(model_dir + "/config.json") as f:
        cfg = json.load(f)
    model = Llama(cfg, read_safetensors(model_dir + "/model.safetensors"))
    ids = torch.tensor([int(t) for t in open(ids_file).read().split(",")])
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.0, eps=1e-8)
    losses, seconds = [], []
    for _ in range(steps + 1):
        t0 = time.time()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(ids)
        loss = F.cross_entropy(logits, ids[1:], reduction="sum") / (len(ids) - 1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        seconds.append(time.time() - t0)
        losses.append(loss.item())
    print(json.dumps({"losses": losses, "seconds": seconds}))


if __name__ == "__main__":
    main()
