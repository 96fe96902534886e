#!/usr/bin/env python3
"""Makes the golden fixture in tests/fixtures/transformers-llama/ with real transformers (not
packaged for Debian 12, so this runs elsewhere, e.g. on the GPU machine that builds the CUDA
engine; the fixture is committed and the tests check the engine against it).

Two tiny LlamaForCausalLM checkpoints, saved by transformers' own save_pretrained, with
grouped-query heads (4 query, 2 key/value), rope_theta 50,000 and random norm weights:
  single/   fp32, one model.safetensors
  sharded/  bf16, several shards with model.safetensors.index.json
and golden.json: for each, token ids and transformers' log-probability of each next token
(position t scores token t + 1), computed in fp32 from the weights as saved (for sharded/, the
bf16-rounded weights), as `longalign score --json` prints them.

  make_transformers_golden.py OUT_DIR
"""
import json
import os
import sys

import torch
import transformers
from transformers import LlamaConfig, LlamaForCausalLM

THETA = 50000.0


def make_config():
    common = dict(vocab_size=259, hidden_size=64, intermediate_size=172, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5,
                  max_position_embeddings=512, tie_word_embeddings=False, attention_bias=False,
                  mlp_bias=False, bos_token_id=1, eos_token_id=2)
    try:  # transformers 5 keeps RoPE settings in rope_parameters
        cfg = LlamaConfig(rope_parameters={"rope_type": "default", "rope_theta": THETA}, **common)
    except TypeError:
        cfg = LlamaConfig(rope_theta=THETA, **common)
    cfg._attn_implementation = "eager"
    return cfg


def logprobs(model, ids):
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float()
    lp = torch.log_softmax(logits, -1)
    return [lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]


def main(out):
    torch.manual_seed(0)
    model = LlamaForCausalLM(make_config()).float().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.uniform_(0.5, 1.5)  # ones would hide a norm applied to the wrong tensor
    # The RoPE frequencies transformers uses must be theta's, whatever the config's spelling.
    head_dim = 64 // 4
    want = 1.0 / THETA ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    got = model.model.rotary_emb.inv_freq.float()
    assert torch.allclose(got, want), (got, want)

    g = torch.Generator().manual_seed(1)
    ids = [1] + torch.randint(3, 259, (63,), generator=g).tolist()
    cases = []
    model.save_pretrained(os.path.join(out, "single"), safe_serialization=True)
    cases.append({"dir": "single", "dtype": "F32", "ids": ids, "logprobs": logprobs(model, ids)})

    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.to(torch.bfloat16).float())
    ids2 = [1] + torch.randint(3, 259, (47,), generator=g).tolist()
    expected = logprobs(model, ids2)
    model.to(torch.bfloat16).save_pretrained(os.path.join(out, "sharded"), safe_serialization=True,
                                             max_shard_size="200KB")
    cases.append({"dir": "sharded", "dtype": "BF16", "ids": ids2, "logprobs": expected})

    golden = {"made_by": "tests/reference/make_transformers_golden.py",
              "transformers": transformers.__version__, "torch": torch.__version__, "cases": cases}
    with open(os.path.join(out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    print("golden fixture: transformers", transformers.__version__, "torch", torch.__version__,
          "files:", sorted(os.listdir(os.path.join(out, "single")) + os.listdir(os.path.join(out, "sharded"))))


if __name__ == "__main__":
    main(sys.argv[1])
