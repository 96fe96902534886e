#!/usr/bin/python3
"""An independent trainer for the recipe study: Debian's python3-torch only, eager PyTorch, fp32.
It trains a Llama of the engine's shape (RMSNorm, rotate-half RoPE, SwiGLU, untied embeddings,
weights drawn N(0, 0.02)) on chats exported by `longalign data export` (byte tokens, the llama2
template, the assistant's reply and its end-of-turn token as targets), with the engine's
optimizer and schedule (AdamW, betas 0.9/0.95, no weight decay, linear warmup then cosine decay
to a tenth, gradient norm clipped to 1, a token mean over each step's targets). Every --eval-every
steps it prints one JSON line: the step, the training loss, and on the test chats the mean loss
per target token and the share answered exactly under teacher forcing (every target token the
argmax). A configuration that learns in longalign and not here, or here and not in longalign,
is a bug in one of them.

  recipe_reference.py TRAIN.jsonl TEST.jsonl [--lr 1e-3] [--epochs 2] [--sequences-per-step 8]
                      [--d-model 64] [--layers 2] [--heads 4] [--eval-every 250] [--seed 0]
"""
import argparse
import json
import math
import random

import torch
import torch.nn.functional as F

BOS, EOS, PAD, VOCAB = 256, 257, 258, 259


def render(chat):
    """The llama2 template over bytes: <s>[INST] user [/INST] answer</s>, the answer and </s> targets."""
    ids, target = [], []
    for m in chat["messages"]:
        if m["role"] == "user":
            part = [BOS] + list(("[INST] " + m["content"] + " [/INST]").encode())
            ids += part
            target += [0] * len(part)
        elif m["role"] == "assistant":
            ids += [ord(" ")]
            target += [0]
            part = list(m["content"].encode()) + [EOS]
            ids += part
            target += [1] * len(part)
    return ids, target


def rms_norm(x, w, eps=1e-5):
    return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)


class Layer(torch.nn.Module):
    def __init__(self, d, heads, d_ff):
        super().__init__()
        self.heads = heads
        self.attn_norm = torch.nn.Parameter(torch.ones(d))
        self.mlp_norm = torch.nn.Parameter(torch.ones(d))
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d, bias=False) for _ in range(4))
        self.gate, self.up = torch.nn.Linear(d, d_ff, bias=False), torch.nn.Linear(d, d_ff, bias=False)
        self.down = torch.nn.Linear(d_ff, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        hd = D // self.heads
        h = rms_norm(x, self.attn_norm)
        q, k, v = (p(h).view(B, T, self.heads, hd).transpose(1, 2) for p in (self.q, self.k, self.v))

        def rotate(t):
            return t * cos + torch.cat((-t[..., hd // 2 :], t[..., : hd // 2]), -1) * sin

        scores = rotate(q) @ rotate(k).transpose(-1, -2) / math.sqrt(hd)
        att = scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + self.o(att.transpose(1, 2).reshape(B, T, D))
        h = rms_norm(x, self.mlp_norm)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Llama(torch.nn.Module):
    def __init__(self, d, layers, heads):
        super().__init__()
        self.heads = heads
        self.embed = torch.nn.Embedding(VOCAB, d)
        d_ff = (d * 8 // 3 + 3) // 4 * 4
        self.layers = torch.nn.ModuleList(Layer(d, heads, d_ff) for _ in range(layers))
        self.norm = torch.nn.Parameter(torch.ones(d))
        self.head = torch.nn.Linear(d, VOCAB, bias=False)
        for m in self.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, std=0.02)

    def forward(self, ids):
        T = ids.shape[1]
        hd = self.embed.weight.shape[1] // self.heads
        freqs = torch.outer(torch.arange(T).float(), 1.0 / (10000.0 ** (torch.arange(0, hd, 2).float() / hd)))
        angles = torch.cat((freqs, freqs), -1)
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        x = self.embed(ids)
        for layer in self.layers:
            x = layer(x, angles.cos(), angles.sin(), mask)
        return self.head(rms_norm(x, self.norm))


def losses(model, chats):
    """Per-token losses and argmax hits over a padded batch, with its target mask."""
    width = max(len(ids) for ids, _ in chats)
    ids = torch.full((len(chats), width), PAD)
    target = torch.zeros(len(chats), width)
    for row, (i, t) in enumerate(chats):
        ids[row, : len(i)] = torch.tensor(i)
        target[row, : len(t)] = torch.tensor(t, dtype=torch.float)
    logits = model(ids[:, :-1])
    nll = F.cross_entropy(logits.reshape(-1, VOCAB), ids[:, 1:].reshape(-1), reduction="none").view(len(chats), -1)
    return nll, (logits.argmax(-1) == ids[:, 1:]), target[:, 1:]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("train")
    p.add_argument("test")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--epochs", type=float, default=2)
    p.add_argument("--sequences-per-step", type=int, default=8)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    train = [render(json.loads(line)) for line in open(a.train)]
    test = [render(json.loads(line)) for line in open(a.test)]
    model = Llama(a.d_model, a.layers, a.heads)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.0)
    steps = int(len(train) * a.epochs) // a.sequences_per_step
    warmup = max(1, round(0.03 * steps))
    order = []
    for step in range(1, steps + 1):
        if len(order) < a.sequences_per_step:
            order = list(range(len(train)))
            rng.shuffle(order)
        batch = [train[order.pop()] for _ in range(a.sequences_per_step)]
        progress = (step - warmup) / max(1, steps - warmup)
        lr = a.lr * step / warmup if step <= warmup else a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        nll, _, target = losses(model, batch)
        loss = (nll * target).sum() / target.sum()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % a.eval_every == 0 or step == steps:
            with torch.no_grad():
                nll, hit, target = losses(model, test)
                exact = ((hit | (target == 0)).all(-1)).float().mean().item()
                print(json.dumps({"step": step, "loss": round(loss.item(), 4),
                                  "test_loss": round(((nll * target).sum() / target.sum()).item(), 4),
                                  "test_exact": round(exact, 4)}), flush=True)


if __name__ == "__main__":
    main()
